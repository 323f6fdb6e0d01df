/**
 * Observing plans: a night as blocks of exposures. Plans are plain data (built in here, or loaded from YAML/JSON by
 * the CLI and checked by `checkPlan`), expanded into concrete exposures by `expandNight`.
 *
 * Built in (counts and times from shared/reference/observing.md §7, shortened where a CI night must stay small):
 *   calib         the afternoon calibration block: biases, darks, flats per band with a PTC ladder of flat pairs
 *   dc2-patch     an imSim-like DC2 night: visits dithered around one DC2 patch in five bands, only the CCDs that
 *                 see the patch
 *   latiss-night  LATISS acquisition, science and calibration images
 *   comcam-bench  ComCam test-bench darks, flats and spot images, no sky
 *   rehearsal     calib, then dc2-patch science
 *   fixture       a CI-sized rehearsal (the `daqsim night` default)
 */
import { DaqsimError } from '../errors.js';

export type PlanImageType = 'BIAS' | 'DARK' | 'FLAT' | 'OBJECT' | 'ACQ' | 'FOCUS' | 'ENGTEST' | 'SPOT';

export interface Target {
  ra: number;
  dec: number;
  /** Dither radius [deg] around the target; each visit gets a random offset and rotation (0 = fixed pointing). */
  dither?: number;
  /** Keep only the detectors whose footprint touches this box around the target [deg] (a skymap patch). */
  patch?: number;
  name?: string;
}

export interface PlanBlock {
  name: string;
  imageType: PlanImageType;
  /** Exposures in the block (each band counts separately when `bands` is given). */
  count: number;
  /** Exposure time [s], or a ladder cycled through (each taken `repeat` times, e.g. 2 for flat pairs). */
  exptime: number | number[];
  repeat?: number;
  /** Bands cycled per exposure; each is mapped to the camera's filter for that band. */
  bands?: string[];
  /** Keep all exposures of one band together (as a filter wheel would) rather than cycling per exposure. */
  groupByBand?: boolean;
  target?: Target;
  /** Seconds between the end of one readout and the next exposure [from the camera's cadence]. */
  gap?: number;
  /** Detectors to write (names), default all science detectors; a patch target narrows them further. */
  detectors?: string[];
}

export interface NightPlan {
  name: string;
  description: string;
  blocks: PlanBlock[];
}

/** One DC2 patch near the footprint centre (DC2 tracts are 1.556 deg; patches 0.2222 deg inner). */
export const DC2_PATCH = { ra: 61.855, dec: -36.6, patch: 0.2222, name: 'DC2 tract 3831 patch 24' };

const CALIB: PlanBlock[] = [
  { name: 'daily biases', imageType: 'BIAS', count: 3, exptime: 0 },
  { name: 'daily darks', imageType: 'DARK', count: 3, exptime: [15, 30, 38] },
  { name: 'dome flats', imageType: 'FLAT', count: 4, exptime: 5, bands: ['g', 'r', 'i', 'z'], groupByBand: true },
  { name: 'PTC ladder', imageType: 'FLAT', count: 6, exptime: [0.5, 2, 8], repeat: 2, bands: ['r'] },
];

const DC2: PlanBlock[] = [
  {
    name: 'DC2 patch visits',
    imageType: 'OBJECT',
    count: 10,
    exptime: 30,
    bands: ['g', 'r', 'i', 'z', 'y'],
    groupByBand: true,
    target: { ra: DC2_PATCH.ra, dec: DC2_PATCH.dec, dither: 0.3, patch: DC2_PATCH.patch, name: DC2_PATCH.name },
  },
];

export const BUILTIN_PLANS: Readonly<Record<string, NightPlan>> = Object.freeze({
  calib: { name: 'calib', description: 'afternoon calibrations: biases, darks, dome flats per band, a PTC ladder', blocks: CALIB },
  'dc2-patch': { name: 'dc2-patch', description: 'DC2-like science: dithered visits around one DC2 patch in five bands', blocks: DC2 },
  'latiss-night': {
    name: 'latiss-night',
    description: 'LATISS: calibrations, an acquisition image, then science exposures of one field',
    blocks: [
      { name: 'biases', imageType: 'BIAS', count: 3, exptime: 0 },
      { name: 'darks', imageType: 'DARK', count: 2, exptime: 6 },
      { name: 'flats', imageType: 'FLAT', count: 2, exptime: 6, bands: ['r', 'g'], groupByBand: true },
      { name: 'acquisition', imageType: 'ACQ', count: 1, exptime: 5, bands: ['r'], target: { ra: 201.365, dec: -43.019, name: 'HD 116243 field' } },
      { name: 'science', imageType: 'OBJECT', count: 4, exptime: 30, bands: ['r', 'g'], target: { ra: 201.365, dec: -43.019, dither: 0.005, name: 'HD 116243 field' } },
    ],
  },
  'comcam-bench': {
    name: 'comcam-bench',
    description: 'ComCam on the test bench: darks, lamp flats and spot images, no sky',
    blocks: [
      { name: 'biases', imageType: 'BIAS', count: 2, exptime: 0 },
      { name: 'darks', imageType: 'DARK', count: 2, exptime: 5 },
      { name: 'flats', imageType: 'FLAT', count: 2, exptime: 5, bands: ['r'] },
      { name: 'spots', imageType: 'SPOT', count: 2, exptime: 1, bands: ['r'] },
    ],
  },
  rehearsal: { name: 'rehearsal', description: 'an operations-rehearsal night: calib, then DC2-patch science', blocks: [...CALIB, ...DC2] },
  fixture: {
    name: 'fixture',
    description: 'a CI-sized rehearsal: two biases, two darks, two flats, four DC2-patch visits in r and i',
    blocks: [
      { name: 'biases', imageType: 'BIAS', count: 2, exptime: 0 },
      { name: 'darks', imageType: 'DARK', count: 2, exptime: 30 },
      { name: 'flats', imageType: 'FLAT', count: 1, exptime: 5, bands: ['r', 'i'], groupByBand: true },
      { ...DC2[0]!, count: 2, bands: ['r', 'i'] },
    ],
  },
});

function bad(message: string, field: string): never {
  throw new DaqsimError('BAD_PLAN', message, { field });
}

const TYPES = new Set<PlanImageType>(['BIAS', 'DARK', 'FLAT', 'OBJECT', 'ACQ', 'FOCUS', 'ENGTEST', 'SPOT']);

/** Validate an untrusted plan object (from YAML or JSON); errors name the offending field. */
export function checkPlan(input: unknown): NightPlan {
  if (typeof input !== 'object' || input === null) bad('a plan must be an object with name and blocks', 'plan');
  const p = input as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name === '') bad('plan.name must be a non-empty string', 'name');
  if (!Array.isArray(p.blocks) || p.blocks.length === 0) bad('plan.blocks must be a non-empty list', 'blocks');
  const blocks = (p.blocks as unknown[]).map((b, i): PlanBlock => {
    const at = `blocks[${i}]`;
    if (typeof b !== 'object' || b === null) bad(`${at} must be an object`, at);
    const o = b as Record<string, unknown>;
    if (typeof o.imageType !== 'string' || !TYPES.has(o.imageType as PlanImageType)) bad(`${at}.imageType must be one of ${[...TYPES].join(', ')}`, `${at}.imageType`);
    if (!Number.isInteger(o.count) || (o.count as number) < 1 || (o.count as number) > 10000) bad(`${at}.count must be an integer 1..10000`, `${at}.count`);
    const times = Array.isArray(o.exptime) ? o.exptime : [o.exptime];
    if (times.length === 0 || !times.every((t) => typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= 3600)) {
      bad(`${at}.exptime must be seconds 0..3600 (or a list of them)`, `${at}.exptime`);
    }
    if (o.repeat !== undefined && (!Number.isInteger(o.repeat) || (o.repeat as number) < 1)) bad(`${at}.repeat must be a positive integer`, `${at}.repeat`);
    if (o.bands !== undefined && (!Array.isArray(o.bands) || !o.bands.every((x) => typeof x === 'string'))) bad(`${at}.bands must be a list of band names`, `${at}.bands`);
    if (o.detectors !== undefined && (!Array.isArray(o.detectors) || !o.detectors.every((x) => typeof x === 'string'))) bad(`${at}.detectors must be a list of detector names`, `${at}.detectors`);
    if (o.gap !== undefined && (typeof o.gap !== 'number' || !(o.gap >= 0))) bad(`${at}.gap must be seconds >= 0`, `${at}.gap`);
    let target: Target | undefined;
    if (o.target !== undefined) {
      const t = o.target as Record<string, unknown>;
      if (typeof t !== 'object' || t === null || typeof t.ra !== 'number' || typeof t.dec !== 'number' || Math.abs(t.dec) > 90) {
        bad(`${at}.target needs numeric ra and dec (degrees)`, `${at}.target`);
      }
      target = { ra: t.ra as number, dec: t.dec as number };
      if (t.dither !== undefined) target.dither = Number(t.dither);
      if (t.patch !== undefined) target.patch = Number(t.patch);
      if (typeof t.name === 'string') target.name = t.name;
    }
    const onSky = o.imageType === 'OBJECT' || o.imageType === 'ACQ' || o.imageType === 'FOCUS';
    if (onSky && !target) bad(`${at} is on-sky and needs a target`, `${at}.target`);
    return {
      name: typeof o.name === 'string' ? o.name : `block ${i + 1}`,
      imageType: o.imageType as PlanImageType,
      count: o.count as number,
      exptime: Array.isArray(o.exptime) ? (o.exptime as number[]) : (o.exptime as number),
      ...(o.repeat !== undefined ? { repeat: o.repeat as number } : {}),
      ...(o.bands !== undefined ? { bands: o.bands as string[] } : {}),
      ...(o.groupByBand !== undefined ? { groupByBand: Boolean(o.groupByBand) } : {}),
      ...(target ? { target } : {}),
      ...(o.gap !== undefined ? { gap: o.gap as number } : {}),
      ...(o.detectors !== undefined ? { detectors: o.detectors as string[] } : {}),
    };
  });
  return { name: p.name as string, description: typeof p.description === 'string' ? p.description : '', blocks };
}

export function builtinPlan(name: string): NightPlan {
  const p = BUILTIN_PLANS[name];
  if (!p) throw new DaqsimError('BAD_PLAN', `unknown plan ${JSON.stringify(name)}; built in: ${Object.keys(BUILTIN_PLANS).join(', ')}`, { field: 'plan' });
  return p;
}

/** Scale every block's count (at least 1), for CI-sized nights that keep the real geometry. */
export function scalePlan(plan: NightPlan, factor: number): NightPlan {
  if (!(factor > 0)) throw new DaqsimError('BAD_PLAN', 'scale must be > 0', { field: 'scale' });
  return { ...plan, blocks: plan.blocks.map((b) => ({ ...b, count: Math.max(1, Math.round(b.count * factor)) })) };
}
