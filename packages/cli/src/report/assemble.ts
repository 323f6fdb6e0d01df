/**
 * CCD assembly: where each data pixel of an amp (readout order) lands in the assembled CCD (DM orientation). The
 * data block of amp k, columns [x0, x0 + w) of rows [0, h), goes to its ccdBox mirrored by flipX / flipY, the
 * same mapping @daqsim/core's rawToCcd describes.
 */
import type { PixelBox } from './qa.js';

export interface AmpPlacement {
  readonly ccdBox: PixelBox;
  readonly flipX: boolean;
  readonly flipY: boolean;
}

/** CCD column of data column u (0 = first data column read) and CCD row of data row j. */
export function ccdX(p: AmpPlacement, u: number): number {
  return p.flipX ? p.ccdBox.x0 + p.ccdBox.width - 1 - u : p.ccdBox.x0 + u;
}

export function ccdY(p: AmpPlacement, j: number): number {
  return p.flipY ? p.ccdBox.y0 + p.ccdBox.height - 1 - j : p.ccdBox.y0 + j;
}

/**
 * Write an amp's data block (width × height, readout order, already corrected) into a CCD image of `ccdWidth`
 * columns as v × scale + offset.
 */
export function placeAmp(ccd: Float32Array, ccdWidth: number, block: Float32Array, p: AmpPlacement, scale = 1, offset = 0): void {
  const w = p.ccdBox.width;
  const h = p.ccdBox.height;
  for (let j = 0; j < h; j++) {
    const row = ccdY(p, j) * ccdWidth;
    const src = j * w;
    if (p.flipX) {
      const x0 = row + p.ccdBox.x0 + w - 1;
      for (let u = 0; u < w; u++) ccd[x0 - u] = block[src + u]! * scale + offset;
    } else {
      const x0 = row + p.ccdBox.x0;
      for (let u = 0; u < w; u++) ccd[x0 + u] = block[src + u]! * scale + offset;
    }
  }
}

/** Block sums for a thumbnail: add an amp's data block (× scale) into `factor`-pixel blocks of the CCD. */
export class BlockAccumulator {
  readonly width: number;
  readonly height: number;
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;

  constructor(
    ccdWidth: number,
    ccdHeight: number,
    readonly factor: number,
  ) {
    this.width = Math.ceil(ccdWidth / factor);
    this.height = Math.ceil(ccdHeight / factor);
    this.sum = new Float64Array(this.width * this.height);
    this.count = new Uint32Array(this.width * this.height);
  }

  add(block: Float32Array, p: AmpPlacement, scale = 1): void {
    const w = p.ccdBox.width;
    const f = this.factor;
    const bx = new Int32Array(w);
    for (let u = 0; u < w; u++) bx[u] = Math.floor(ccdX(p, u) / f);
    const { sum, count } = this;
    for (let j = 0; j < p.ccdBox.height; j++) {
      const by = Math.floor(ccdY(p, j) / f) * this.width;
      const src = j * w;
      for (let u = 0; u < w; u++) {
        const k = by + bx[u]!;
        sum[k] = sum[k]! + block[src + u]! * scale;
        count[k] = count[k]! + 1;
      }
    }
  }

  /** Block means, bottom row first; blocks no amp reached are NaN. */
  result(): Float32Array {
    const out = new Float32Array(this.sum.length);
    for (let k = 0; k < out.length; k++) out[k] = this.count[k]! > 0 ? this.sum[k]! / this.count[k]! : NaN;
    return out;
  }
}
