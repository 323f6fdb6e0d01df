/**
 * One CCD's raw file -> a small PNG: each amp's data block, bias-subtracted by the median of its serial overscan and
 * scaled by its nominal gain, is placed into the assembled CCD by core's geometry (ccdBox, flipX, flipY; the DM
 * orientation), averaged down into square blocks, zscale-stretched and encoded. Overscan and prescan never enter the
 * image. The top row of the PNG is the CCD's highest y, so the picture shows the CCD as the pipelines' displays do.
 *
 * Cost is in decompression (about 15 ms per Rice-compressed LSSTCam amp). A binned thumbnail does not need every
 * row, so for a bin factor f only every ⌊f/4⌋th row of the data is decoded: with row tiles (ZTILE2 = 1, as the
 * camera and fpack write them) the tiles of the other rows are never touched.
 */
import type { Amplifier, Box, Detector } from '@daqsim/core';
import { decompressImageHdu, type FitsFile, type Header } from '@daqsim/fits';
import { encodeGrayPng, toBytes, zscale } from '@daqsim/core';

/** Longest side of a thumbnail the server renders [pixels]. */
export const THUMBNAIL_SIZES = { min: 16, max: 2048, default: 256 } as const;

export interface BinnedCcd {
  /** Block means in electrons, row-major, bottom row (y = 0) first; NaN where no amp was read. */
  data: Float32Array;
  width: number;
  height: number;
  /** CCD pixels per block side. */
  factor: number;
  /** Amps found in the file. */
  amps: number;
}

export interface Thumbnail {
  png: Uint8Array;
  width: number;
  height: number;
  factor: number;
  z1: number;
  z2: number;
  amps: number;
}

/** Some rows of one amp HDU (raw, readout order): row rows[i] starts at data[starts[i]]. */
interface AmpRows {
  width: number;
  rows: number[];
  starts: number[];
  data: ArrayLike<number>;
}

/**
 * A compressed image HDU restricted to some of its row tiles: the table keeps only those rows' descriptors and the
 * heap is carried over whole (descriptors point into it by offset), so core's decoder reads only the chosen tiles.
 * Undefined when the tiles are not single rows.
 */
function rowSubset(header: Header, data: Uint8Array, rows: readonly number[]): { header: Header; data: Uint8Array } | undefined {
  const naxis1 = header.getInt('ZNAXIS1');
  if (header.getInt('ZNAXIS') !== 2 || (header.getInt('ZTILE1') ?? naxis1) !== naxis1 || (header.getInt('ZTILE2') ?? 1) !== 1) return undefined;
  const rowBytes = header.getInt('NAXIS1') ?? 0;
  const nrows = header.getInt('NAXIS2') ?? 0;
  const tableBytes = rowBytes * nrows;
  const heapStart = header.getInt('THEAP') ?? tableBytes;
  const heapEnd = tableBytes + (header.getInt('PCOUNT') ?? 0);
  // Anything odd goes to the full decoder, which reports it properly.
  if (rowBytes <= 0 || heapStart < tableBytes || heapEnd > data.length || rows.some((r) => r < 0 || r >= nrows)) return undefined;
  const k = rows.length;
  const out = new Uint8Array(k * rowBytes + (heapEnd - heapStart));
  rows.forEach((r, i) => out.set(data.subarray(r * rowBytes, (r + 1) * rowBytes), i * rowBytes));
  out.set(data.subarray(heapStart, heapEnd), k * rowBytes);
  const h = header.clone().set('NAXIS2', k).set('ZNAXIS2', k).set('PCOUNT', heapEnd - heapStart).set('THEAP', k * rowBytes);
  return { header: h, data: out };
}

async function readAmpRows(f: FitsFile, index: number, rows: number[]): Promise<AmpRows> {
  const info = await f.info(index);
  if (info.kind === 'compressed-image') {
    // Worth it only when most tiles can be skipped.
    const sub = rows.length * 2 < (info.header.getInt('ZNAXIS2') ?? 0) ? rowSubset(info.header, await f.dataBytes(index), rows) : undefined;
    if (sub) {
      const img = decompressImageHdu(sub.header, sub.data);
      const width = img.shape[0]!;
      return { width, rows, starts: rows.map((_, i) => i * width), data: img.data };
    }
  }
  const img = await f.readImage(index);
  const width = img.shape[0]!;
  const kept = rows.filter((r) => r < (img.shape[1] ?? 1));
  const data = img.data instanceof BigInt64Array ? Float64Array.from(img.data, Number) : img.data;
  return { width, rows: kept, starts: kept.map((r) => r * width), data };
}

/**
 * Bias level of an amp: the interquartile mean of its serial overscan over (at most 64 of) the rows read. Robust
 * to cosmic rays like a median, but not quantized to the integer ADU steps a median of raw values takes, which show
 * as steps between amps on a faint sky. The first overscan columns carry the serial CTI trail and are left out.
 */
function overscanLevel(block: AmpRows, over: Box): number {
  const skip = over.width > 4 ? 3 : 0;
  const x1 = Math.min(over.x0 + over.width, block.width);
  const every = Math.max(1, Math.floor(block.rows.length / 64));
  const values: number[] = [];
  for (let i = 0; i < block.rows.length; i += every) {
    for (let x = over.x0 + skip; x < x1; x++) values.push(block.data[block.starts[i]! + x]!);
  }
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const lo = values.length >> 2;
  const hi = Math.max(lo + 1, values.length - lo);
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += values[i]!;
  return sum / (hi - lo);
}

/** Block sums of the assembled CCD. */
class Blocks {
  readonly width: number;
  readonly height: number;
  readonly sum: Float64Array;
  readonly count: Uint32Array;

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

  /** Add the data rows of one amp, (raw - bias) × gain, where core's geometry puts them. */
  add(amp: Amplifier, detector: Detector, block: AmpRows): void {
    const l = detector.layout;
    const { x0: dataX0, y0: dataY0, width: w, height: h } = l.data;
    const box = amp.ccdBox;
    const { rows, starts, data } = block;
    const b = overscanLevel(block, l.serialOverscan);
    const f = this.factor;
    const bx = new Int32Array(w);
    for (let u = 0; u < w; u++) bx[u] = Math.floor((amp.flipX ? box.x0 + w - 1 - u : box.x0 + u) / f);
    const { sum, count } = this;
    const gain = amp.gain;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]! - dataY0;
      if (v < 0 || v >= h) continue;
      const y = amp.flipY ? box.y0 + h - 1 - v : box.y0 + v;
      const row = Math.floor(y / f) * this.width;
      const src = starts[i]! + dataX0;
      for (let u = 0; u < w; u++) {
        const at = row + bx[u]!;
        sum[at]! += (data[src + u]! - b) * gain;
        count[at]!++;
      }
    }
  }

  means(): Float32Array {
    const out = new Float32Array(this.sum.length);
    for (let i = 0; i < out.length; i++) out[i] = this.count[i]! > 0 ? this.sum[i]! / this.count[i]! : NaN;
    return out;
  }
}

/** Bin one CCD file down so that its longer side has at most `size` blocks. */
export async function binCcd(file: FitsFile, detector: Detector, size: number): Promise<BinnedCcd> {
  const l = detector.layout;
  const factor = Math.max(1, Math.ceil(Math.max(l.ccdWidth, l.ccdHeight) / size));
  const step = Math.max(1, Math.floor(factor / 4));
  const rows: number[] = [];
  for (let j = l.data.y0; j < l.data.y0 + l.data.height; j += step) rows.push(j);
  const blocks = new Blocks(l.ccdWidth, l.ccdHeight, factor);
  let amps = 0;
  const n = await file.hduCount();
  for (let i = 1; i < n; i++) {
    const extname = (await file.header(i)).getString('EXTNAME')?.trim();
    const amp = detector.amps.find((a) => a.extname === extname);
    if (!amp) continue;
    blocks.add(amp, detector, await readAmpRows(file, i, rows));
    amps++;
  }
  return { data: blocks.means(), width: blocks.width, height: blocks.height, factor, amps };
}

/** The PNG of a binned CCD: zscale stretch, top row = highest y. */
export function thumbnailPng(ccd: BinnedCcd): Thumbnail {
  const range = zscale(ccd.data);
  const bytes = toBytes(ccd.data, range);
  const flipped = new Uint8Array(bytes.length);
  for (let y = 0; y < ccd.height; y++) flipped.set(bytes.subarray(y * ccd.width, (y + 1) * ccd.width), (ccd.height - 1 - y) * ccd.width);
  return { png: encodeGrayPng(flipped, ccd.width, ccd.height), width: ccd.width, height: ccd.height, factor: ccd.factor, ...range, amps: ccd.amps };
}

export async function renderThumbnail(file: FitsFile, detector: Detector, size: number): Promise<Thumbnail> {
  return thumbnailPng(await binCcd(file, detector, size));
}
