/**
 * Display stretch: the zscale algorithm of IRAF's display task (as astropy's ZScaleInterval implements it). A line
 * is fitted to the sorted sample with iterative k-sigma rejection; its slope, divided by the contrast, sets the
 * range around the median. Sky noise then fills the grey scale while stars and cosmic rays saturate, which is what
 * a glance at a raw frame needs. Same sample, fit, rejection and limits as astropy (the tests compare).
 */

export interface ZscaleOptions {
  /** Values sampled from the image (regularly spaced; astropy's default 1000). */
  samples?: number;
  /** Slope divisor: smaller shows a wider range. */
  contrast?: number;
  /** Largest fraction of the sample that may be rejected before the fit is abandoned (full range shown). */
  maxReject?: number;
  /** Rejection threshold in standard deviations of the residuals. */
  krej?: number;
  maxIterations?: number;
}

export interface ZscaleRange {
  z1: number;
  z2: number;
}

/** A regular sample of the finite values (all of them when there are fewer than `n`). */
function sample(values: ArrayLike<number>, n: number): Float64Array {
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite++;
  const stride = Math.max(1, Math.floor(finite / n));
  const out = new Float64Array(Math.min(n, finite));
  let k = 0;
  let seen = 0;
  for (let i = 0; i < values.length && k < out.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (seen++ % stride === 0) out[k++] = v;
  }
  return out.subarray(0, k);
}

/** Least-squares line y = a + b x over the points not flagged bad. */
function fitLine(y: Float64Array, bad: Uint8Array): { a: number; b: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (bad[i]) continue;
    n++;
    sx += i;
    sy += y[i]!;
    sxx += i * i;
    sxy += i * y[i]!;
  }
  const d = n * sxx - sx * sx;
  const b = d === 0 ? 0 : (n * sxy - sx * sy) / d;
  return { a: n === 0 ? 0 : (sy - b * sx) / n, b };
}

export function zscale(values: ArrayLike<number>, opts: ZscaleOptions = {}): ZscaleRange {
  const s = sample(values, opts.samples ?? 1000).sort();
  const n = s.length;
  if (n === 0) return { z1: 0, z2: 0 };
  const zmin = s[0]!;
  const zmax = s[n - 1]!;
  const center = (n - 1) >> 1;
  const median = n % 2 === 1 ? s[center]! : 0.5 * (s[center]! + s[center + 1]!);
  const contrast = opts.contrast ?? 0.25;
  const krej = opts.krej ?? 2.5;
  const minPixels = Math.max(5, Math.floor(n * (opts.maxReject ?? 0.5)));
  // Rejected points take their neighbours with them (a star's wings sit next to its core in the sorted sample).
  const grow = Math.max(1, Math.floor(n * 0.01));
  const bad = new Uint8Array(n);
  let good = n;
  let lastGood = n + 1;
  let fit = { a: median, b: 0 };
  for (let iter = 0; iter < (opts.maxIterations ?? 5) && good < lastGood && good >= minPixels; iter++) {
    fit = fitLine(s, bad);
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      if (bad[i]) continue;
      const r = s[i]! - (fit.a + fit.b * i);
      sum += r;
      sum2 += r * r;
    }
    const mean = sum / good;
    const threshold = krej * Math.sqrt(Math.max(0, sum2 / good - mean * mean));
    for (let i = 0; i < n; i++) if (Math.abs(s[i]! - (fit.a + fit.b * i)) > threshold) bad[i] = 1;
    // Dilate the whole mask by `grow` as numpy's convolve(mode='same') does: `before` below, the rest above.
    const before = (grow - 1) >> 1;
    const was = bad.slice();
    for (let j = 0; j < n; j++) {
      if (!was[j]) continue;
      for (let i = Math.max(0, j - before); i <= Math.min(n - 1, j + grow - 1 - before); i++) bad[i] = 1;
    }
    lastGood = good;
    good = 0;
    for (let i = 0; i < n; i++) if (!bad[i]) good++;
  }
  if (good < minPixels) return { z1: zmin, z2: zmax };
  const slope = contrast > 0 ? fit.b / contrast : fit.b;
  return { z1: Math.max(zmin, median - (center - 1) * slope), z2: Math.min(zmax, median + (n - center) * slope) };
}

/** Map values linearly from [z1, z2] to 0..255 (clipped); NaN (no data) is black. A flat range maps to mid-grey. */
export function toBytes(values: ArrayLike<number>, { z1, z2 }: ZscaleRange): Uint8Array {
  const out = new Uint8Array(values.length);
  const span = z2 - z1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const t = span > 0 ? ((v - z1) / span) * 255 : 128;
    out[i] = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
  }
  return out;
}
