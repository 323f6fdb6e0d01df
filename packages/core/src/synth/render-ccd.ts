/**
 * Rendering a CCD's amps in the current thread, with the scene cached per (plan, detector) so a thread rendering
 * several amps of one CCD builds the scene once. The worker pool runs exactly this in each worker.
 */
import { getCamera, getDetector } from '../cameras/registry.js';
import { ccdGeometry, ccdSkyMapping, pixelScale } from './adapter.js';
import { type AmpTruth, renderAmp } from './render-amp.js';
import { type AmpWorkspace, threadWorkspace } from './kernels.js';
import { buildScene, type CcdScene } from './scene.js';
import type { SynthCcd, ExposurePlan } from './types.js';

export interface SceneTruth {
  detector: string;
  skyLevel: number;
  lampLevel: number;
  darkRate: number;
  darkTime: number;
  fullWell: number;
  prnu: number;
  nonlinearity: number;
  serialCti: number;
  fringeAmplitude: number;
  sources: Array<{ id: string; kind: string; ra: number; dec: number; x: number; y: number; mag: number; flux: number; saturated: boolean; bledOff: number }>;
  cosmicRays: Array<{ id: number; kind: string; x: number; y: number; pixels: number; electrons: number }>;
  defects: CcdScene['defects'];
}

interface Prepared {
  key: string;
  ccd: SynthCcd;
  scene: CcdScene;
}

const cache: Prepared[] = [];
const CACHE_SIZE = 4;

function planKey(plan: ExposurePlan, detector: string): string {
  return `${detector}|${JSON.stringify(plan)}`;
}

/** Geometry and scene of a detector for a plan (cached). */
export function prepareCcd(plan: ExposurePlan, detector: string): { ccd: SynthCcd; scene: CcdScene } {
  const key = planKey(plan, detector);
  const hit = cache.find((p) => p.key === key);
  if (hit) return hit;
  const camera = getCamera(plan.camera);
  const det = getDetector(camera, detector);
  const ccd = ccdGeometry(det);
  const wcs = ccdSkyMapping(camera, det, { ra: plan.ra, dec: plan.dec, rotPA: plan.rotation });
  const scene = buildScene({ plan, ccd, wcs, pixelScale: pixelScale(camera) });
  const prepared = { key, ccd, scene };
  cache.unshift(prepared);
  if (cache.length > CACHE_SIZE) cache.pop();
  return prepared;
}

/**
 * Pixels of amps `ampIndices` (HDU order, 0-based) into `outputs` (one buffer each, rawWidth × rawHeight), in
 * `workspace` (default: this thread's).
 */
export function renderAmps(
  plan: ExposurePlan,
  detector: string,
  ampIndices: readonly number[],
  outputs: readonly Int32Array[],
  workspace: AmpWorkspace = threadWorkspace(),
): AmpTruth[] {
  const { ccd, scene } = prepareCcd(plan, detector);
  return ampIndices.map((a, k) => renderAmp(plan, ccd, scene, a, outputs[k]!, workspace));
}

/**
 * The scene's truth with its sources packed into one Float64Array and two strings: what a worker sends back.
 * A few thousand source objects cost ~12 ms per CCD to build, clone and rebuild across threads; packed they
 * cost a copy, and the objects are made only if someone reads them (unpackSceneTruth).
 */
export interface PackedSceneTruth extends Omit<SceneTruth, 'sources'> {
  sources: { ids: string; kinds: string; numbers: Float64Array };
}

/** Numbers per packed source: ra, dec, x, y, mag, flux, saturated (0/1), bledOff. */
const PACKED = 8;

/** The scene as a packed truth record (see PackedSceneTruth). */
export function packedSceneTruth(plan: ExposurePlan, detector: string): PackedSceneTruth {
  const { ccd, scene } = prepareCcd(plan, detector);
  const on = scene.sources.filter((s) => s.x >= 0 && s.y >= 0 && s.x < ccd.width && s.y < ccd.height);
  const numbers = new Float64Array(on.length * PACKED);
  on.forEach((s, k) => {
    const o = k * PACKED;
    numbers[o] = s.ra;
    numbers[o + 1] = s.dec;
    numbers[o + 2] = round(s.x, 3);
    numbers[o + 3] = round(s.y, 3);
    numbers[o + 4] = round(s.mag, 4);
    numbers[o + 5] = round(s.flux, 2);
    numbers[o + 6] = s.bleed !== undefined && s.bleed.saturatedPixels > 0 ? 1 : 0;
    numbers[o + 7] = s.bleed ? round(s.bleed.lost, 1) : 0;
  });
  return {
    detector: ccd.detector,
    skyLevel: scene.skyLevel,
    lampLevel: scene.lampLevel,
    darkRate: scene.darkRate,
    darkTime: scene.darkTime,
    fullWell: scene.fullWell,
    prnu: scene.prnu,
    nonlinearity: scene.nonlinearity,
    serialCti: scene.serialCti,
    fringeAmplitude: scene.fringeAmplitude,
    sources: { ids: on.map((s) => s.id).join('\n'), kinds: on.map((s) => s.kind).join('\n'), numbers },
    cosmicRays: scene.cosmicRays.map((c) => ({
      id: c.id,
      kind: c.kind,
      x: c.xs[0]!,
      y: c.ys[0]!,
      pixels: c.xs.length,
      electrons: round(c.total, 1),
    })),
    defects: scene.defects,
  };
}

/** The JSON-ready truth record from its packed form. */
export function unpackSceneTruth(p: PackedSceneTruth): SceneTruth {
  const n = p.sources.numbers.length / PACKED;
  const ids = n > 0 ? p.sources.ids.split('\n') : [];
  const kinds = n > 0 ? p.sources.kinds.split('\n') : [];
  const v = p.sources.numbers;
  const sources: SceneTruth['sources'] = [];
  for (let k = 0; k < n; k++) {
    const o = k * PACKED;
    sources.push({
      id: ids[k]!,
      kind: kinds[k]!,
      ra: v[o]!,
      dec: v[o + 1]!,
      x: v[o + 2]!,
      y: v[o + 3]!,
      mag: v[o + 4]!,
      flux: v[o + 5]!,
      saturated: v[o + 6] === 1,
      bledOff: v[o + 7]!,
    });
  }
  return { ...p, sources };
}

/** The scene as a JSON-ready truth record. */
export function sceneTruth(plan: ExposurePlan, detector: string): SceneTruth {
  return unpackSceneTruth(packedSceneTruth(plan, detector));
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
