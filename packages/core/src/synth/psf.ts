/**
 * The point-spread function: a Moffat profile (1 + r²/α²)^-β with β = 3.5, close to a Kolmogorov atmosphere in its
 * core and wings. Evaluated through a table in u = r²/α² so painting a stamp costs a load and a multiply per pixel.
 * Galaxies use the same shape with α widened in quadrature by their size: a cheap stand-in for an exponential disk
 * convolved with the PSF that keeps their photometry exact (every stamp is normalized to its flux).
 */

export const MOFFAT_BETA = 3.5;

/** Moffat α [px] for a FWHM [px]. */
export function moffatAlpha(fwhm: number, beta = MOFFAT_BETA): number {
  return fwhm / (2 * Math.sqrt(2 ** (1 / beta) - 1));
}

const U_MAX = 2048;
const STEPS = 16384;
const DU = U_MAX / STEPS;
export const INV_DU = STEPS / U_MAX;
export const TABLE_STEPS = STEPS;

let profile: Float32Array | null = null;

/** The profile sampled on u in [0, U_MAX] (built once per thread). */
export function moffatTable(): Float32Array {
  if (profile) return profile;
  const t = new Float32Array(STEPS + 2);
  for (let k = 0; k < t.length; k++) t[k] = (1 + k * DU) ** -MOFFAT_BETA;
  profile = t;
  return t;
}

/** Profile value at u = r²/α² by linear interpolation; 0 beyond the table. */
export function moffatAt(table: Float32Array, u: number): number {
  const f = u * INV_DU;
  const k = f | 0;
  if (k >= STEPS) return 0;
  const w = f - k;
  return table[k]! + w * (table[k + 1]! - table[k]!);
}

/**
 * Stamp radius [px] for a source: out to where the profile falls below 0.05 e-/px, far under any sky noise, so the
 * cut is invisible while faint sources stay small; at least 2α and at most 100 px. The stamp is normalized to the
 * source's flux, so the cut moves wing light inward and never changes the total.
 */
export function stampRadius(alpha: number, flux: number): number {
  const peak = (Math.max(flux, 1) * (MOFFAT_BETA - 1)) / (Math.PI * alpha * alpha);
  const u = Math.max(0, (peak / 0.05) ** (1 / MOFFAT_BETA) - 1);
  return Math.min(Math.max(alpha * Math.sqrt(u), 2 * alpha), 100, alpha * Math.sqrt(U_MAX));
}

/** Sum of the profile over the stamp's pixel centres, so that a stamp scaled by flux/sum holds exactly flux. */
export function stampSum(table: Float32Array, x: number, y: number, alpha: number, radius: number): number {
  const inv = 1 / (alpha * alpha);
  const r2 = radius * radius;
  let sum = 0;
  const x0 = Math.ceil(x - radius);
  const x1 = Math.floor(x + radius);
  const y0 = Math.ceil(y - radius);
  const y1 = Math.floor(y + radius);
  for (let py = y0; py <= y1; py++) {
    const dy = py - y;
    for (let px = x0; px <= x1; px++) {
      const dx = px - x;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) sum += moffatAt(table, d2 * inv);
    }
  }
  return sum;
}
