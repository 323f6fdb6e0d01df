/**
 * Order statistics and robust scatter on plain arrays: the building blocks of the QA metrics. Pure functions;
 * nothing here allocates more than one copy of its input.
 */

/** k-th smallest (0-based) of `a`, reordering `a` in place (Hoare selection, expected linear time). */
export function selectInPlace(a: Float64Array | Float32Array | number[], k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const a = Float64Array.from(values);
  const hi = selectInPlace(a, n >> 1);
  if (n % 2 === 1) return hi;
  // After selection everything left of n/2 is <= hi: the other middle value is their maximum.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i]! > lo) lo = a[i]!;
  return (lo + hi) / 2;
}

/** Every `stride`-th value from `offset` (a cheap, deterministic sample of a large image). */
export function strided(values: ArrayLike<number>, maxSamples: number): Float64Array {
  const stride = Math.max(1, Math.ceil(values.length / maxSamples));
  const out = new Float64Array(Math.ceil(values.length / stride));
  for (let i = 0, k = 0; i < values.length; i += stride, k++) out[k] = values[i]!;
  return out;
}

/** 1.4826 × median absolute deviation: the standard deviation of Gaussian data, unmoved by a few outliers. */
export function madSigma(values: ArrayLike<number>, center = median(values)): number {
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs(values[i]! - center);
  return 1.4826 * median(dev);
}

export interface ClippedStats {
  mean: number;
  std: number;
  /** Values kept. */
  n: number;
}

/**
 * Mean and standard deviation after iterative `nsigma` clipping about the median. At 4σ clipping removes 0.006%
 * of Gaussian data and shrinks its standard deviation by 0.05%, so no correction is applied.
 */
export function clippedStats(values: ArrayLike<number>, nsigma = 4, iterations = 5): ClippedStats {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  let center = median(values);
  let sigma = madSigma(values, center);
  let mean = center;
  let std = sigma;
  let kept = n;
  for (let it = 0; it < iterations; it++) {
    const lo = center - nsigma * (sigma || Infinity);
    const hi = center + nsigma * (sigma || Infinity);
    let s = 0;
    let s2 = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v >= lo && v <= hi) {
        s += v;
        s2 += v * v;
        k++;
      }
    }
    if (k < 2) break;
    mean = s / k;
    std = Math.sqrt(Math.max(0, (s2 - s * mean) / (k - 1)));
    const converged = k === kept && it > 0;
    kept = k;
    center = mean;
    sigma = std;
    if (converged) break;
  }
  return { mean, std, n: kept };
}

/** Quantile q in [0, 1] of already sorted values, linear between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}
