/**
 * Rendering a CCD's amps in the current thread, with the scene cached per (plan, detector) so a thread rendering
 * several amps of one CCD builds the scene once. The worker pool runs exactly this in each worker.
 */
import { getCamera, getDetector } from '../cameras/registry.js';
import { ccdGeometry, ccdSkyMapping, pixelScale } from './adapter.js';
import { type AmpTruth, renderAmp } from './render-amp.js';
import { threadWorkspace } from './kernels.js';
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

/** Pixels of amps `ampIndices` (HDU order, 0-based) into `outputs` (one buffer each, rawWidth × rawHeight). */
export function renderAmps(plan: ExposurePlan, detector: string, ampIndices: readonly number[], outputs: readonly Int32Array[]): AmpTruth[] {
  const { ccd, scene } = prepareCcd(plan, detector);
  const workspace = threadWorkspace();
  return ampIndices.map((a, k) => renderAmp(plan, ccd, scene, a, outputs[k]!, workspace));
}

/** The scene as a JSON-ready truth record. */
export function sceneTruth(plan: ExposurePlan, detector: string): SceneTruth {
  const { ccd, scene } = prepareCcd(plan, detector);
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
    sources: scene.sources
      .filter((s) => s.x >= 0 && s.y >= 0 && s.x < ccd.width && s.y < ccd.height)
      .map((s) => ({
        id: s.id,
        kind: s.kind,
        ra: s.ra,
        dec: s.dec,
        x: round(s.x, 3),
        y: round(s.y, 3),
        mag: round(s.mag, 4),
        flux: round(s.flux, 2),
        saturated: s.bleed !== undefined && s.bleed.saturatedPixels > 0,
        bledOff: s.bleed ? round(s.bleed.lost, 1) : 0,
      })),
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

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
