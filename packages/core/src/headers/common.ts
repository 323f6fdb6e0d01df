/** Shared pieces of the header writers: provenance, number rounding and the exposure argument. */
import { DaqsimError } from '../errors.js';
import type { Camera } from '../cameras/types.js';
import { type Exposure, type ExposureInfo, resolveExposure } from '../exposure.js';
import { VERSION } from '../version.js';

/**
 * Where a file came from, written to the primary header as
 *   DAQSIMV  package version, DAQSEED  random seed, DAQPLAN  hash of the observing plan,
 *   SIMULATE = T (unless markSimulated is false).
 * astro_metadata_translator sets has_simulated_content when any keyword whose name contains SIMULATE is true,
 * so SIMULATE = T flags the content as synthetic whatever CONTRLLR says (a rehearsal may well use 'O').
 */
export interface Provenance {
  seed: number | bigint;
  planHash: string;
  /** Defaults to this package's version. */
  version?: string;
  /** Write SIMULATE = T (default true). */
  markSimulated?: boolean;
}

export const DEFAULT_PROVENANCE: Provenance = { seed: 0, planHash: 'none' };

export function checkProvenance(p: Provenance): Required<Provenance> {
  const version = p.version ?? VERSION;
  for (const [k, v] of [['planHash', p.planHash], ['version', version]] as const) {
    if (typeof v !== 'string' || !/^[\x20-\x7e]{1,68}$/.test(v)) {
      throw new DaqsimError('BAD_EXPOSURE', `provenance ${k} must be 1-68 printable ASCII characters`, { [k]: v });
    }
  }
  const seed = p.seed;
  if (typeof seed === 'number' ? !Number.isSafeInteger(seed) : seed < -(2n ** 63n) || seed >= 2n ** 64n) {
    throw new DaqsimError('BAD_EXPOSURE', 'provenance seed must be a safe integer or a 64-bit bigint', { seed: String(seed) });
  }
  return { seed, planHash: p.planHash, version, markSimulated: p.markSimulated ?? true };
}

/** Accept either a caller's ExposureInfo or an already resolved Exposure of the same camera. */
export function asExposure(camera: Camera, e: ExposureInfo | Exposure): Exposure {
  if ('exposureId' in e) {
    if (e.camera !== camera) throw new DaqsimError('BAD_EXPOSURE', `exposure was resolved for ${e.camera.name}, not ${camera.name}`);
    return e;
  }
  return resolveExposure(camera, e);
}

/** Round to a number of decimals, so that values print the same on every platform and stay short. */
export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Keep 15 significant digits: beyond double-precision noise, still exact for any use. */
export function sig(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(15));
}
