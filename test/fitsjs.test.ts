/**
 * fitsjs (named in the design card; last release 2015) as one more independent reader of our uncompressed files.
 * In Node it needs three shims: an XMLHttpRequest that reads a path, and a synchronous replacement for the Web
 * Worker it starts to decode pixels (its own decoder swaps bytes in place, so it is given a copy). It cannot read
 * Rice-compressed integer images correctly, unsigned 16-bit or BITPIX -64 (see README), so it checks only what it
 * can: headers, and int16, int32 and float32 pixels.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Header, encodeFits } from '@daqsim/fits';
import { firstDifference, tempDir } from './support/tools.js';

interface FitsjsImage {
  bitpix: number;
  getFrame(frame: number, cb: (arr: ArrayLike<number>) => void): void;
  _getFrame(buf: ArrayBuffer, bitpix: number, bzero: number, bscale: number): ArrayLike<number>;
  invoke(cb: unknown, opts: unknown, data: unknown): void;
  bzero: number;
  bscale: number;
}
interface FitsjsHdu {
  header: { get(key: string): unknown };
  data: FitsjsImage;
}
type FitsCtor = new (path: string, cb: (this: { hdus: FitsjsHdu[] }) => void) => unknown;

const require = createRequire(import.meta.url);
const mod = require('fitsjs') as { astro: { FITS: FitsCtor & { Image: { prototype: FitsjsImage & Record<string, unknown> } } } };
const g = globalThis as Record<string, unknown>;
g.astro = mod.astro;
g.XMLHttpRequest = class {
  url = '';
  response: ArrayBuffer | null = null;
  status = 0;
  onload: () => void = () => undefined;
  open(_method: string, url: string): void {
    this.url = url;
  }
  send(): void {
    setImmediate(() => {
      const b = readFileSync(this.url);
      this.response = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
      this.status = 200;
      this.onload();
    });
  }
};
mod.astro.FITS.Image.prototype._getFrameAsync = function (this: FitsjsImage, buffers: ArrayBuffer[], cb: unknown, opts: unknown) {
  const parts = buffers.map((b) => this._getFrame(b.slice(0), this.bitpix, this.bzero, this.bscale));
  this.invoke(cb, opts, parts[0]);
};

function openWithFitsjs(path: string): Promise<FitsjsHdu[]> {
  return new Promise((resolve) => {
    new mod.astro.FITS(path, function () {
      resolve(this.hdus);
    });
  });
}

function frame(hdu: FitsjsHdu): Promise<ArrayLike<number>> {
  return new Promise((resolve) => hdu.data.getFrame(0, resolve));
}

describe('fitsjs reads our plain files', () => {
  it('agrees on headers and on int16, int32 and float32 pixels', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const i32 = Int32Array.from({ length: 576 * 40 }, (_, i) => (i === 0 ? -2147483647 : i === 1 ? 2147483646 : 20000 + (i % 97)));
      const i16 = Int16Array.from({ length: 64 * 30 }, (_, i) => (i % 65536) - 32768);
      const f32 = Float32Array.from({ length: 50 * 20 }, (_, i) => (i - 500) * 0.25);
      const path = join(dir, 'plain.fits');
      writeFileSync(
        path,
        encodeFits([
          { header: new Header().set('INSTRUME', 'ComCam').setFloat('EXPTIME', 30) },
          { header: new Header().set('EXTNAME', 'Segment10'), data: i32, shape: [576, 40] },
          { header: new Header().set('EXTNAME', 'I16'), data: i16, shape: [64, 30] },
          { header: new Header().set('EXTNAME', 'F32'), data: f32, shape: [50, 20] },
        ]),
      );
      const hdus = await openWithFitsjs(path);
      expect(hdus[0]!.header.get('INSTRUME')).toBe('ComCam');
      expect(hdus[0]!.header.get('EXPTIME')).toBe(30);
      expect(hdus[1]!.header.get('EXTNAME')).toBe('Segment10');
      expect(firstDifference(Array.from(await frame(hdus[1]!)), Array.from(i32))).toBeNull();
      expect(firstDifference(Array.from(await frame(hdus[2]!)), Array.from(i16))).toBeNull();
      expect(firstDifference(Array.from(await frame(hdus[3]!)), Array.from(f32))).toBeNull();
    } finally {
      cleanup();
    }
  });
});
