/**
 * FITS headers: an ordered list of typed cards, formatted and parsed per the FITS Standard 4.0 (section 4),
 * with the CONTINUE long-string convention and the HIERARCH convention for long keyword names.
 *
 * A JavaScript number cannot say whether 30 is an integer or a real, so every card carries its value type:
 * `float` cards are always written with a decimal point or an exponent, and parsing keeps the type it read.
 */
import { FitsError } from './errors.js';

export const CARD_LENGTH = 80;
export const BLOCK_LENGTH = 2880;
export const CARDS_PER_BLOCK = BLOCK_LENGTH / CARD_LENGTH;

export type CardValue = string | number | bigint | boolean | null;

export type CardType = 'string' | 'int' | 'float' | 'bool' | 'undefined' | 'commentary' | 'end';

export interface Card {
  /** Keyword; for HIERARCH cards the name after `HIERARCH ` (for example `ESO DET CHIP`). */
  readonly key: string;
  readonly type: CardType;
  /** string for 'string' and 'commentary', number or bigint for 'int', number for 'float', boolean, or null. */
  readonly value: CardValue;
  readonly comment?: string;
  /** True when the keyword is written with the HIERARCH convention. */
  readonly hierarch?: boolean;
  /** For 'float': how many digits after the point to write (fixed notation); default: shortest round-trip form. */
  readonly decimals?: number;
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);
const STANDARD_KEY = /^[A-Z0-9_-]{1,8}$/;
// Keywords we write with HIERARCH: upper-case words; parsing accepts any printable name, as cfitsio does.
const HIERARCH_KEY = /^[A-Z0-9_-]+( [A-Z0-9_-]+)*$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

export interface SetOptions {
  comment?: string;
  /** Write a number as an integer card (default: integer if Number.isInteger, else float). */
  type?: 'int' | 'float';
  decimals?: number;
}

/** Whether a keyword needs the HIERARCH convention. */
function needsHierarch(key: string): boolean {
  return !STANDARD_KEY.test(key);
}

export function validateKeyword(key: string, allowHierarch = true): void {
  if (STANDARD_KEY.test(key)) return;
  if (allowHierarch && key.length > 0 && HIERARCH_KEY.test(key) && !key.startsWith('HIERARCH')) {
    return;
  }
  throw new FitsError(
    'BAD_KEYWORD',
    `invalid keyword ${JSON.stringify(key)}: use 1-8 characters of A-Z 0-9 _ -, or longer upper-case words separated by single spaces (HIERARCH)`,
    { keyword: key },
  );
}

function checkText(key: string, text: string, what: string): void {
  if (!PRINTABLE.test(text)) {
    throw new FitsError('BAD_VALUE', `${what} must be printable ASCII (0x20-0x7E)`, { keyword: key });
  }
}

/** Build a validated card from a JavaScript value. */
export function makeCard(key: string, value: CardValue, opts: SetOptions = {}): Card {
  validateKeyword(key);
  const hierarch = needsHierarch(key);
  const comment = opts.comment;
  if (comment !== undefined) checkText(key, comment, 'comment');
  const base = { key, ...(comment !== undefined ? { comment } : {}), ...(hierarch ? { hierarch } : {}) };
  if (value === null) return { ...base, type: 'undefined', value: null };
  if (typeof value === 'string') {
    checkText(key, value, 'string value');
    return { ...base, type: 'string', value };
  }
  if (typeof value === 'boolean') return { ...base, type: 'bool', value };
  if (typeof value === 'bigint') {
    if (opts.type === 'float') throw new FitsError('BAD_VALUE', 'a bigint cannot be a float card', { keyword: key });
    if (value.toString().length > 20) throw new FitsError('BAD_VALUE', 'integer wider than 20 digits', { keyword: key });
    return { ...base, type: 'int', value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new FitsError('BAD_VALUE', `${value} cannot be written in a FITS header`, { keyword: key });
    }
    const type = opts.type ?? (Number.isInteger(value) ? 'int' : 'float');
    if (type === 'int') {
      if (!Number.isSafeInteger(value)) {
        throw new FitsError('BAD_VALUE', `${value} is not a safe integer (pass a bigint)`, { keyword: key });
      }
      return { ...base, type, value };
    }
    if (opts.decimals !== undefined && !(Number.isInteger(opts.decimals) && opts.decimals >= 0 && opts.decimals <= 16)) {
      throw new FitsError('BAD_VALUE', 'decimals must be an integer 0..16', { keyword: key });
    }
    return { ...base, type, value, ...(opts.decimals !== undefined ? { decimals: opts.decimals } : {}) };
  }
  throw new FitsError('BAD_VALUE', `unsupported value type ${typeof value}`, { keyword: key });
}

/** Format a float so that it reads back as a float: always a '.' or an exponent, 'E' upper case. */
export function formatFloat(v: number, decimals?: number): string {
  if (decimals !== undefined) {
    const s = v.toFixed(decimals);
    if (s.length <= 20 && Math.abs(v) < 1e15) return decimals === 0 ? `${s}.` : s;
  }
  let s = String(v);
  if (Object.is(v, -0)) s = '-0.0';
  if (s.includes('e')) {
    let [mant, exp] = s.split('e') as [string, string];
    if (!mant.includes('.')) mant += '.0';
    if (exp.startsWith('+')) exp = exp.slice(1);
    s = `${mant}E${exp}`;
  } else if (!s.includes('.')) {
    s += '.0';
  }
  return s;
}

function formatValue(card: Card): string {
  switch (card.type) {
    case 'bool':
      return card.value ? 'T' : 'F';
    case 'int':
      return String(card.value);
    case 'float':
      return formatFloat(card.value as number, card.decimals);
    case 'undefined':
      return '';
    default:
      throw new FitsError('BAD_CARD', `not a scalar card type ${card.type}`, { keyword: card.key });
  }
}

function padCard(s: string): string {
  return s.length >= CARD_LENGTH ? s : s + ' '.repeat(CARD_LENGTH - s.length);
}

/** Append ` / comment` if any room is left; a comment that does not fit is cut (never the value). */
function withComment(s: string, comment: string | undefined): string {
  if (comment === undefined || comment === '') return s;
  const room = CARD_LENGTH - s.length - 3;
  if (room <= 0) return s;
  return `${s} / ${comment.slice(0, room)}`;
}

function quote(s: string): string {
  return s.replace(/'/g, "''");
}

/**
 * Split a string value into pieces whose quoted form fits in `first` columns for the first card and
 * `rest` columns for CONTINUE cards, never splitting an escaped quote pair, each piece but the last ending with '&'.
 */
function splitLongString(value: string, first: number, rest: number): string[] {
  const pieces: string[] = [];
  let i = 0;
  let room = first;
  while (i < value.length) {
    // room includes the 2 quotes and, for a non-final piece, the '&'.
    let quoted = 0;
    let j = i;
    const budget = room - 3;
    while (j < value.length) {
      const w = value[j] === "'" ? 2 : 1;
      if (quoted + w > budget) break;
      quoted += w;
      j++;
    }
    if (j === value.length && quoted + 2 <= room - 0) {
      pieces.push(value.slice(i));
      break;
    }
    pieces.push(value.slice(i, j) + '&');
    i = j;
    room = rest;
  }
  if (pieces.length === 0) pieces.push('');
  return pieces;
}

/** Format one card as one or more 80-character card images. */
export function formatCard(card: Card): string[] {
  if (card.type === 'end') return [padCard('END')];
  if (card.type === 'commentary') {
    const text = String(card.value ?? '');
    const out: string[] = [];
    const key = card.key.padEnd(8, ' ');
    for (let i = 0; i === 0 || i < text.length; i += 72) out.push(padCard(key + text.slice(i, i + 72)));
    return out;
  }
  const prefix = card.hierarch ? `HIERARCH ${card.key} = ` : `${card.key.padEnd(8, ' ')}= `;
  if (prefix.length > CARD_LENGTH - 1) {
    throw new FitsError('BAD_KEYWORD', 'HIERARCH keyword too long for one card', { keyword: card.key });
  }
  if (card.type === 'string') {
    const value = card.value as string;
    // Fixed format: the closing quote no earlier than column 20 (string padded to 8 characters).
    const q = quote(value);
    const padded = q.length < 8 ? q.padEnd(8, ' ') : q;
    const single = `${prefix}'${padded}'`;
    // Like cfitsio and astropy, pad the value field to 20 columns before a comment. astropy re-formats the
    // CHECKSUM card this way when it verifies, so any other layout fails its checksum check.
    if (single.length <= CARD_LENGTH) {
      const field = card.comment ? `${prefix}${`'${padded}'`.padEnd(20, ' ')}` : single;
      return [padCard(withComment(field.length <= CARD_LENGTH ? field : single, card.comment))];
    }
    const pieces = splitLongString(value, CARD_LENGTH - prefix.length, CARD_LENGTH - 10);
    const out: string[] = [];
    pieces.forEach((p, k) => {
      const text = `'${quote(p)}'`;
      const line = k === 0 ? prefix + text : `CONTINUE  ${text}`;
      out.push(padCard(k === pieces.length - 1 ? withComment(line, card.comment) : line));
    });
    return out;
  }
  const v = formatValue(card);
  // Fixed format: right-justified to column 30 when it fits.
  const line = card.hierarch ? prefix + v : prefix + (v.length <= 20 ? v.padStart(20, ' ') : v);
  if (line.length > CARD_LENGTH) {
    throw new FitsError('BAD_VALUE', 'value does not fit in one card', { keyword: card.key });
  }
  return [padCard(withComment(line, card.comment))];
}

/** An ordered FITS header. Keys are unique except for commentary cards (COMMENT, HISTORY, blank). */
export class Header {
  private readonly cards: Card[] = [];

  constructor(cards: Iterable<Card> = []) {
    for (const c of cards) this.push(c);
  }

  /** All cards in order (a copy). */
  list(): Card[] {
    return this.cards.slice();
  }

  get length(): number {
    return this.cards.length;
  }

  /** Append a card, replacing in place an existing card of the same (non-commentary) key. */
  push(card: Card): this {
    if (card.type === 'end') return this;
    if (card.type !== 'commentary') {
      const i = this.indexOf(card.key);
      if (i >= 0) {
        this.cards[i] = card;
        return this;
      }
    }
    this.cards.push(card);
    return this;
  }

  /** Set a keyword: replaces the value in place (keeping order and the old comment unless a new one is given). */
  set(key: string, value: CardValue, opts: SetOptions | string = {}): this {
    const o = typeof opts === 'string' ? { comment: opts } : opts;
    const old = this.card(key);
    const comment = o.comment ?? old?.comment;
    return this.push(makeCard(key, value, { ...o, ...(comment !== undefined ? { comment } : {}) }));
  }

  /** Set a keyword as a float card (written with a decimal point even when the value is integral). */
  setFloat(key: string, value: number, comment?: string, decimals?: number): this {
    return this.set(key, value, {
      type: 'float',
      ...(comment !== undefined ? { comment } : {}),
      ...(decimals !== undefined ? { decimals } : {}),
    });
  }

  /** Set a keyword as an integer card. */
  setInt(key: string, value: number | bigint, comment?: string): this {
    return this.set(key, value, { type: 'int', ...(comment !== undefined ? { comment } : {}) });
  }

  /** Insert a card before the card `before` (or at the index), replacing any card of the same key. */
  insert(at: string | number, card: Card): this {
    if (card.type !== 'commentary') this.delete(card.key);
    let i = typeof at === 'number' ? at : this.indexOf(at);
    if (i < 0 || i > this.cards.length) i = this.cards.length;
    this.cards.splice(i, 0, card);
    return this;
  }

  comment(text: string): this {
    return this.commentary('COMMENT', text);
  }

  history(text: string): this {
    return this.commentary('HISTORY', text);
  }

  /** A commentary card; text longer than 72 characters continues on further cards of the same keyword. */
  commentary(key: 'COMMENT' | 'HISTORY' | '', text: string): this {
    checkText(key, text, 'commentary text');
    if (text.length <= 72) {
      this.cards.push({ key, type: 'commentary', value: text });
      return this;
    }
    for (let i = 0; i < text.length; i += 72) this.cards.push({ key, type: 'commentary', value: text.slice(i, i + 72) });
    return this;
  }

  indexOf(key: string): number {
    return this.cards.findIndex((c) => c.key === key && c.type !== 'commentary');
  }

  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  card(key: string): Card | undefined {
    const i = this.indexOf(key);
    return i >= 0 ? this.cards[i] : undefined;
  }

  /** The JavaScript value of a keyword, or undefined when absent. */
  get(key: string): CardValue | undefined {
    return this.card(key)?.value;
  }

  getString(key: string): string | undefined {
    const c = this.card(key);
    if (c === undefined || c.type === 'undefined') return undefined;
    if (c.type !== 'string') throw new FitsError('BAD_VALUE', `expected a string, found ${c.type}`, { keyword: key });
    return c.value as string;
  }

  /** A numeric value (int or float card) as a JavaScript number. */
  getNumber(key: string): number | undefined {
    const c = this.card(key);
    if (c === undefined || c.type === 'undefined') return undefined;
    if (c.type !== 'int' && c.type !== 'float') {
      throw new FitsError('BAD_VALUE', `expected a number, found ${c.type}`, { keyword: key });
    }
    return Number(c.value);
  }

  /** An integer card's value; throws on a float or other type. */
  getInt(key: string): number | undefined {
    const c = this.card(key);
    if (c === undefined || c.type === 'undefined') return undefined;
    if (c.type !== 'int') throw new FitsError('BAD_VALUE', `expected an integer, found ${c.type}`, { keyword: key });
    const n = Number(c.value);
    if (!Number.isSafeInteger(n)) throw new FitsError('BAD_VALUE', 'integer out of safe range', { keyword: key });
    return n;
  }

  getBool(key: string): boolean | undefined {
    const c = this.card(key);
    if (c === undefined || c.type === 'undefined') return undefined;
    if (c.type !== 'bool') throw new FitsError('BAD_VALUE', `expected a logical, found ${c.type}`, { keyword: key });
    return c.value as boolean;
  }

  /** Remove a keyword; returns whether it was present. */
  delete(key: string): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.cards.splice(i, 1);
    return true;
  }

  clone(): Header {
    return new Header(this.cards);
  }

  /** The commentary texts of a keyword, in order. */
  commentaries(key: 'COMMENT' | 'HISTORY' | ''): string[] {
    return this.cards.filter((c) => c.type === 'commentary' && c.key === key).map((c) => String(c.value));
  }

  /** Key of the first card whose value needs the CONTINUE long-string convention, if any. */
  firstLongString(): string | undefined {
    return this.cards.find((c) => c.type === 'string' && formatCard(c).length > 1)?.key;
  }

  /** The card images, END included, padded with blank cards to a whole number of 2880-byte blocks. */
  toCardImages(): string[] {
    const lines: string[] = [];
    for (const c of this.cards) lines.push(...formatCard(c));
    lines.push(padCard('END'));
    while (lines.length % CARDS_PER_BLOCK !== 0) lines.push(' '.repeat(CARD_LENGTH));
    return lines;
  }

  /** The header as bytes: a whole number of 2880-byte blocks of ASCII. */
  toBytes(): Uint8Array {
    const lines = this.toCardImages();
    const out = new Uint8Array(lines.length * CARD_LENGTH);
    let o = 0;
    for (const line of lines) {
      for (let i = 0; i < CARD_LENGTH; i++) out[o++] = line.charCodeAt(i);
    }
    return out;
  }

  /** Plain object of keyword -> value (commentary cards omitted), for JSON sidecars and tests. */
  toObject(): Record<string, string | number | boolean | null> {
    const o: Record<string, string | number | boolean | null> = {};
    for (const c of this.cards) {
      if (c.type === 'commentary') continue;
      o[c.key] = typeof c.value === 'bigint' ? Number(c.value) : c.value;
    }
    return o;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;

interface ParsedValue {
  type: CardType;
  value: CardValue;
  comment?: string;
  /** For strings: the raw unescaped text, before CONTINUE joining. */
}

/** Parse the value-and-comment field of a card (the text after '= '). */
function parseValueField(field: string, key: string): ParsedValue {
  const s = field.replace(/^ +/, '');
  if (s.startsWith("'")) {
    let i = 1;
    let out = '';
    for (;;) {
      if (i >= s.length) throw new FitsError('BAD_CARD', 'unterminated string value', { keyword: key });
      const ch = s[i];
      if (ch === "'") {
        if (s[i + 1] === "'") {
          out += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      out += ch;
      i++;
    }
    const rest = s.slice(i).trim();
    let comment: string | undefined;
    if (rest.startsWith('/')) comment = rest.slice(1).trim();
    else if (rest !== '') throw new FitsError('BAD_CARD', 'text after a string value', { keyword: key });
    // Trailing spaces in a string are not significant; leading ones are.
    return { type: 'string', value: out.replace(/ +$/, ''), ...(comment !== undefined ? { comment } : {}) };
  }
  const slash = s.indexOf('/');
  const token = (slash >= 0 ? s.slice(0, slash) : s).trim();
  const comment = slash >= 0 ? s.slice(slash + 1).trim() : undefined;
  const withComment = comment !== undefined ? { comment } : {};
  if (token === '') return { type: 'undefined', value: null, ...withComment };
  if (token === 'T' || token === 'F') return { type: 'bool', value: token === 'T', ...withComment };
  if (INT_RE.test(token)) {
    const n = Number(token);
    return { type: 'int', value: Number.isSafeInteger(n) ? n : BigInt(token), ...withComment };
  }
  if (FLOAT_RE.test(token)) {
    return { type: 'float', value: Number(token.replace(/[Dd]/, 'E')), ...withComment };
  }
  if (/^\(.*\)$/.test(token)) {
    // Complex values are rare in raws; keep their text so nothing is lost.
    return { type: 'string', value: token, ...withComment };
  }
  throw new FitsError('BAD_CARD', `unparsable value ${JSON.stringify(token)}`, { keyword: key });
}

/**
 * Parse header bytes (starting at a header's first card) up to and including END.
 * Returns the header and the number of bytes the header occupies (whole blocks).
 * Errors carry byte offsets relative to `bytes`; callers add the HDU's position.
 */
export function parseHeader(bytes: Uint8Array): { header: Header; byteLength: number } {
  const header = new Header();
  const nCards = Math.floor(bytes.length / CARD_LENGTH);
  let pendingString: { key: string; hierarch: boolean; value: string; comment?: string } | null = null;

  const flushString = (): void => {
    if (pendingString) {
      const p = pendingString;
      pendingString = null;
      header.push({
        key: p.key,
        type: 'string',
        value: p.value,
        ...(p.comment !== undefined && p.comment !== '' ? { comment: p.comment } : {}),
        ...(p.hierarch ? { hierarch: true } : {}),
      });
    }
  };

  for (let n = 0; n < nCards; n++) {
    const off = n * CARD_LENGTH;
    let line = '';
    for (let i = 0; i < CARD_LENGTH; i++) {
      const b = bytes[off + i]!;
      if (b < 0x20 || b > 0x7e) {
        throw new FitsError('BAD_CARD', `non-ASCII byte 0x${b.toString(16)} in header card`, { offset: off + i });
      }
      line += String.fromCharCode(b);
    }
    const key8 = line.slice(0, 8).trimEnd();
    try {
      if (key8 === 'END' && line.slice(8).trim() === '') {
        flushString();
        const used = (n + 1) * CARD_LENGTH;
        return { header, byteLength: Math.ceil(used / BLOCK_LENGTH) * BLOCK_LENGTH };
      }
      if (key8 === 'CONTINUE' && pendingString && line.slice(8, 10) !== '= ') {
        const pv = parseValueField(line.slice(8), key8);
        if (pv.type === 'string') {
          const prev: string = pendingString.value;
          const text = pv.value as string;
          pendingString.value = prev.slice(0, -1) + text;
          if (pv.comment !== undefined) pendingString.comment = pv.comment;
          if (!text.endsWith('&')) flushString();
          continue;
        }
      }
      flushString();
      if (key8 === 'HIERARCH') {
        const eq = line.indexOf('=');
        if (eq < 0) {
          header.push({ key: 'HIERARCH', type: 'commentary', value: line.slice(8).trimEnd() });
          continue;
        }
        const key = line.slice(9, eq).trim();
        const pv = parseValueField(line.slice(eq + 1), key);
        if (pv.type === 'string' && (pv.value as string).endsWith('&')) {
          pendingString = { key, hierarch: true, value: pv.value as string, ...(pv.comment !== undefined ? { comment: pv.comment } : {}) };
          continue;
        }
        header.push({ key, hierarch: true, type: pv.type, value: pv.value, ...(pv.comment ? { comment: pv.comment } : {}) });
        continue;
      }
      if (!/^[A-Z0-9_-]*$/.test(key8)) {
        throw new FitsError('BAD_KEYWORD', `invalid keyword ${JSON.stringify(key8)}`, { offset: off });
      }
      if (line.slice(8, 10) !== '= ' || COMMENTARY.has(key8)) {
        header.push({ key: key8, type: 'commentary', value: line.slice(8).trimEnd() });
        continue;
      }
      const pv = parseValueField(line.slice(10), key8);
      if (pv.type === 'string' && (pv.value as string).endsWith('&')) {
        pendingString = { key: key8, hierarch: false, value: pv.value as string, ...(pv.comment !== undefined ? { comment: pv.comment } : {}) };
        continue;
      }
      header.push({ key: key8, type: pv.type, value: pv.value, ...(pv.comment ? { comment: pv.comment } : {}) });
    } catch (e) {
      if (e instanceof FitsError && e.offset === undefined) {
        throw new FitsError(e.code, e.detail, { offset: off, ...(e.keyword !== undefined ? { keyword: e.keyword } : {}) });
      }
      throw e;
    }
  }
  throw new FitsError('TRUNCATED', 'header has no END card', { offset: bytes.length });
}
