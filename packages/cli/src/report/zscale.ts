/**
 * The IRAF/astropy zscale display range: sort a sample of the image, fit a line to the sorted values with
 * iterative rejection, and show median ± (slope / contrast) over the sample, which brings out the faint sky
 * texture without letting stars or cosmic rays set the scale.
 */
import { quantileSorted } from './stats.js';

export interface ZscaleOptions {
  /** Pixels sampled [1000]. */
  samples?: number;
  /** [0.25] */
  contrast?: number;
  /** Rejection threshold in σ of the line fit [2.5]. */
  krej?: number;
  /** At most this fraction of the sample rejected [0.5]. */
  maxReject?: number;
  iterations?: number;
}

export function zscale(values: ArrayLike<number>, opts: ZscaleOptions = {}): { z1: number; z2: number } {
  const nSamples = opts.samples ?? 1000;
  const contrast = opts.contrast ?? 0.25;
  const krej = opts.krej ?? 2.5;
  const maxReject = opts.maxReject ?? 0.5;
  const iterations = opts.iterations ?? 5;
  const stride = Math.max(1, Math.floor(values.length / nSamples));
  const sample: number[] = [];
  for (let i = 0; i < values.length && sample.length < nSamples; i += stride) if (Number.isFinite(values[i]!)) sample.push(values[i]!);
  if (sample.length === 0) return { z1: 0, z2: 1 };
  const s = Float64Array.from(sample).sort();
  const n = s.length;
  const zmin = s[0]!;
  const zmax = s[n - 1]!;
  const med = quantileSorted(s, 0.5);
  const minPix = Math.max(5, Math.floor(n * (1 - maxReject)));
  if (n < minPix) return { z1: zmin, z2: zmax };
  // Fit s[i] = a + b * x with x centred, rejecting points off the line.
  const x = (i: number): number => i - (n - 1) / 2;
  const keep = new Uint8Array(n).fill(1);
  let ngood = n;
  let slope = 0;
  let intercept: number;
  for (let it = 0; it < iterations; it++) {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      const xi = x(i);
      sx += xi;
      sy += s[i]!;
      sxx += xi * xi;
      sxy += xi * s[i]!;
      k++;
    }
    const den = k * sxx - sx * sx;
    if (k < 2 || den === 0) break;
    slope = (k * sxy - sx * sy) / den;
    intercept = (sy - slope * sx) / k;
    let ss = 0;
    for (let i = 0; i < n; i++) if (keep[i]) ss += (s[i]! - (intercept + slope * x(i))) ** 2;
    const sigma = Math.sqrt(ss / k);
    let rejected = 0;
    for (let i = 0; i < n; i++) {
      if (keep[i] && Math.abs(s[i]! - (intercept + slope * x(i))) > krej * sigma) {
        keep[i] = 0;
        rejected++;
      }
    }
    ngood -= rejected;
    if (rejected === 0 || ngood < minPix) break;
  }
  if (ngood < minPix) return { z1: zmin, z2: zmax };
  const b = slope / contrast;
  const center = (n - 1) / 2;
  const z1 = Math.max(zmin, med - center * b);
  const z2 = Math.min(zmax, med + (n - 1 - center) * b);
  return z1 < z2 ? { z1, z2 } : { z1: zmin, z2: zmax };
}

/** Map values into 0..255 between z1 and z2 (linear, clipped). */
export function stretch(values: ArrayLike<number>, z1: number, z2: number): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = z2 > z1 ? 255 / (z2 - z1) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! - z1) * scale;
    out[i] = v <= 0 || !Number.isFinite(v) ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}
