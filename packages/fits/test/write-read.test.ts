import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FitsError,
  FitsFile,
  FitsFileWriter,
  Header,
  OnesComplementSum,
  type ImageData,
  checksumOf,
  decodeChecksum,
  encodeChecksum,
  encodeFits,
  readFits,
  writeFits,
} from '../src/index.js';
import { astropyDump, firstDifference, fitsverify, missing, tempDir } from '../../../test/support/tools.js';

/** Small deterministic generator so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function sampleImages(): Array<{ name: string; data: ImageData; shape: number[] }> {
  const w = 37;
  const h = 11;
  const n = w * h;
  const r = lcg(7);
  const fill = <T extends ImageData>(a: T, f: (i: number) => number | bigint): T => {
    for (let i = 0; i < a.length; i++) (a as unknown as Array<number | bigint>)[i] = f(i);
    return a;
  };
  return [
    { name: 'u8', data: fill(new Uint8Array(n), (i) => (i === 0 ? 0 : i === 1 ? 255 : Math.floor(r() * 256))), shape: [w, h] },
    { name: 'i16', data: fill(new Int16Array(n), (i) => (i === 0 ? -32768 : i === 1 ? 32767 : Math.floor(r() * 65536) - 32768)), shape: [w, h] },
    { name: 'u16', data: fill(new Uint16Array(n), (i) => (i === 0 ? 0 : i === 1 ? 65535 : Math.floor(r() * 65536))), shape: [w, h] },
    {
      name: 'i32',
      data: fill(new Int32Array(n), (i) => (i === 0 ? -2147483648 : i === 1 ? 2147483647 : 20000 + Math.round((r() - 0.5) * 100))),
      shape: [w, h],
    },
    { name: 'f32', data: fill(new Float32Array(n), (i) => (i === 0 ? -3.25 : (r() - 0.5) * 1e6)), shape: [w, h] },
    { name: 'f64', data: fill(new Float64Array(n), (i) => (i === 0 ? Number.MIN_VALUE : (r() - 0.5) * 1e300)), shape: [w, h] },
    { name: 'i64', data: fill(new BigInt64Array(n), (i) => (i === 0 ? -(2n ** 63n) : BigInt(Math.floor(r() * 1e9)) * 1000003n)), shape: [n] },
  ];
}

function mef(): Parameters<typeof encodeFits>[0] {
  const primary = new Header().set('INSTRUME', 'TESTCAM').setFloat('EXPTIME', 30, 'seconds').set('OBSID', 'MC_O_20261124_000001');
  return [
    { header: primary },
    ...sampleImages().map((s) => ({ header: new Header().set('EXTNAME', s.name.toUpperCase()), data: s.data, shape: s.shape })),
  ];
}

describe('write then read in memory', () => {
  it('returns every BITPIX in the matching typed array, exactly', async () => {
    const bytes = encodeFits(mef());
    expect(bytes.length % 2880).toBe(0);
    const hdus = await readFits(bytes);
    const samples = sampleImages();
    expect(hdus).toHaveLength(samples.length + 1);
    samples.forEach((s, k) => {
      const h = hdus[k + 1]!;
      expect('data' in h).toBe(true);
      if (!('data' in h)) return;
      expect(h.data.constructor).toBe(s.data.constructor);
      expect(h.shape).toEqual(s.shape);
      expect(firstDifference(h.data, s.data)).toBeNull();
      expect(h.header.get('EXTNAME')).toBe(s.name.toUpperCase());
    });
    expect(hdus[0]!.header.card('EXPTIME')!.type).toBe('float');
    const u16 = hdus.find((h) => h.header.get('EXTNAME') === 'U16')!;
    expect(u16.header.get('BZERO')).toBe(32768);
  });

  it('writes CHECKSUM and DATASUM that verify, and detects a flipped bit', async () => {
    const bytes = encodeFits(mef());
    const f = FitsFile.fromBytes(bytes);
    const n = await f.hduCount();
    for (let i = 0; i < n; i++) expect(await f.verifyChecksums(i)).toEqual({ checksum: 'ok', datasum: 'ok' });
    const info = await f.info(3);
    const bad = bytes.slice();
    bad[info.dataOffset + 5]! ^= 0x10;
    const g = FitsFile.fromBytes(bad);
    expect(await g.verifyChecksums(3)).toEqual({ checksum: 'bad', datasum: 'bad' });
    expect(await g.verifyChecksums(2)).toEqual({ checksum: 'ok', datasum: 'ok' });
  });

  it('encodes checksums as the convention specifies', () => {
    // The worked example of the checksum convention: the encoding of 868229149 (complemented) is
    // 'hcHjjc9ghcEghc9g', and decoding returns the complemented value.
    expect(encodeChecksum(868229149, true)).toBe('hcHjjc9ghcEghc9g');
    expect(decodeChecksum('hcHjjc9ghcEghc9g')).toBe(~868229149 >>> 0);
    // Sum of zeros is zero; odd chunking does not change a sum.
    expect(checksumOf(new Uint8Array(2880))).toBe(0);
    const r = lcg(3);
    const data = Uint8Array.from({ length: 10007 * 4 }, () => Math.floor(r() * 256));
    const whole = checksumOf(data);
    const s = new OnesComplementSum();
    s.update(data.subarray(0, 3)).update(data.subarray(3, 4099)).update(data.subarray(4099));
    expect(s.value).toBe(whole);
    // Unaligned views take the slow path and agree.
    const shifted = new Uint8Array(data.length + 1);
    shifted.set(data, 1);
    expect(checksumOf(shifted.subarray(1))).toBe(whole);
  });

  it('puts structural keywords first and ignores caller copies of them', async () => {
    const user = new Header().set('BITPIX', 8).set('NAXIS', 5).set('EXTNAME', 'SEG').set('SIMPLE', false);
    const bytes = encodeFits([{}, { header: user, data: new Int32Array(6), shape: [3, 2] }]);
    const h = await FitsFile.fromBytes(bytes).header(1);
    expect(h.list().map((c) => c.key)).toEqual(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'EXTNAME', 'CHECKSUM', 'DATASUM']);
    expect(h.getInt('BITPIX')).toBe(32);
  });

  it('rejects shapes that do not match the data', () => {
    expect(() => encodeFits([{ data: new Int32Array(6), shape: [4, 2] }])).toThrow(FitsError);
    expect(() => encodeFits([])).toThrow(/at least a primary/);
    expect(() => encodeFits([{}, { data: new Float32Array(4), compress: { algorithm: 'RICE_1' } }])).toThrow(/integer/);
    expect(() => encodeFits([{ data: new Int32Array(4), compress: { algorithm: 'RICE_1' } }])).toThrow(/primary/);
  });
});

describe('files on disk', () => {
  it('streams an image chunk by chunk to the same bytes as the one-shot writer, atomically', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const amp = new Int32Array(576 * 2048);
      const r = lcg(11);
      for (let i = 0; i < amp.length; i++) amp[i] = 15000 + Math.floor(r() * 40);
      const primary = new Header().set('OBSID', 'TEST');
      const one = encodeFits([{ header: primary }, { header: new Header().set('EXTNAME', 'Segment10'), data: amp, shape: [576, 2048] }]);

      const path = join(dir, 'streamed.fits');
      const w = await FitsFileWriter.create(path);
      await w.writeHdu({ header: primary });
      const s = await w.beginImage({ header: new Header().set('EXTNAME', 'Segment10'), shape: [576, 2048], sample: amp });
      for (let row = 0; row < 2048; row += 100) await s.write(amp.subarray(row * 576, Math.min(2048, row + 100) * 576));
      // Nothing is visible under the final name until close.
      expect(readdirSync(dir).filter((f) => f === 'streamed.fits')).toEqual([]);
      await s.end();
      await w.close();
      expect(readdirSync(dir)).toEqual(['streamed.fits']);
      expect(Buffer.compare(readFileSync(path), Buffer.from(one))).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('refuses a short stream and leaves no file behind on abort', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'bad.fits');
      const w = await FitsFileWriter.create(path);
      await w.writeHdu({});
      const s = await w.beginImage({ shape: [4, 4], sample: new Int16Array(0) });
      await s.write(new Int16Array(8));
      await expect(s.end()).rejects.toThrow(/ended after 16 of 32 bytes/);
      await expect(s.write(new Int32Array(1))).rejects.toThrow(/chunk type/);
      await w.abort();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('reads one HDU without reading the data of the others', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'mef.fits');
      await writeFits(path, mef());
      const f = await FitsFile.open(path);
      const img = await f.readImage(4);
      expect(img.header.get('EXTNAME')).toBe('I32');
      expect(img.data[0]).toBe(-2147483648);
      expect(await f.findExtension('F64')).toBe(6);
      await f.close();
    } finally {
      cleanup();
    }
  });
});

describe.skipIf(missing('fitsverify', 'astropy'))('independent readers: fitsverify and astropy', () => {
  it('fitsverify reports no error and no warning, astropy reads equal data and verifies checksums', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'all.fits');
      const longStr = 'a long string value that needs the CONTINUE convention because it is longer than a card, '.repeat(2) + 'end';
      const hdus = mef();
      hdus[0]!.header!.set('LONGSTR', longStr).set('ESO DET NAME', 'x').history('written by the daqsim test suite');
      writeFileSync(path, encodeFits(hdus));
      const v = fitsverify(path);
      expect(v.ok, v.output).toBe(true);
      const dump = astropyDump(path);
      expect(dump.checksumOk).toBe(true);
      const primary = dump.hdus[0]!;
      const card = (k: string): [string, string | number | boolean, string] | undefined => primary.cards.find((c) => c[0] === k);
      expect(card('EXPTIME')).toEqual(['EXPTIME', 30, 'float']);
      expect(card('LONGSTR')?.[1]).toBe(longStr);
      expect(card('ESO DET NAME')?.[1]).toBe('x');
      const samples = sampleImages();
      samples.forEach((s, k) => {
        const h = dump.hdus[k + 1]!;
        expect(h.name).toBe(s.name.toUpperCase());
        expect(h.shape).toEqual([...s.shape].reverse());
        expect(firstDifference(h.data!, s.data), s.name).toBeNull();
      });
    } finally {
      cleanup();
    }
  });
});

describe('hostile and truncated input', () => {
  it('names the HDU and offset of a truncated data unit', async () => {
    const bytes = encodeFits(mef());
    const f0 = FitsFile.fromBytes(bytes);
    const inf = await f0.info(4);
    const cut = bytes.subarray(0, inf.dataOffset + 100);
    const f = FitsFile.fromBytes(cut);
    await expect(f.header(3)).resolves.toBeInstanceOf(Header);
    const err = await f.info(4).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FitsError);
    expect((err as FitsError).code).toBe('TRUNCATED');
    expect((err as FitsError).hdu).toBe(4);
    expect((err as FitsError).offset).toBe(inf.dataOffset);
  });

  it('does not allocate what a tiny file claims', async () => {
    const h = new Header().set('SIMPLE', true).set('BITPIX', 32).set('NAXIS', 2).set('NAXIS1', 1_000_000_000).set('NAXIS2', 1_000_000);
    const bytes = h.toBytes();
    await expect(FitsFile.fromBytes(bytes).readImage(0)).rejects.toMatchObject({ code: 'TRUNCATED', hdu: 0 });
    await expect(FitsFile.fromBytes(new Uint8Array(100)).hduCount()).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(FitsFile.fromBytes(new Uint8Array(2880).fill(0x20)).hduCount()).rejects.toMatchObject({ code: 'TRUNCATED' });
    const notFits = new Header().set('XTENSION', 'IMAGE').set('BITPIX', 8).set('NAXIS', 0).toBytes();
    await expect(FitsFile.fromBytes(notFits).hduCount()).rejects.toMatchObject({ code: 'BAD_HEADER', keyword: 'SIMPLE' });
  });
});
