/**
 * Per-amplifier and per-CCD QA metrics computed from raw pixels, as pure functions of typed arrays so each can be
 * tested on synthetic data with a known answer.
 *
 * An amp arrives in readout order, `rawWidth` columns per row: serial prescan | data | serial overscan, data rows
 * first, then the parallel overscan rows. Boxes are 0-based ({x0, y0, width, height}).
 */
import { clippedStats, madSigma, median, strided } from './stats.js';

export interface PixelBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

export type Pixels = ArrayLike<number>;

/**
 * Overscan columns to skip next to the data: serial CTI leaves a decaying trail of the last data pixels there,
 * which would bias a bright row's level up.
 */
export const OVERSCAN_SKIP_COLUMNS = 2;

/** The serial-overscan level of every row of the box (median across its columns, skipping the CTI trail). */
export function rowOverscanLevels(pix: Pixels, rawWidth: number, overscan: PixelBox, skip = OVERSCAN_SKIP_COLUMNS): Float64Array {
  const s = Math.min(skip, Math.max(0, overscan.width - 1));
  const cols = overscan.width - s;
  const levels = new Float64Array(overscan.height);
  const row = new Float64Array(cols);
  for (let j = 0; j < overscan.height; j++) {
    const base = (overscan.y0 + j) * rawWidth + overscan.x0 + s;
    for (let c = 0; c < cols; c++) row[c] = pix[base + c]!;
    levels[j] = median(row);
  }
  return levels;
}

export interface OverscanStats {
  /** Bias level: the mean of the row levels [ADU]. */
  bias: number;
  /** Read noise: scatter of overscan pixels about their row's level [ADU]. */
  noise: number;
}

/**
 * Bias and read noise from the serial overscan after per-row subtraction, which takes out row-correlated noise
 * and slow drifts so what remains is the pixel read noise. Subtracting a median of n pixels leaves residuals
 * with variance σ²(1 − (2 − π/2)/n) (the median's influence function); that factor is divided out.
 */
export function overscanStats(pix: Pixels, rawWidth: number, overscan: PixelBox, levels = rowOverscanLevels(pix, rawWidth, overscan), skip = OVERSCAN_SKIP_COLUMNS): OverscanStats {
  const s = Math.min(skip, Math.max(0, overscan.width - 1));
  const cols = overscan.width - s;
  const resid = new Float64Array(cols * overscan.height);
  let k = 0;
  let sum = 0;
  for (let j = 0; j < overscan.height; j++) {
    const base = (overscan.y0 + j) * rawWidth + overscan.x0 + s;
    const level = levels[j]!;
    sum += level;
    for (let c = 0; c < cols; c++) resid[k++] = pix[base + c]! - level;
  }
  const { std } = clippedStats(resid, 4);
  const factor = cols > 1 ? Math.sqrt(1 - (2 - Math.PI / 2) / cols) : 1;
  return { bias: sum / overscan.height, noise: std / factor };
}

/**
 * The data section with each row's overscan level subtracted, in readout order (width × height floats). Rows of
 * the data box beyond the overscan's rows use the last level.
 */
export function overscanCorrected(pix: Pixels, rawWidth: number, data: PixelBox, levels: Float64Array, overscanY0 = 0): Float32Array {
  const out = new Float32Array(data.width * data.height);
  for (let j = 0; j < data.height; j++) {
    const level = levels[Math.min(levels.length - 1, Math.max(0, data.y0 + j - overscanY0))]!;
    const base = (data.y0 + j) * rawWidth + data.x0;
    const o = j * data.width;
    for (let i = 0; i < data.width; i++) out[o + i] = pix[base + i]! - level;
  }
  return out;
}

/** Fraction of data pixels at or above `saturation` (raw ADU, bias included, as SATURATE is). */
export function saturatedFraction(pix: Pixels, rawWidth: number, data: PixelBox, saturation: number): number {
  let n = 0;
  for (let j = 0; j < data.height; j++) {
    const base = (data.y0 + j) * rawWidth + data.x0;
    for (let i = 0; i < data.width; i++) if (pix[base + i]! >= saturation) n++;
  }
  return n / (data.width * data.height);
}

export interface Background {
  /** Median level [same unit as the input]. */
  level: number;
  /** Robust scatter (MAD), which sources and cosmic rays barely move. */
  sigma: number;
}

/** Background level and noise of an image from a deterministic sample of about `samples` pixels. */
export function background(values: Pixels, samples = 50_000): Background {
  const s = strided(values, samples);
  const level = median(s);
  return { level, sigma: madSigma(s, level) };
}

export interface BadColumn {
  /** CCD column and the rows of the amp it was found in. */
  x: number;
  y0: number;
  y1: number;
  /** Median significance along it: > 0 hot, < 0 dark. */
  level: number;
}

/**
 * Hot and dark columns: in every amp box of a significance image, a column whose median (over every 4th row) is
 * beyond `limit` σ. A median ignores stars and bleed trails crossing a column unless they cover most of it. Found
 * columns are zeroed in place so detection does not break them into hundreds of sharp fragments.
 */
export function maskBadColumns(sig: Float32Array, width: number, boxes: readonly PixelBox[], limit = 1.5): BadColumn[] {
  const out: BadColumn[] = [];
  for (const b of boxes) {
    const rows = Math.ceil(b.height / 4);
    const col = new Float64Array(rows);
    for (let x = b.x0; x < b.x0 + b.width; x++) {
      for (let k = 0; k < rows; k++) col[k] = sig[(b.y0 + 4 * k) * width + x]!;
      const level = median(col);
      if (Math.abs(level) > limit) {
        out.push({ x, y0: b.y0, y1: b.y0 + b.height - 1, level });
        for (let y = b.y0; y < b.y0 + b.height; y++) sig[y * width + x] = 0;
      }
    }
  }
  return out;
}

/**
 * 3 × 3 box sum divided by 3: on white noise of unit σ the result has unit σ again, while a PSF-wide source gains
 * about √9-fold. Detecting on it finds fainter sources and keeps an extended galaxy in one piece.
 */
export function smooth3(sig: Float32Array, width: number, height: number): Float32Array {
  // Horizontal 3-sums into a ring of three row buffers, then the vertical sum of three of them.
  const out = new Float32Array(width * height);
  const rows = [new Float32Array(width), new Float32Array(width), new Float32Array(width)];
  const zero = new Float32Array(width);
  const rowSum = (y: number, buf: Float32Array): void => {
    const o = y * width;
    if (width === 1) {
      buf[0] = sig[o]!;
      return;
    }
    buf[0] = sig[o]! + sig[o + 1]!;
    for (let x = 1; x < width - 1; x++) buf[x] = sig[o + x - 1]! + sig[o + x]! + sig[o + x + 1]!;
    buf[width - 1] = sig[o + width - 2]! + sig[o + width - 1]!;
  };
  for (let y = 0; y < Math.min(2, height); y++) rowSum(y, rows[y % 3]!);
  for (let y = 0; y < height; y++) {
    if (y + 1 < height && y >= 1) rowSum(y + 1, rows[(y + 1) % 3]!);
    const a = y > 0 ? rows[(y - 1) % 3]! : zero;
    const b = rows[y % 3]!;
    const c = y + 1 < height ? rows[(y + 1) % 3]! : zero;
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = (a[x]! + b[x]! + c[x]!) / 3;
  }
  return out;
}

export type DetectionKind = 'source' | 'cosmic-ray' | 'hot-pixel';

export interface Detection {
  kind: DetectionKind;
  /** Pixels above threshold in the smoothed image. */
  pixels: number;
  /** Of those, pixels above `coreThreshold` in the unsmoothed image. */
  corePixels: number;
  /** Peak significance (unsmoothed) and its position. */
  peak: number;
  x: number;
  y: number;
  /** Bounding box. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Largest excess of the peak over what the optics allow given its neighbours: max over axes of peak − R × mean(two opposite neighbours), σ. */
  sharpness: number;
}

export interface DetectOptions {
  /** Threshold on the smoothed significance, σ [5]. */
  threshold?: number;
  /**
   * R: the largest peak-to-neighbour ratio light through the optics can have [2.5]. A Moffat PSF of 2.5 px FWHM
   * (0.5" on LSST) reaches 2.4 along a diagonal; a cosmic ray's neighbours across its track are near zero.
   */
  psfRatio?: number;
  /** How far above R × neighbours the peak must be to be called sharp, σ [5]. */
  sharpSigma?: number;
  /** Unsmoothed significance that makes a pixel part of a detection's core [5]. */
  coreThreshold?: number;
  /** Fewest pixels above threshold a source needs (noise peaks of the smoothed image are 1–2 pixels) [3]. */
  minPixels?: number;
  /** Stop labelling after this many detections (a flat with a lamp fault could light up everything) [100000]. */
  maxDetections?: number;
}

/**
 * Threshold + 8-connected components on the smoothed significance `smooth` (background 0, unit noise), each
 * classified on the unsmoothed `sig` at its peak: sharp ones are cosmic rays, or hot pixels when a single pixel
 * stands out (cosmic-ray tracks and worms light several; one frame cannot tell a one-pixel hit from a hot pixel),
 * the rest sources.
 */
export function detect(sig: Float32Array, smooth: Float32Array, width: number, height: number, opts: DetectOptions = {}): Detection[] {
  const threshold = opts.threshold ?? 5;
  const R = opts.psfRatio ?? 2.5;
  const sharpSigma = opts.sharpSigma ?? 5;
  const max = opts.maxDetections ?? 100_000;
  const minPixels = opts.minPixels ?? 3;
  const coreThreshold = opts.coreThreshold ?? 5;
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(Math.min(width * height, 1 << 22));
  const out: Detection[] = [];
  for (let start = 0; start < smooth.length && out.length < max; start++) {
    if (seen[start] || !(smooth[start]! > threshold)) continue;
    let sp = 0;
    stack[sp++] = start;
    seen[start] = 1;
    let pixels = 0;
    let corePixels = 0;
    let peak = -Infinity;
    let peakIdx = start;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    while (sp > 0) {
      const p = stack[--sp]!;
      pixels++;
      const v = sig[p]!;
      if (v > coreThreshold) corePixels++;
      if (v > peak) {
        peak = v;
        peakIdx = p;
      }
      const px = p % width;
      const py = (p - px) / width;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = py + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const q = ny * width + nx;
          if (!seen[q] && smooth[q]! > threshold) {
            seen[q] = 1;
            // A component larger than the stack is cut short rather than overflowing it.
            if (sp < stack.length) stack[sp++] = q;
          }
        }
      }
    }
    const x = peakIdx % width;
    const y = (peakIdx - x) / width;
    // Negative neighbours (noise) count as 0, so they cannot make a faint star look sharp. An axis leaving the
    // image says nothing (a star cut by the edge is not sharp).
    const across = (ax: number, ay: number): number => {
      const xa = x - ax;
      const ya = y - ay;
      const xb = x + ax;
      const yb = y + ay;
      if (xa < 0 || xb < 0 || xa >= width || xb >= width || ya < 0 || yb < 0 || ya >= height || yb >= height) return -Infinity;
      return peak - (R * (Math.max(0, sig[ya * width + xa]!) + Math.max(0, sig[yb * width + xb]!))) / 2;
    };
    const sharpness = Math.max(across(1, 0), across(0, 1), across(1, 1), across(1, -1));
    const kind: DetectionKind = sharpness > sharpSigma ? (corePixels > 1 ? 'cosmic-ray' : 'hot-pixel') : 'source';
    if (kind === 'source' && pixels < minPixels) continue;
    out.push({ kind, pixels, corePixels, peak, x, y, x0, y0, x1, y1, sharpness });
  }
  return out;
}

/** Detections counted by kind. */
export function countKinds(dets: readonly Detection[]): Record<DetectionKind, number> {
  const c: Record<DetectionKind, number> = { source: 0, 'cosmic-ray': 0, 'hot-pixel': 0 };
  for (const d of dets) c[d.kind]++;
  return c;
}

/**
 * Fraction of a Moffat PSF's flux (β, FWHM in pixels) falling in the square of half-width `half` pixels centred
 * on it, by midpoint integration. half = 0.5 is the peak pixel; half = 1.5 the 3 × 3 box detection sums.
 */
export function moffatBoxFraction(fwhmPixels: number, half: number, beta = 3.5): number {
  const alpha2 = (fwhmPixels / (2 * Math.sqrt(2 ** (1 / beta) - 1))) ** 2;
  const norm = (beta - 1) / (Math.PI * alpha2);
  const steps = Math.max(8, Math.ceil(half * 16));
  const d = (2 * half) / steps;
  let s = 0;
  for (let i = 0; i < steps; i++) {
    const x = -half + (i + 0.5) * d;
    for (let j = 0; j < steps; j++) {
      const y = -half + (j + 0.5) * d;
      s += norm * (1 + (x * x + y * y) / alpha2) ** -beta;
    }
  }
  return Math.min(1, s * d * d);
}
