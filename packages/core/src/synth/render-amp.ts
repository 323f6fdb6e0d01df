/**
 * Rendering one amplifier's raw pixels from the plan and the CCD scene. Three passes over reusable buffers:
 *   A. the smooth expected signal in electrons (sky or lamp × illumination × pixel response × fringes, plus dark),
 *   B. sparse additions (source stamps, bleed trails, crosstalk ghosts, defects, cosmic rays),
 *   C. readout in readout order: serial CTI, shot + read noise, full well, nonlinearity, gain, bias with drift and
 *      row-correlated noise, and the prescan, serial overscan (with the CTI tail) and parallel overscan.
 * Passes A and C touch every pixel: they run as float32 kernels (WebAssembly SIMD, or the bit-identical JavaScript
 * reference; kernels.ts) in the thread's workspace memory and allocate nothing. Their random numbers come from the
 * counter hash keyed by (seed, exposure, detector, amp, effect), indexed by pixel, so this amp's bits do not depend
 * on any other amp. Pass B is sparse and stays in JavaScript, writing into the same memory.
 */
import { AmpWorkspace } from './kernels.js';
import type { KernelFunctions } from './kernels-ref.js';
import { normalTable } from './normal-table.js';
import { hash32, streamKey } from './rng.js';
import type { CcdScene, PlacedSource } from './scene.js';
import type { SynthAmp, SynthCcd, ExposurePlan } from './types.js';

/** Electrons per second of bias drift amplitude [ADU] and its period over the night [h]. */
const BIAS_DRIFT_ADU = 1.5;
const BIAS_DRIFT_PERIOD_H = 10;
/** Per-exposure bias jitter and row-correlated noise [ADU rms]. */
const BIAS_JITTER_ADU = 0.2;
export const ROW_NOISE_ADU = 0.5;
/** Sources brighter than this [e-] produce crosstalk ghosts worth drawing. */
const CROSSTALK_MIN_FLUX = 1e5;

/** What the amp was rendered with, for the truth sidecar and for tests. */
export interface AmpTruth {
  name: string;
  hdu: number;
  gain: number;
  readNoiseElectrons: number;
  readNoiseAdu: number;
  /** Bias level including the night's drift and this exposure's jitter [ADU]. */
  biasLevel: number;
  rowNoiseAdu: number;
  fullWell: number;
  saturationAdu: number;
  /** Serial charge-transfer loss fraction used for this amp's rows. */
  serialDeferral: number;
}

/** Crosstalk from source amp to victim amp (nearest neighbours on the same serial side, observing.md §5). */
export function crosstalkCoefficient(ccd: SynthCcd, victim: number, source: number): number {
  if (victim === source) return 0;
  const v = ccd.amps[victim]!;
  const s = ccd.amps[source]!;
  if (v.ccdY0 !== s.ccdY0) return 0;
  return Math.abs(v.ccdX0 - s.ccdX0) === v.dataWidth ? (ccd.vendor === 'E2V' ? 1.9e-4 : 2.0e-4) : 0;
}

function ccdBox(a: SynthAmp): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: a.ccdX0, x1: a.ccdX0 + a.dataWidth - 1, y0: a.ccdY0, y1: a.ccdY0 + a.dataHeight - 1 };
}

/**
 * Add `factor` × a source's electrons into the data-section buffer (`target` in JavaScript, at byte offset `ptr`
 * for the kernels), for the part of the source that falls on `mapAmp`, placed at the readout position it has in
 * `mapAmp`. For the amp's own sources mapAmp is the amp itself; for crosstalk it is the source amp, so the ghost
 * lands at the same readout position.
 */
function paintSource(s: PlacedSource, mapAmp: SynthAmp, K: KernelFunctions, ptr: number, target: Float32Array, width: number, factor: number): void {
  const dw = mapAmp.dataWidth;
  const dh = mapAmp.dataHeight;
  if (!s.bleed) {
    K.stampAdd(ptr, width, dw, dh, mapAmp.ccdX0, mapAmp.ccdY0, mapAmp.flipX ? 1 : 0, mapAmp.flipY ? 1 : 0, s.x, s.y, s.radius,
      1 / (s.alpha * s.alpha), s.norm * factor);
    return;
  }
  const box = ccdBox(mapAmp);
  for (const col of s.bleed.columns) {
    if (col.x < box.x0 || col.x > box.x1) continue;
    const lx = col.x - mapAmp.ccdX0;
    const dx = mapAmp.flipX ? dw - 1 - lx : lx;
    const yA = Math.max(col.y0, box.y0);
    const yB = Math.min(col.y0 + col.values.length - 1, box.y1);
    for (let cy = yA; cy <= yB; cy++) {
      const ly = cy - mapAmp.ccdY0;
      const ry = mapAmp.flipY ? dh - 1 - ly : ly;
      target[ry * width + dx] = target[ry * width + dx]! + factor * col.values[cy - col.y0]!;
    }
  }
}

function touches(s: PlacedSource, a: SynthAmp): boolean {
  const b = ccdBox(a);
  if (s.bleed) {
    return s.bleed.columns.some((c) => c.x >= b.x0 && c.x <= b.x1 && c.y0 <= b.y1 && c.y0 + c.values.length - 1 >= b.y0);
  }
  return s.x + s.radius >= b.x0 && s.x - s.radius <= b.x1 && s.y + s.radius >= b.y0 && s.y - s.radius <= b.y1;
}

/** Render amp `ampIndex` of `ccd` into `out` (rawWidth × rawHeight, readout order). */
export function renderAmp(
  plan: ExposurePlan,
  ccd: SynthCcd,
  scene: CcdScene,
  ampIndex: number,
  out: Int32Array,
  ws: AmpWorkspace = new AmpWorkspace(),
): AmpTruth {
  const amp = ccd.amps[ampIndex]!;
  const fx = plan.effects;
  const W = amp.dataWidth;
  const H = amp.dataHeight;
  const RW = amp.rawWidth;
  const RH = amp.rawHeight;
  if (out.length < RW * RH) throw new RangeError(`output buffer holds ${out.length} pixels, the amp needs ${RW * RH}`);
  const waves = scene.fringeAmplitude > 0 && scene.skyLevel > 0 ? scene.fringes.length : 0;
  const L = ws.layout(W, H, RW, RH, waves);
  const K = ws.kernels;
  const F = ws.floats;
  const S = L.stride;
  const m0 = L.mean >> 2;
  // The expected signal, data section in readout order, rows S floats apart.
  const mean = F.subarray(m0, m0 + H * S);
  const T = normalTable();

  const prnuKey = streamKey('prnu', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);
  const noiseKey = streamKey('noise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const rowKey = streamKey('rownoise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const biasKey = streamKey('bias', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const phaseKey = streamKey('biasphase', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);

  // ---- Pass A: smooth expected signal [e-].
  const light = scene.skyLevel + scene.lampLevel;
  const dark = scene.darkRate * scene.darkTime;
  // Illumination is bilinear across the amp from its four corners: continuous across amp edges, cheap per pixel.
  const cx = (dx: number): number => amp.ccdX0 + (amp.flipX ? W - 1 - dx : dx);
  const cy = (ry: number): number => amp.ccdY0 + (amp.flipY ? H - 1 - ry : ry);
  for (let ry = 0; ry < H; ry++) F.fill(0, m0 + ry * S - 4, m0 + ry * S);
  if (light === 0) {
    for (let ry = 0; ry < H; ry++) mean.fill(dark, ry * S, ry * S + W);
  } else {
    const il = (dx: number, ry: number): number => scene.illumination(cx(dx), cy(ry));
    K.smoothAmp(L.mean, S, W, H, light, il(0, 0), il(W - 1, 0), il(0, H - 1), il(W - 1, H - 1), scene.prnu, dark, ws.table8Ptr, prnuKey.k0, prnuKey.k1);
  }
  const amplitude = scene.fringeAmplitude * scene.skyLevel;
  for (let k = 0; k < waves; k++) {
    const w = scene.fringes[k]!;
    const cc = L.cosCol[k]! >> 2;
    const cs = L.sinCol[k]! >> 2;
    for (let dx = 0; dx < W; dx++) {
      F[cc + dx] = Math.cos(w.kx * cx(dx));
      F[cs + dx] = Math.sin(w.kx * cx(dx));
    }
    const rc = L.rcRow[k]! >> 2;
    const rs = L.rsRow[k]! >> 2;
    for (let ry = 0; ry < H; ry++) {
      F[rc + ry] = Math.cos(w.ky * cy(ry) + w.phase);
      F[rs + ry] = Math.sin(w.ky * cy(ry) + w.phase);
    }
    K.fringeAmp(L.mean, S, W, H, L.cosCol[k]!, L.sinCol[k]!, L.rcRow[k]!, L.rsRow[k]!, amplitude / waves);
  }

  // ---- Pass B: sparse additions.
  for (const s of scene.sources) if (touches(s, amp)) paintSource(s, amp, K, L.mean, mean, S, 1);
  if (fx.crosstalk) {
    for (let src = 0; src < ccd.amps.length; src++) {
      const c = crosstalkCoefficient(ccd, ampIndex, src);
      const sa = ccd.amps[src]!;
      if (c === 0 || sa.dataWidth !== W || sa.dataHeight !== H) continue;
      for (const s of scene.sources) {
        if ((s.flux >= CROSSTALK_MIN_FLUX || s.bleed) && touches(s, sa)) paintSource(s, sa, K, L.mean, mean, S, c);
      }
    }
  }
  const box = ccdBox(amp);
  const toIndex = (x: number, y: number): number => {
    const lx = x - amp.ccdX0;
    const ly = y - amp.ccdY0;
    return (amp.flipY ? H - 1 - ly : ly) * S + (amp.flipX ? W - 1 - lx : lx);
  };
  for (const col of scene.defects.columns) {
    if (col.x < box.x0 || col.x > box.x1) continue;
    for (let y = Math.max(col.y0, box.y0); y <= Math.min(col.y1, box.y1); y++) {
      const i = toIndex(col.x, y);
      mean[i] = col.kind === 'dark' ? (mean[i]! - dark) * col.value + dark : mean[i]! + col.value * scene.darkTime;
    }
  }
  for (const p of scene.defects.hotPixels) {
    if (p.x >= box.x0 && p.x <= box.x1 && p.y >= box.y0 && p.y <= box.y1) {
      const i = toIndex(p.x, p.y);
      mean[i] = mean[i]! + p.rate * scene.darkTime;
    }
  }
  for (const cr of scene.cosmicRays) {
    for (let k = 0; k < cr.xs.length; k++) {
      const x = cr.xs[k]!;
      const y = cr.ys[k]!;
      if (x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1) {
        const i = toIndex(x, y);
        mean[i] = mean[i]! + cr.electrons[k]!;
      }
    }
  }

  // ---- Pass C: readout.
  const gain = amp.gain;
  const invGain = 1 / gain;
  const rnE = fx.readNoise ? amp.readNoise : 0;
  const rnE2 = rnE * rnE;
  const rnAdu = rnE * invGain;
  const shot = fx.shotNoise ? 1 : 0;
  const fullWell = fx.saturation ? scene.fullWell : Infinity;
  const nl = scene.nonlinearity / scene.fullWell;
  const sat = amp.saturation;
  // Serial CTI: d is the per-transfer inefficiency times the transfers of an average pixel (half the register).
  const d = scene.serialCti * (RW / 2);
  const phase = 2 * Math.PI * ((hash32(phaseKey.k0, phaseKey.k1, 0) + 0.5) / 4294967296);
  const drift = fx.biasDrift ? BIAS_DRIFT_ADU * Math.sin((2 * Math.PI * plan.hoursIntoNight) / BIAS_DRIFT_PERIOD_H + phase) : 0;
  const jitter = fx.biasDrift ? BIAS_JITTER_ADU * T[hash32(biasKey.k0, biasKey.k1, 0) & 0xffff]! : 0;
  const biasLevel = amp.bias + drift + jitter;
  const rowSigma = fx.rowNoise ? ROW_NOISE_ADU : 0;
  const ro = L.rowOffset >> 2;
  for (let ry = 0; ry < RH; ry++) F[ro + ry] = rowSigma * T[hash32(rowKey.k0, rowKey.k1, ry) & 0xffff]!;
  K.readoutAmp(L.out, L.mean, S, L.z, L.rowOffset, ws.tablePtr, RW, RH, W, H, amp.dataX0, noiseKey.k0, noiseKey.k1,
    biasLevel, d, shot, rnE2, fullWell, nl, invGain, rnAdu, sat);
  out.set(ws.ints.subarray(L.out >> 2, (L.out >> 2) + RW * RH));

  return {
    name: amp.name,
    hdu: amp.hdu,
    gain,
    readNoiseElectrons: rnE,
    readNoiseAdu: rnAdu,
    biasLevel,
    rowNoiseAdu: rowSigma,
    fullWell: scene.fullWell,
    saturationAdu: sat,
    serialDeferral: d,
  };
}
