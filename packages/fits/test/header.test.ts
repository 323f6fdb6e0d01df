import { describe, expect, it } from 'vitest';
import { FitsError } from '../src/errors.js';
import { Header, formatCard, formatFloat, makeCard, parseHeader } from '../src/header.js';

function roundTrip(h: Header): Header {
  const bytes = h.toBytes();
  expect(bytes.length % 2880).toBe(0);
  const { header, byteLength } = parseHeader(bytes);
  expect(byteLength).toBe(bytes.length);
  return header;
}

describe('card formatting', () => {
  it('writes floats so they stay floats', () => {
    expect(formatFloat(30)).toBe('30.0');
    expect(formatFloat(-0)).toBe('-0.0');
    expect(formatFloat(1e21)).toBe('1.0E21');
    expect(formatFloat(1.5e-7)).toBe('1.5E-7');
    expect(formatFloat(0.1)).toBe('0.1');
    expect(formatFloat(2.5, 3)).toBe('2.500');
    expect(formatFloat(7, 0)).toBe('7.');
    const card = formatCard(makeCard('EXPTIME', 30, { type: 'float', comment: 'seconds' }))[0]!;
    expect(card).toHaveLength(80);
    expect(card.slice(0, 31)).toBe('EXPTIME =                 30.0 ');
    expect(card.slice(31).trimEnd()).toBe('/ seconds');
  });

  it('keeps the shortest float that round-trips exactly', () => {
    for (const v of [Math.PI, 1 / 3, 6.02214076e23, -1.7976931348623157e308, 5e-324, 123456.789]) {
      const h = roundTrip(new Header().setFloat('X', v));
      expect(h.card('X')!.type).toBe('float');
      expect(h.get('X')).toBe(v);
    }
  });

  it('writes fixed-format integers, logicals and strings', () => {
    expect(formatCard(makeCard('NAXIS1', 576))[0]!.slice(0, 30)).toBe('NAXIS1  =                  576');
    expect(formatCard(makeCard('SIMPLE', true))[0]!.slice(0, 30)).toBe('SIMPLE  =                    T');
    // The closing quote of a short string sits at column 20 or later.
    expect(formatCard(makeCard('XTENSION', 'IMAGE'))[0]!.slice(0, 20)).toBe("XTENSION= 'IMAGE   '");
    expect(formatCard(makeCard('OBSERVER', "O'Brien"))[0]!.slice(0, 22)).toBe("OBSERVER= 'O''Brien'  ");
  });

  it('round-trips every value type, in order, with comments', () => {
    const h = new Header()
      .set('STR', "it's a 'quoted' value", 'a comment')
      .set('LEAD', '  leading spaces kept')
      .set('EMPTY', '')
      .set('INT', -42)
      .setInt('BIG', 12345678901234567890n)
      .setFloat('FLT', 2)
      .set('YES', true)
      .set('NO', false)
      .set('UNDEF', null, 'no value')
      .comment('a comment card')
      .history('a history card')
      .set('ESO DET CHIP NAME', 'CCD-1');
    const r = roundTrip(h);
    expect(r.list().map((c) => c.key)).toEqual(h.list().map((c) => c.key));
    expect(r.get('STR')).toBe("it's a 'quoted' value");
    expect(r.card('STR')!.comment).toBe('a comment');
    expect(r.get('LEAD')).toBe('  leading spaces kept');
    expect(r.get('EMPTY')).toBe('');
    expect(r.getInt('INT')).toBe(-42);
    expect(r.get('BIG')).toBe(12345678901234567890n);
    expect(r.card('FLT')!.type).toBe('float');
    expect(r.get('FLT')).toBe(2);
    expect(r.getBool('YES')).toBe(true);
    expect(r.getBool('NO')).toBe(false);
    expect(r.card('UNDEF')!.type).toBe('undefined');
    expect(r.commentaries('COMMENT')).toEqual(['a comment card']);
    expect(r.commentaries('HISTORY')).toEqual(['a history card']);
    expect(r.card('ESO DET CHIP NAME')!.hierarch).toBe(true);
    expect(r.get('ESO DET CHIP NAME')).toBe('CCD-1');
  });

  it('splits long strings with CONTINUE and joins them back, quotes included', () => {
    const long = "a 'long' string ".repeat(20) + 'end';
    const h = new Header().set('LONGSTR', long, 'a long one');
    const images = h.toCardImages().filter((l) => l.trim() !== '' && !l.startsWith('END'));
    expect(images.length).toBeGreaterThan(3);
    expect(images.slice(1).every((l) => l.startsWith('CONTINUE  '))).toBe(true);
    for (const l of images) expect(l).toHaveLength(80);
    const r = roundTrip(h);
    expect(r.get('LONGSTR')).toBe(long);
    expect(r.card('LONGSTR')!.comment).toBe('a long one');
    // A split must never cut an escaped quote pair: try every boundary position.
    for (let n = 60; n < 80; n++) {
      const s = 'x'.repeat(n) + "''" + 'y'.repeat(30);
      expect(roundTrip(new Header().set('Q', s)).get('Q')).toBe(s);
    }
  });

  it('splits long commentary text over several cards', () => {
    const text = 'word '.repeat(40).trim();
    const h = new Header().history(text);
    expect(h.commentaries('HISTORY').join('')).toBe(text);
    expect(roundTrip(h).commentaries('HISTORY').join('')).toBe(text);
  });

  it('replaces a keyword in place and keeps its comment', () => {
    const h = new Header().set('A', 1, 'first').set('B', 2).set('C', 3);
    h.set('A', 10);
    expect(h.list().map((c) => c.key)).toEqual(['A', 'B', 'C']);
    expect(h.card('A')!.comment).toBe('first');
    expect(h.get('A')).toBe(10);
    h.insert('B', makeCard('Z', 'z'));
    expect(h.list().map((c) => c.key)).toEqual(['A', 'Z', 'B', 'C']);
    expect(h.delete('Z')).toBe(true);
    expect(h.delete('Z')).toBe(false);
  });
});

describe('validation', () => {
  const bad = (f: () => unknown, code: string): void => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(FitsError);
      expect((e as FitsError).code).toBe(code);
      return;
    }
    throw new Error('expected a FitsError');
  };

  it('rejects bad keywords and values with typed errors', () => {
    bad(() => new Header().set('lower', 1), 'BAD_KEYWORD');
    bad(() => new Header().set('A=B', 1), 'BAD_KEYWORD');
    bad(() => new Header().set('', 1), 'BAD_KEYWORD');
    bad(() => new Header().set('X', Number.NaN), 'BAD_VALUE');
    bad(() => new Header().set('X', Number.POSITIVE_INFINITY), 'BAD_VALUE');
    bad(() => new Header().set('X', 'caf\u00e9'), 'BAD_VALUE');
    bad(() => new Header().set('X', 'line\nbreak'), 'BAD_VALUE');
    bad(() => new Header().set('X', 2 ** 60), 'BAD_VALUE');
    bad(() => new Header().set('X', 1, 'comment \u2013 dash'), 'BAD_VALUE');
    bad(() => new Header().comment('tab\there'), 'BAD_VALUE');
  });

  it('rejects malformed header bytes with the offset of the bad card', () => {
    const h = new Header().set('A', 1).set('B', 2);
    const bytes = h.toBytes();
    bytes[80 + 15] = 0x07;
    try {
      parseHeader(bytes);
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toBeInstanceOf(FitsError);
      expect((e as FitsError).code).toBe('BAD_CARD');
      expect((e as FitsError).offset).toBe(95);
    }
    const noEnd = new Uint8Array(2880).fill(0x20);
    expect(() => parseHeader(noEnd)).toThrow(/no END/);
    const badValue = new TextEncoder().encode("A       = 'unterminated".padEnd(80) + 'END'.padEnd(80));
    expect(() => parseHeader(badValue)).toThrow(/unterminated/);
  });
});
