import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitsError } from '../src/errors.js';
import { type Card, Header, parseHeader } from '../src/header.js';
import { type IntImageData, compressImageHdu, decompressImageHdu, isCompressedImageHeader } from '../src/tiled.js';
import { gaussian, mulberry32 as prng } from '../../../test/support/random.js';

// ---------------------------------------------------------------------------------------------------------
// Local FITS helpers (the package's writer/reader are tested elsewhere; these tests build files by hand).

const pad2880 = (n: number): number => Math.ceil(n / 2880) * 2880;

function primaryHeader(): Header {
  const h = new Header();
  h.set('SIMPLE', true, 'conforms to FITS standard');
  h.set('BITPIX', 8, 'array data type');
  h.set('NAXIS', 0, 'number of array dimensions');
  h.set('EXTEND', true);
  return h;
}

/** A FITS file: an empty primary HDU, then the given extensions, data zero-padded to whole blocks. */
function fitsFile(hdus: { header: Header; data: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [primaryHeader().toBytes()];
  for (const h of hdus) {
    parts.push(h.header.toBytes());
    const d = new Uint8Array(pad2880(h.data.length));
    d.set(h.data);
    parts.push(d);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** An uncompressed IMAGE extension with the same structural cards (and comments) as our writer's. */
function imageHdu(user: Header, data: IntImageData, shape: number[]): { header: Header; data: Uint8Array } {
  const h = new Header();
  h.set('XTENSION', 'IMAGE', 'image extension');
  const bitpix = data instanceof Int32Array ? 32 : data instanceof Uint8Array ? 8 : 16;
  h.set('BITPIX', bitpix, 'array data type');
  h.set('NAXIS', shape.length, 'number of array dimensions');
  shape.forEach((n, k) => h.set(`NAXIS${k + 1}`, n));
  h.set('PCOUNT', 0, 'number of parameters');
  h.set('GCOUNT', 1, 'number of groups');
  if (data instanceof Uint16Array) {
    h.set('BZERO', 32768, 'offset data range to that of unsigned short');
    h.set('BSCALE', 1, 'default scaling factor');
  }
  for (const c of user.list()) h.push(c);
  const bytes = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (bitpix === 32) view.setInt32(i * 4, data[i]!);
    else if (bitpix === 16) view.setInt16(i * 2, data instanceof Uint16Array ? data[i]! - 32768 : data[i]!);
    else bytes[i] = data[i]!;
  }
  return { header: h, data: bytes };
}

/** Header and data of extension 1 (the HDU after an empty primary) of a FITS file. */
function readExtension(file: Uint8Array): { header: Header; data: Uint8Array } {
  const p = parseHeader(file);
  const e = parseHeader(file.subarray(p.byteLength));
  const h = e.header;
  const start = p.byteLength + e.byteLength;
  let len: number;
  if (h.get('XTENSION') === 'BINTABLE') len = h.getInt('NAXIS1')! * h.getInt('NAXIS2')! + (h.getInt('PCOUNT') ?? 0);
  else {
    len = Math.abs(h.getInt('BITPIX')!) / 8;
    for (let k = 1; k <= h.getInt('NAXIS')!; k++) len *= h.getInt(`NAXIS${k}`)!;
  }
  return { header: h, data: file.subarray(start, start + len) };
}

function user(extname?: string): Header {
  const h = new Header();
  if (extname !== undefined) h.set('EXTNAME', extname);
  h.set('DATASEC', '[1:509,1:2000]', 'data section');
  h.set('CCDSUM', '1 1');
  h.comment('a commentary card survives');
  return h;
}

function roundTrip(data: IntImageData, shape: number[], opts: Parameters<typeof compressImageHdu>[3] = {}): { header: Header; data: Uint8Array } {
  const c = compressImageHdu(user('AMP'), data, shape, opts);
  const back = decompressImageHdu(c.header, c.data);
  expect(back.data.constructor).toBe(data.constructor);
  expect(back.shape).toEqual(shape);
  expect(Buffer.compare(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength), Buffer.from(data.buffer, data.byteOffset, data.byteLength))).toBe(0);
  return c;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    return `${(e as FitsError).code}: ${(e as FitsError).message}`;
  }
  return 'no error';
}

/** A copy of a header with some cards replaced (by key) or removed (value undefined), order kept. */
function edit(h: Header, changes: Record<string, Card['value'] | undefined>): Header {
  const out = new Header();
  for (const c of h.list()) {
    if (c.key in changes && c.type !== 'commentary') {
      const v = changes[c.key];
      if (v !== undefined) out.set(c.key, v);
    } else out.push(c);
  }
  for (const [k, v] of Object.entries(changes)) if (v !== undefined && !out.has(k)) out.set(k, v);
  return out;
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

function noise(n: number, seed: number, bias = 20000, sigma = 7): number[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => Math.round(bias + sigma * gaussian(rnd)));
}

// ---------------------------------------------------------------------------------------------------------

describe('compressImageHdu / decompressImageHdu', () => {
  it('round-trips every integer type and tile shape', () => {
    const rnd = prng(11);
    const shapes: [number[], number[] | undefined][] = [
      [[57, 13], undefined], // row tiles
      [[57, 13], [57, 13]], // whole image
      [[57, 13], [16, 5]], // 2-D tiles with partial edge tiles
      [[57, 13], [100, 100]], // tiles larger than the image cover it
      [[1, 40], undefined], // 1-pixel-wide image: one-pixel tiles
      [[1, 1], undefined],
      [[12, 5, 4], [5, 2, 3]], // 3-D with partial tiles on every axis
      [[12, 5, 4], [12, 5, 1]], // planes
      [[300], undefined],
    ];
    for (const [shape, tile] of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const opts = tile ? { tile } : {};
      roundTrip(Int32Array.from({ length: n }, () => (rnd() < 0.1 ? (rnd() < 0.5 ? I32_MIN : I32_MAX) : Math.round(20000 + 7 * gaussian(rnd)))), shape, opts);
      roundTrip(Int16Array.from({ length: n }, () => (rnd() < 0.1 ? (rnd() < 0.5 ? -32768 : 32767) : Math.round(20000 + 7 * gaussian(rnd)))), shape, opts);
      roundTrip(Uint16Array.from({ length: n }, () => (rnd() < 0.1 ? (rnd() < 0.5 ? 0 : 65535) : Math.round(60000 + 7 * gaussian(rnd)))), shape, opts);
      roundTrip(Uint8Array.from({ length: n }, () => (rnd() * 256) >>> 0), shape, opts);
      roundTrip(new Int32Array(n).fill(-7), shape, opts);
      roundTrip(Int32Array.from(noise(n, 3)), shape, { ...opts, algorithm: 'GZIP_1' });
      roundTrip(Uint16Array.from(noise(n, 4, 60000)), shape, { ...opts, algorithm: 'GZIP_1' });
      roundTrip(Int32Array.from(noise(n, 5)), shape, { ...opts, blockSize: 16 });
    }
  });

  it('writes the header fpack writes, in its order, then the caller cards', () => {
    const u = user();
    u.set('BZERO', 5);
    u.set('NAXIS1', 99);
    u.set('ZCMPTYPE', 'GZIP_1');
    u.set('CHECKSUM', 'x');
    const { header, data } = compressImageHdu(u, Uint16Array.from(noise(20, 1, 60000)), [10, 2]);
    const keys = header.list().map((c) => c.key);
    expect(keys).toEqual([
      'XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'TFIELDS', 'TTYPE1', 'TFORM1',
      'ZIMAGE', 'ZTILE1', 'ZTILE2', 'ZCMPTYPE', 'ZNAME1', 'ZVAL1', 'ZNAME2', 'ZVAL2', 'EXTNAME', 'ZTENSION',
      'ZBITPIX', 'ZNAXIS', 'ZNAXIS1', 'ZNAXIS2', 'ZPCOUNT', 'ZGCOUNT', 'BZERO', 'BSCALE', 'DATASEC', 'CCDSUM', 'COMMENT',
    ]);
    expect(header.toObject()).toMatchObject({
      XTENSION: 'BINTABLE', BITPIX: 8, NAXIS: 2, NAXIS1: 8, NAXIS2: 2, GCOUNT: 1, TFIELDS: 1, TTYPE1: 'COMPRESSED_DATA',
      ZIMAGE: true, ZTILE1: 10, ZTILE2: 1, ZCMPTYPE: 'RICE_1', ZNAME1: 'BLOCKSIZE', ZVAL1: 32, ZNAME2: 'BYTEPIX', ZVAL2: 2,
      EXTNAME: 'COMPRESSED_IMAGE', ZTENSION: 'IMAGE', ZBITPIX: 16, ZNAXIS: 2, ZNAXIS1: 10, ZNAXIS2: 2, BZERO: 32768, BSCALE: 1,
    });
    expect(header.getInt('PCOUNT')! + 16).toBe(data.length);
    const view = new DataView(data.buffer, data.byteOffset);
    const maxLen = Math.max(view.getInt32(0), view.getInt32(8));
    expect(header.get('TFORM1')).toBe(`1PB(${maxLen})`);
    expect(isCompressedImageHeader(header)).toBe(true);
    expect(isCompressedImageHeader(user())).toBe(false);

    // The image header comes back as our writer writes it; the placeholder EXTNAME is dropped again.
    const back = decompressImageHdu(header, data);
    expect(back.header.list().map((c) => c.key)).toEqual([
      'XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'BZERO', 'BSCALE', 'DATASEC', 'CCDSUM', 'COMMENT',
    ]);
    expect(back.header.toObject()).toMatchObject({ XTENSION: 'IMAGE', BITPIX: 16, NAXIS1: 10, NAXIS2: 2, BZERO: 32768 });
    expect(back.header.card('DATASEC')?.comment).toBe('data section');
    expect(back.data).toBeInstanceOf(Uint16Array);

    const named = compressImageHdu(user('Segment10'), new Int32Array(4), [2, 2]);
    expect(named.header.get('EXTNAME')).toBe('Segment10');
    expect(named.header.list().filter((c) => c.key === 'EXTNAME')).toHaveLength(1);
    expect(decompressImageHdu(named.header, named.data).header.get('EXTNAME')).toBe('Segment10');
    expect(compressImageHdu(user(), new Int32Array(4), [2, 2], { algorithm: 'GZIP_1' }).header.has('ZNAME1')).toBe(false);
  });

  it('reads 1QB descriptors, a THEAP gap, ZVALn in any order and per-tile fallback columns', () => {
    const img = Int32Array.from(noise(60, 8));
    const c = compressImageHdu(user('X'), img, [10, 6], { blockSize: 16 });
    const rows = 6;
    const v = new DataView(c.data.buffer, c.data.byteOffset);
    const heap = c.data.subarray(rows * 8);

    // 1QB: 16-byte descriptors; plus 100 unused bytes between table and heap, found through THEAP.
    const gap = 100;
    const q = new Uint8Array(rows * 16 + gap + heap.length);
    const qv = new DataView(q.buffer);
    for (let r = 0; r < rows; r++) {
      qv.setBigInt64(r * 16, BigInt(v.getInt32(r * 8)));
      qv.setBigInt64(r * 16 + 8, BigInt(v.getInt32(r * 8 + 4)));
    }
    q.set(heap, rows * 16 + gap);
    const qh = edit(c.header, { NAXIS1: 16, PCOUNT: gap + heap.length, TFORM1: '1QB(99)', THEAP: rows * 16 + gap });
    expect(Array.from(decompressImageHdu(qh, q).data)).toEqual(Array.from(img));

    // ZNAME/ZVAL pairs swapped.
    const swapped = edit(c.header, { ZNAME1: 'BYTEPIX', ZVAL1: 4, ZNAME2: 'BLOCKSIZE', ZVAL2: 16 });
    expect(Array.from(decompressImageHdu(swapped, c.data).data)).toEqual(Array.from(img));

    // cfitsio's fallbacks: tile 2 stored raw (UNCOMPRESSED_DATA, 1PJ), tile 4 gzipped (GZIP_COMPRESSED_DATA).
    const raw = new Uint8Array(40);
    for (let i = 0; i < 10; i++) new DataView(raw.buffer).setInt32(i * 4, img[10 + i]!);
    const beTile4 = new Uint8Array(40);
    for (let i = 0; i < 10; i++) new DataView(beTile4.buffer).setInt32(i * 4, img[30 + i]!);
    const gz4 = gzipSync(beTile4);
    const table = new Uint8Array(rows * 24);
    const tv = new DataView(table.buffer);
    const extra = new Uint8Array(heap.length + raw.length + gz4.length);
    extra.set(heap);
    extra.set(raw, heap.length);
    extra.set(gz4, heap.length + raw.length);
    for (let r = 0; r < rows; r++) {
      const len = v.getInt32(r * 8);
      const off = v.getInt32(r * 8 + 4);
      tv.setInt32(r * 24, r === 1 || r === 3 ? 0 : len);
      tv.setInt32(r * 24 + 4, off);
      if (r === 3) {
        tv.setInt32(r * 24 + 8, gz4.length);
        tv.setInt32(r * 24 + 12, heap.length + raw.length);
      }
      if (r === 1) {
        tv.setInt32(r * 24 + 16, 10);
        tv.setInt32(r * 24 + 20, heap.length);
      }
    }
    const fb = new Uint8Array(table.length + extra.length);
    fb.set(table);
    fb.set(extra, table.length);
    const fh = edit(c.header, {
      NAXIS1: 24, PCOUNT: extra.length, TFIELDS: 3,
      TTYPE2: 'GZIP_COMPRESSED_DATA', TFORM2: '1PB(99)', TTYPE3: 'UNCOMPRESSED_DATA', TFORM3: '1PJ(10)',
    });
    expect(Array.from(decompressImageHdu(fh, fb).data)).toEqual(Array.from(img));
  });

  it('rejects bad headers and data with typed errors before allocating the image', () => {
    const img = Int32Array.from(noise(60, 9));
    const c = compressImageHdu(user('X'), img, [10, 6]);
    const d = c.data;
    const h = c.header;
    // A tiny file claiming a huge image: refused from the byte count, not by running out of memory.
    expect(codeOf(() => decompressImageHdu(edit(h, { ZNAXIS1: 1_000_000_000, ZTILE1: 1_000_000_000, ZNAXIS2: 6 }), d))).toMatch(
      /^BAD_COMPRESSION: tile 1: \d+ Rice bytes cannot hold 1000000000 pixels/,
    );
    expect(codeOf(() => decompressImageHdu(edit(h, { ZNAXIS2: 7 }), d))).toMatch(/^BAD_COMPRESSION: .*7 tiles, but the table has 6 rows/);
    expect(codeOf(() => decompressImageHdu(h, d.subarray(0, d.length - 1)))).toMatch(/^TRUNCATED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZCMPTYPE: 'HCOMPRESS_1' }), d))).toMatch(/^UNSUPPORTED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZBITPIX: -32 }), d))).toMatch(/^UNSUPPORTED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZVAL2: 8 }), d))).toMatch(/^UNSUPPORTED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZVAL1: 1 << 20 }), d))).toMatch(/^UNSUPPORTED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { TFORM1: '1PJ(9)' }), d))).toMatch(/^UNSUPPORTED/);
    expect(codeOf(() => decompressImageHdu(edit(h, { TFORM1: '2J' }), d))).toMatch(/^UNSUPPORTED: COMPRESSED_DATA column of type J/);
    expect(codeOf(() => decompressImageHdu(edit(h, { TFORM1: '3J' }), d))).toMatch(/^BAD_HEADER: the TFORMn widths add up to 12/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZBITPIX: undefined }), d))).toMatch(/^MISSING_KEYWORD/);
    expect(codeOf(() => decompressImageHdu(edit(h, { THEAP: 5 }), d))).toMatch(/^BAD_HEADER/);
    expect(codeOf(() => decompressImageHdu(edit(h, { ZIMAGE: false }), d))).toMatch(/^BAD_HEADER/);

    // Descriptors pointing outside the heap, negative, or at too few bytes; a corrupt tile.
    const patch = (row: number, field: 0 | 1, value: number): Uint8Array => {
      const copy = d.slice();
      new DataView(copy.buffer).setInt32(row * 8 + field * 4, value);
      return copy;
    };
    expect(codeOf(() => decompressImageHdu(h, patch(2, 1, 1 << 30)))).toMatch(/^BAD_COMPRESSION: tile 3: COMPRESSED_DATA descriptor .* outside/);
    expect(codeOf(() => decompressImageHdu(h, patch(0, 0, -1)))).toMatch(/^BAD_COMPRESSION: tile 1:/);
    expect(codeOf(() => decompressImageHdu(h, patch(4, 0, 0)))).toMatch(/^BAD_COMPRESSION: tile 5 has no data/);
    const v = new DataView(d.buffer, d.byteOffset);
    const short = patch(5, 0, v.getInt32(5 * 8) - 2);
    const e = codeOf(() => decompressImageHdu(h, short));
    expect(e).toMatch(/^BAD_COMPRESSION: tile 6 of 6: Rice stream ends before all pixels are decoded \(byte \d+\)/);
    const scrambled = d.slice();
    const firstTile = 6 * 8 + v.getInt32(4);
    scrambled[firstTile + 4] = 0xff; // block code 31 in the first tile
    expect(codeOf(() => decompressImageHdu(h, scrambled))).toMatch(/^BAD_COMPRESSION: tile 1 of 6: invalid Rice block code/);
  });

  it('corrupted tables and heaps fail only with FitsError', () => {
    const rnd = prng(31);
    for (const [data, shape, tile] of [
      [Int32Array.from(noise(300, 32)), [30, 10], undefined],
      [Int16Array.from(noise(300, 33)), [30, 10], [7, 4]],
      [Uint8Array.from(noise(300, 34, 100)), [30, 10], undefined],
    ] as const) {
      const c = compressImageHdu(user(), data, [...shape], tile ? { tile: [...tile] } : {});
      for (let trial = 0; trial < 200; trial++) {
        const d = c.data.slice();
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) d[Math.floor(rnd() * d.length)] ^= 1 << Math.floor(rnd() * 8);
        try {
          const back = decompressImageHdu(c.header, d);
          expect(back.data.length).toBe(300);
        } catch (e) {
          expect(e).toBeInstanceOf(FitsError);
        }
      }
    }
  });

  it('rejects bad compression requests with USAGE', () => {
    expect(codeOf(() => compressImageHdu(user(), new Int32Array(6), [4, 2]))).toMatch(/^USAGE: shape \[4, 2\] holds 8 pixels/);
    expect(codeOf(() => compressImageHdu(user(), new Int32Array(6), [3, 2], { tile: [3] }))).toMatch(/^USAGE/);
    expect(codeOf(() => compressImageHdu(user(), new Int32Array(6), [3, 2], { tile: [0, 1] }))).toMatch(/^USAGE/);
    expect(codeOf(() => compressImageHdu(user(), new Int32Array(6), [3, 2], { blockSize: 0 }))).toMatch(/^USAGE/);
    expect(codeOf(() => compressImageHdu(user(), new Float32Array(6) as unknown as Int32Array, [3, 2]))).toMatch(/^USAGE/);
    expect(codeOf(() => compressImageHdu(user(), new Int32Array(0), [0]))).toMatch(/^USAGE/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Interoperability with cfitsio (fpack, funpack, fitsverify) and astropy.

function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const PYTHON = '/usr/bin/python3';
const missing = [
  ...['fpack', 'funpack', 'fitsverify'].filter((t) => !hasTool(t)),
  ...(existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import astropy, numpy']).status === 0 ? [] : ['astropy (/usr/bin/python3)']),
];

const PY_CHECK = `
import sys, json, numpy as np
from astropy.io import fits
res = {}
for c in json.load(open(sys.argv[1])):
    ref = np.fromfile(c['bin'], dtype=c['dtype']).reshape(c['shape'])
    r = {}
    for key, path in (('funpack', c['unpacked']), ('astropy', c['ours'])):
        with fits.open(path) as hl:
            d = hl[1].data
            r[key] = bool(d is not None and d.shape == ref.shape and np.array_equal(d, ref))
            r[key + '_dtype'] = str(d.dtype)
    if c['astropy_out']:
        fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(ref, compression_type='RICE_1')]).writeto(c['astropy_out'], overwrite=True)
    res[c['name']] = r
print(json.dumps(res))
`;

interface InteropCase {
  name: string;
  data: IntImageData;
  shape: number[];
  tile?: number[];
  gzip?: boolean;
}

function cases(): InteropCase[] {
  const rnd = prng(99);
  const ext32 = Int32Array.from({ length: 2000 }, (_, i) => [I32_MIN, I32_MAX, 0, -1, (rnd() * 4294967296) | 0][i % 5 === 4 ? 4 : Math.floor(rnd() * 4)]!);
  const ext16 = Int16Array.from({ length: 2000 }, (_, i) => [-32768, 32767, 0, -1, (rnd() * 65536) | 0][i % 5 === 4 ? 4 : Math.floor(rnd() * 4)]!);
  const out: InteropCase[] = [];
  for (const [t, Ctor] of [['i32', Int32Array], ['i16', Int16Array]] as const) {
    out.push(
      { name: `${t}-extremes`, data: t === 'i32' ? ext32 : ext16, shape: [100, 20] },
      { name: `${t}-constant`, data: new Ctor(640).fill(20000), shape: [64, 10] },
      { name: `${t}-single-pixel-tiles`, data: Ctor.from(noise(50, 21)), shape: [1, 50] },
      { name: `${t}-noise`, data: Ctor.from(noise(576 * 64, 22)), shape: [576, 64] },
      { name: `${t}-2d-tiles`, data: Ctor.from(noise(100 * 30, 23)), shape: [100, 30], tile: [32, 8] },
      { name: `${t}-oversized-tiles`, data: Ctor.from(noise(100 * 30, 27)), shape: [100, 30], tile: [1000, 7] },
    );
  }
  out.push(
    { name: 'u16-noise', data: Uint16Array.from(noise(576 * 16, 24, 60000)), shape: [576, 16] },
    { name: 'u16-extremes', data: Uint16Array.from({ length: 1000 }, () => (rnd() < 0.5 ? 0 : 65535)), shape: [50, 20] },
    { name: 'u8-noise', data: Uint8Array.from(noise(200 * 10, 25, 100, 3)), shape: [200, 10] },
    { name: 'i32-gzip', data: Int32Array.from(noise(100 * 10, 26)), shape: [100, 10], gzip: true },
  );
  return out;
}

describe.skipIf(missing.length > 0)(
  `interoperability with fpack/funpack/fitsverify/astropy${missing.length > 0 ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    let dir = '';
    const all = cases();
    const ours = new Map<string, { header: Header; data: Uint8Array }>();
    let py: Record<string, { funpack: boolean; astropy: boolean; funpack_dtype: string; astropy_dtype: string }> = {};
    const path = (name: string, suffix: string): string => join(dir, `${name}${suffix}`);
    const run = (cmd: string, args: string[]): { status: number | null; out: string } => {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'daqsim-tiled-'));
      const manifest = [];
      for (const c of all) {
        const opts = { ...(c.tile ? { tile: c.tile } : {}), ...(c.gzip ? { algorithm: 'GZIP_1' as const } : {}) };
        const comp = compressImageHdu(user('Segment10'), c.data, c.shape, opts);
        ours.set(c.name, comp);
        writeFileSync(path(c.name, '.ours.fz'), fitsFile([comp]));
        writeFileSync(path(c.name, '.fits'), fitsFile([imageHdu(user('Segment10'), c.data, c.shape)]));
        writeFileSync(path(c.name, '.bin'), new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
        const fp = run('fpack', [...(c.tile ? ['-t', c.tile.join(',')] : []), ...(c.gzip ? ['-g'] : []), '-O', path(c.name, '.fpack.fz'), path(c.name, '.fits')]);
        expect(fp.status, fp.out).toBe(0);
        const up = run('funpack', ['-O', path(c.name, '.unpacked.fits'), path(c.name, '.ours.fz')]);
        expect(up.status, up.out).toBe(0);
        const dtype = c.data instanceof Int32Array ? '<i4' : c.data instanceof Int16Array ? '<i2' : c.data instanceof Uint16Array ? '<u2' : 'u1';
        manifest.push({
          name: c.name, bin: path(c.name, '.bin'), dtype, shape: c.shape.slice().reverse(), ours: path(c.name, '.ours.fz'),
          unpacked: path(c.name, '.unpacked.fits'), astropy_out: c.gzip ? '' : path(c.name, '.astropy.fz'),
        });
      }
      writeFileSync(path('manifest', '.json'), JSON.stringify(manifest));
      writeFileSync(path('check', '.py'), PY_CHECK);
      const r = run(PYTHON, [path('check', '.py'), path('manifest', '.json')]);
      expect(r.status, r.out).toBe(0);
      py = JSON.parse(r.out.trim().split('\n').pop()!) as typeof py;
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of cases()) {
      it(`${c.name}: fitsverify clean, funpack and astropy read our file, we read fpack's${c.gzip ? '' : ' and astropy\'s'}, tiles byte-identical to fpack`, () => {
        const v = run('fitsverify', ['-q', path(c.name, '.ours.fz')]);
        expect(v.out).toMatch(/verification OK/);
        expect(v.status).toBe(0);
        expect(py[c.name]).toMatchObject({ funpack: true, astropy: true });

        const ref = Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength);
        const decode = (file: string): Header => {
          const ext = readExtension(new Uint8Array(readFileSync(file)));
          const back = decompressImageHdu(ext.header, ext.data);
          expect(back.data.constructor).toBe(c.data.constructor);
          expect(back.shape).toEqual(c.shape);
          expect(Buffer.compare(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength), ref)).toBe(0);
          return back.header;
        };
        const imageCards = (h: Header): string[] => h.toCardImages().filter((l) => !/^(CHECKSUM|DATASUM)\b/.test(l));
        // fpack keeps the image header; decompressing gives back exactly the header of the file fpack read.
        expect(imageCards(decode(path(c.name, '.fpack.fz')))).toEqual(imageCards(imageHdu(user('Segment10'), c.data, c.shape).header));
        if (!c.gzip) decode(path(c.name, '.astropy.fz'));

        // fpack of the same image: same table and heap bytes, same header but for fpack's checksum cards.
        const fp = readExtension(new Uint8Array(readFileSync(path(c.name, '.fpack.fz'))));
        const mine = ours.get(c.name)!;
        const cards = (h: Header): string[] =>
          h.toCardImages().filter((l) => !/^(CHECKSUM|DATASUM|END)\b|^ {80}$/.test(l) && !(c.gzip && /^(PCOUNT|TFORM1) /.test(l)));
        expect(cards(mine.header)).toEqual(cards(fp.header));
        if (!c.gzip) expect(Buffer.compare(Buffer.from(mine.data), Buffer.from(fp.data))).toBe(0);
      });
    }

    it('decodes fpack output of a primary-HDU image (ZSIMPLE) back into a primary header', () => {
      const img = Int32Array.from({ length: 600 }, (_, i) => i * 7 - 2000);
      const h = new Header();
      h.set('SIMPLE', true, 'conforms to FITS standard');
      h.set('BITPIX', 32, 'array data type');
      h.set('NAXIS', 2, 'number of array dimensions');
      h.set('NAXIS1', 30);
      h.set('NAXIS2', 20);
      h.set('EXTEND', true, 'FITS file may contain extensions');
      h.set('OBSID', 'MC_O_20261124_000001');
      const body = imageHdu(new Header(), img, [30, 20]).data;
      const file = new Uint8Array(2880 + pad2880(body.length));
      file.set(h.toBytes());
      file.set(body, 2880);
      writeFileSync(path('prim', '.fits'), file);
      const r = run('fpack', ['-O', path('prim', '.fz'), path('prim', '.fits')]);
      expect(r.status, r.out).toBe(0);
      const ext = readExtension(new Uint8Array(readFileSync(path('prim', '.fz'))));
      expect(ext.header.get('ZSIMPLE')).toBe(true);
      const back = decompressImageHdu(ext.header, ext.data);
      expect(Array.from(back.data)).toEqual(Array.from(img));
      expect(back.header.toCardImages().filter((l) => !/^(CHECKSUM|DATASUM)\b/.test(l))).toEqual(h.toCardImages());
    });

    it('decodes fpack GZIP_2 (byte-shuffled) tiles', () => {
      const c = all.find((x) => x.name === 'i16-noise')!;
      const r = run('fpack', ['-g2', '-O', path('g2', '.fz'), path(c.name, '.fits')]);
      expect(r.status, r.out).toBe(0);
      const ext = readExtension(new Uint8Array(readFileSync(path('g2', '.fz'))));
      expect(ext.header.get('ZCMPTYPE')).toBe('GZIP_2');
      expect(Array.from(decompressImageHdu(ext.header, ext.data).data)).toEqual(Array.from(c.data));
    });
  },
);
