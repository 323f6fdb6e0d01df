/**
 * Property and fuzz tests: write-then-read on random shapes and values, and mutated files whose every outcome must
 * be equal data, a detected checksum mismatch, or a typed FitsError, never another exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import { FitsError, FitsFile, Header, type ImageData, encodeFits, type HduSpec } from '../src/index.js';
import { firstDifference } from '../../../test/support/tools.js';
import { mulberry32 as rng } from '../../../test/support/random.js';

type Maker = (n: number, r: () => number) => ImageData;
const INT_MAKERS: Maker[] = [
  (n, r) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256)),
  (n, r) => Int16Array.from({ length: n }, () => Math.floor(r() * 65536) - 32768),
  (n, r) => Uint16Array.from({ length: n }, () => Math.floor(r() * 65536)),
  (n, r) => Int32Array.from({ length: n }, () => (r() < 0.1 ? Math.floor(r() * 2 ** 32) - 2 ** 31 : 20000 + Math.floor(r() * 50))),
  (n, r) => {
    const v = Math.floor(r() * 2 ** 32) - 2 ** 31;
    return new Int32Array(n).fill(v);
  },
];
const FLOAT_MAKERS: Maker[] = [
  (n, r) => Float32Array.from({ length: n }, () => (r() - 0.5) * 1e4),
  (n, r) => Float64Array.from({ length: n }, () => (r() - 0.5) * 1e-3),
];

function randomFile(r: () => number): { hdus: HduSpec[]; images: ImageData[] } {
  const hdus: HduSpec[] = [{ header: new Header().set('SEED', Math.floor(r() * 1e6)) }];
  const images: ImageData[] = [];
  const count = 1 + Math.floor(r() * 4);
  for (let k = 0; k < count; k++) {
    const dims = 1 + Math.floor(r() * 3);
    const shape = Array.from({ length: dims }, () => 1 + Math.floor(r() * (dims === 1 ? 300 : 40)));
    const n = shape.reduce((a, b) => a * b, 1);
    const compress = r() < 0.5;
    const makers = compress ? INT_MAKERS : [...INT_MAKERS, ...FLOAT_MAKERS];
    const data = makers[Math.floor(r() * makers.length)]!(n, r);
    const tile = compress && r() < 0.3 ? shape.map((s) => 1 + Math.floor(r() * s)) : undefined;
    hdus.push({
      header: new Header().set('EXTNAME', `H${k}`),
      data,
      shape,
      ...(compress ? { compress: { algorithm: 'RICE_1' as const, ...(tile ? { tile } : {}) } } : {}),
    });
    images.push(data);
  }
  return { hdus, images };
}

async function readAll(bytes: Uint8Array): Promise<ImageData[]> {
  const f = FitsFile.fromBytes(bytes);
  const n = await f.hduCount();
  const out: ImageData[] = [];
  for (let i = 1; i < n; i++) out.push((await f.readImage(i)).data);
  return out;
}

describe('property: write then read', () => {
  it('returns exactly what was written, for 150 random files', async () => {
    const r = rng(20261125);
    for (let t = 0; t < 150; t++) {
      const { hdus, images } = randomFile(r);
      const back = await readAll(encodeFits(hdus));
      expect(back.length).toBe(images.length);
      images.forEach((img, k) => {
        expect(back[k]!.constructor, `case ${t} hdu ${k}`).toBe(img.constructor);
        expect(firstDifference(back[k]!, img), `case ${t} hdu ${k}`).toBeNull();
      });
    }
  });
});

describe('fuzz: mutated files', () => {
  it('gives equal data, a checksum mismatch, or a typed error; never anything else', async () => {
    const r = rng(42);
    const outcomes = { equal: 0, checksum: 0, typed: 0 };
    const started = Date.now();
    for (let t = 0; t < 400; t++) {
      const { hdus, images } = randomFile(r);
      const good = encodeFits(hdus);
      const bad = mutate(good, r);
      const t0 = Date.now();
      try {
        const back = await readAll(bad);
        const prefixEqual = back.every((img, k) => img.constructor === images[k]!.constructor && firstDifference(img, images[k]!) === null);
        if (prefixEqual && back.length === images.length) outcomes.equal++;
        // Cut exactly at an HDU boundary, the file is a valid shorter FITS file.
        else if (prefixEqual && bad.length < good.length && bad.length % 2880 === 0) outcomes.equal++;
        else {
          const f = FitsFile.fromBytes(bad);
          const n = await f.hduCount();
          let detected = false;
          for (let i = 0; i < n; i++) {
            const v = await f.verifyChecksums(i);
            if (v.checksum !== 'ok' || v.datasum !== 'ok') detected = true;
          }
          expect(detected, `case ${t}: data changed silently (${back.length} of ${images.length} HDUs, sizes ${good.length} -> ${bad.length})`).toBe(true);
          outcomes.checksum++;
        }
      } catch (e) {
        if (!(e instanceof FitsError)) throw new Error(`case ${t}: untyped ${String(e)}`, { cause: e });
        outcomes.typed++;
      }
      expect(Date.now() - t0, `case ${t} took too long`).toBeLessThan(2000);
    }
    expect(outcomes.typed).toBeGreaterThan(0);
    expect(outcomes.checksum + outcomes.equal).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

/** One random mutation: a byte, a header value, a length, a truncation or an insertion. */
function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const kind = Math.floor(r() * 6);
  switch (kind) {
    case 0: {
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      return b;
    }
    case 1:
    case 2: {
      // Rewrite the value of a random structural or compression keyword with a hostile number.
      const text = new TextDecoder('latin1').decode(b);
      const keys = ['NAXIS', 'NAXIS1', 'NAXIS2', 'BITPIX', 'PCOUNT', 'GCOUNT', 'ZNAXIS1', 'ZNAXIS2', 'ZTILE1', 'ZTILE2', 'ZBITPIX', 'ZVAL1', 'ZVAL2', 'NAXIS3', 'THEAP', 'TFORM1'];
      const key = keys[Math.floor(r() * keys.length)]!;
      const positions: number[] = [];
      for (let o = 0; o < text.length; o += 80) if (text.startsWith(key.padEnd(8, ' ') + '=', o)) positions.push(o);
      if (positions.length === 0) return b;
      const at = positions[Math.floor(r() * positions.length)]!;
      const values = ['-1', '0', '1', '3', '2147483647', '99999999999', '1e9', "'X'", '', '-32', '7', "'1PB(99999999)'", "'1QB(3)'"];
      const v = values[Math.floor(r() * values.length)]!;
      const card = `${key.padEnd(8, ' ')}= ${v.padStart(20, ' ')}`.padEnd(80, ' ');
      for (let i = 0; i < 80; i++) b[at + i] = card.charCodeAt(i);
      return b;
    }
    case 3:
      return b.subarray(0, Math.floor(r() * b.length));
    case 4: {
      const at = Math.floor(r() * b.length);
      const extra = new Uint8Array(1 + Math.floor(r() * 3000)).map(() => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b.subarray(0, at));
      out.set(extra, at);
      out.set(b.subarray(at), at + extra.length);
      return out;
    }
    default: {
      // Corrupt the heap or table of a compressed HDU (or any data) with a run of random bytes.
      const at = Math.floor(r() * b.length);
      const len = Math.min(b.length - at, 1 + Math.floor(r() * 64));
      for (let i = 0; i < len; i++) b[at + i] = Math.floor(r() * 256);
      return b;
    }
  }
}
