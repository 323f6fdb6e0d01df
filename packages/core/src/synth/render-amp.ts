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
/** Standard deviation of the sum of two uniform random bytes: sqrt(2 · (256² − 1) / 12). */
const PRNU_BYTE_SUM_SD = Math.sqrt((2 * (256 * 256 - 1)) / 12);
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

/** Rows per band: passes A, B and C run a band at a time, so the band's signal (~130 kB) stays in the core's cache. */
export const BAND_ROWS = 64;

/** A source to paint on an amp, and the readout rows [lo, hi] of the amp it reaches (in the amp it is mapped by). */
interface Paint {
  s: PlacedSource;
  mapAmp: SynthAmp;
  factor: number;
  lo: number;
  hi: number;
}

/**
 * Readout order against the amp's data block in CCD orientation: row r of one is row flipRow(a, r) of the other
 * (and columns alike). Each is its own inverse, so it maps both ways.
 */
function flipRow(a: SynthAmp, r: number): number {
  return a.flipY ? a.dataHeight - 1 - r : r;
}

function flipCol(a: SynthAmp, c: number): number {
  return a.flipX ? a.dataWidth - 1 - c : c;
}

/** Readout rows of `a` covered by CCD rows [yA, yB], or null. */
function readoutRows(a: SynthAmp, yA: number, yB: number): [number, number] | null {
  const lA = Math.max(yA, a.ccdY0) - a.ccdY0;
  const lB = Math.min(yB, a.ccdY0 + a.dataHeight - 1) - a.ccdY0;
  if (lA > lB) return null;
  const [p, q] = [flipRow(a, lA), flipRow(a, lB)];
  return [Math.min(p, q), Math.max(p, q)];
}

/** Whether source `s` reaches amp `a`, and on which of its readout rows. */
function reach(s: PlacedSource, a: SynthAmp): [number, number] | null {
  const x0 = a.ccdX0;
  const x1 = a.ccdX0 + a.dataWidth - 1;
  if (!s.bleed) {
    if (s.x + s.radius < x0 || s.x - s.radius > x1) return null;
    return readoutRows(a, Math.ceil(s.y - s.radius), Math.floor(s.y + s.radius));
  }
  let yA = Infinity;
  let yB = -Infinity;
  for (const c of s.bleed.columns) {
    if (c.x < x0 || c.x > x1) continue;
    yA = Math.min(yA, c.y0);
    yB = Math.max(yB, c.y0 + c.values.length - 1);
  }
  return yA <= yB ? readoutRows(a, yA, yB) : null;
}

/** Each amp's own sources (in scene order) with the readout rows they reach; built once per scene. */
const ownPaints = new WeakMap<CcdScene, Paint[][]>();

function ownPaintsOf(ccd: SynthCcd, scene: CcdScene): Paint[][] {
  const hit = ownPaints.get(scene);
  if (hit) return hit;
  // Every source against every amp: `reach` rejects most on one comparison (~0.7 ms for a ComCam CCD).
  const lists = ccd.amps.map((a) => {
    const list: Paint[] = [];
    for (const s of scene.sources) {
      const r = reach(s, a);
      if (r) list.push({ s, mapAmp: a, factor: 1, lo: r[0], hi: r[1] });
    }
    return list;
  });
  ownPaints.set(scene, lists);
  return lists;
}

/**
 * What pass B paints on amp `victim`, in the order it is painted (the order of additions into a pixel fixes its
 * float32 rounding): its own sources, then crosstalk ghosts of bright sources on its neighbours, each ghost at the
 * readout position it has in its own amp. Filtered by row for each band.
 */
function paintsFor(ccd: SynthCcd, scene: CcdScene, victim: number, crosstalk: boolean): Paint[] {
  const own = ownPaintsOf(ccd, scene);
  const amp = ccd.amps[victim]!;
  if (!crosstalk) return own[victim]!;
  const out = own[victim]!.slice();
  for (let src = 0; src < ccd.amps.length; src++) {
    const c = crosstalkCoefficient(ccd, victim, src);
    const sa = ccd.amps[src]!;
    if (c === 0 || sa.dataWidth !== amp.dataWidth || sa.dataHeight !== amp.dataHeight) continue;
    for (const p of own[src]!) {
      if (p.s.flux >= CROSSTALK_MIN_FLUX || p.s.bleed) out.push({ ...p, factor: c });
    }
  }
  return out;
}

/**
 * Add `factor` × a source's electrons on readout rows [r0, r1) into the band buffer (`target` in JavaScript, at byte
 * offset `ptr` for the kernels, row r0 first), for the part of the source that falls on `mapAmp`, placed at the
 * readout position it has in `mapAmp`.
 */
function paintSource(p: Paint, K: KernelFunctions, ptr: number, target: Float32Array, width: number, r0: number, r1: number): void {
  const { s, mapAmp, factor } = p;
  const dw = mapAmp.dataWidth;
  const dh = mapAmp.dataHeight;
  if (!s.bleed) {
    K.stampAdd(ptr, width, dw, dh, r0, r1, mapAmp.ccdX0, mapAmp.ccdY0, mapAmp.flipX ? 1 : 0, mapAmp.flipY ? 1 : 0, s.x, s.y, s.radius,
      1 / (s.alpha * s.alpha), s.norm * factor);
    return;
  }
  const x1 = mapAmp.ccdX0 + dw - 1;
  // CCD rows of the band.
  const [la, lb] = [flipRow(mapAmp, r0), flipRow(mapAmp, r1 - 1)];
  const yLo = mapAmp.ccdY0 + Math.min(la, lb);
  const yHi = mapAmp.ccdY0 + Math.max(la, lb);
  for (const col of s.bleed.columns) {
    if (col.x < mapAmp.ccdX0 || col.x > x1) continue;
    const dx = flipCol(mapAmp, col.x - mapAmp.ccdX0);
    const yA = Math.max(col.y0, yLo);
    const yB = Math.min(col.y0 + col.values.length - 1, yHi);
    for (let cy = yA; cy <= yB; cy++) {
      const i = (flipRow(mapAmp, cy - mapAmp.ccdY0) - r0) * width + dx;
      target[i] = target[i]! + factor * col.values[cy - col.y0]!;
    }
  }
}

/** One pixel's edit by a defect, hot pixel or cosmic ray: add `value` electrons, or scale the light by it. */
interface PointEdit {
  ry: number;
  dx: number;
  value: number;
  scale: boolean;
}

/**
 * The amp's defect, hot-pixel and cosmic-ray edits in readout coordinates, in that order, then stably sorted by row:
 * edits of one pixel keep their order (which fixes its float32 rounding) and a band takes a run of the list.
 */
function pointEdits(amp: SynthAmp, scene: CcdScene): PointEdit[] {
  const out: PointEdit[] = [];
  const W = amp.dataWidth;
  const H = amp.dataHeight;
  const add = (x: number, y: number, value: number, scale: boolean): void => {
    const lx = x - amp.ccdX0;
    const ly = y - amp.ccdY0;
    if (lx < 0 || lx >= W || ly < 0 || ly >= H) return;
    out.push({ ry: flipRow(amp, ly), dx: flipCol(amp, lx), value, scale });
  };
  for (const col of scene.defects.columns) {
    if (col.x < amp.ccdX0 || col.x >= amp.ccdX0 + W) continue;
    for (let y = Math.max(col.y0, amp.ccdY0); y <= Math.min(col.y1, amp.ccdY0 + H - 1); y++) {
      add(col.x, y, col.kind === 'dark' ? col.value : col.value * scene.darkTime, col.kind === 'dark');
    }
  }
  for (const p of scene.defects.hotPixels) add(p.x, p.y, p.rate * scene.darkTime, false);
  for (const cr of scene.cosmicRays) for (let k = 0; k < cr.xs.length; k++) add(cr.xs[k]!, cr.ys[k]!, cr.electrons[k]!, false);
  return out.sort((a, b) => a.ry - b.ry);
}

/**
 * Render amp `ampIndex` of `ccd` into `out` (rawWidth × rawHeight, readout order). `bandRows` only changes how the
 * work is cut (tests render with odd bands to show the pixels do not depend on it).
 */
export function renderAmp(
  plan: ExposurePlan,
  ccd: SynthCcd,
  scene: CcdScene,
  ampIndex: number,
  out: Int32Array,
  ws: AmpWorkspace = new AmpWorkspace(),
  bandRows = BAND_ROWS,
): AmpTruth {
  const amp = ccd.amps[ampIndex]!;
  const fx = plan.effects;
  const W = amp.dataWidth;
  const H = amp.dataHeight;
  const RW = amp.rawWidth;
  const RH = amp.rawHeight;
  if (out.length < RW * RH) throw new RangeError(`output buffer holds ${out.length} pixels, the amp needs ${RW * RH}`);
  const waves = scene.fringeAmplitude > 0 && scene.skyLevel > 0 ? scene.fringes.length : 0;
  const L = ws.layout(W, H, RW, RH, waves, Math.max(1, Math.min(bandRows, RH)));
  const K = ws.kernels;
  const F = ws.floats;
  const S = L.stride;
  const m0 = L.mean >> 2;
  // The expected signal of one band of rows, data section in readout order, rows S floats apart.
  const mean = F.subarray(m0, m0 + L.band * S);
  const T = normalTable();

  const prnuKey = streamKey('prnu', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);
  const noiseKey = streamKey('noise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const rowKey = streamKey('rownoise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const biasKey = streamKey('bias', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const phaseKey = streamKey('biasphase', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);

  // ---- Pass A inputs: smooth expected signal [e-].
  const light = scene.skyLevel + scene.lampLevel;
  const dark = scene.darkRate * scene.darkTime;
  // Illumination is bilinear across the amp from its four corners: continuous across amp edges, cheap per pixel.
  const cx = (dx: number): number => amp.ccdX0 + flipCol(amp, dx);
  const cy = (ry: number): number => amp.ccdY0 + flipRow(amp, ry);
  const il = (dx: number, ry: number): number => scene.illumination(cx(dx), cy(ry));
  const corners = light === 0 ? [0, 0, 0, 0] : [il(0, 0), il(W - 1, 0), il(0, H - 1), il(W - 1, H - 1)];
  // Pixel response: a triangular deviate from two random bytes, s − 255 over its standard deviation.
  const ps = scene.prnu / PRNU_BYTE_SUM_SD;
  const pc = 1 - 255 * ps;
  for (let r = 0; r < L.band; r++) F.fill(0, m0 + r * S - 4, m0 + r * S);
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
  }

  // ---- Pass B inputs: sparse additions, with the readout rows each reaches.
  const paints = paintsFor(ccd, scene, ampIndex, fx.crosstalk);
  const points = pointEdits(amp, scene);

  // ---- Pass C inputs: readout.
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

  const outInts = ws.ints;
  // In place when the output lives in the workspace's memory (the pool's workers); else through the band buffer.
  const inPlace = ws.holds(out);
  if (!inPlace && out.buffer === ws.buffer) throw new RangeError('the output overlaps the workspace it is rendered in');
  let next = 0;
  for (let r0 = 0; r0 < RH; r0 += L.band) {
    const r1 = Math.min(r0 + L.band, RH);
    const d1 = Math.min(r1, H);
    if (r0 < H) {
      // Pass A.
      if (light === 0) {
        for (let ry = r0; ry < d1; ry++) mean.fill(dark, (ry - r0) * S, (ry - r0) * S + W);
      } else {
        K.smoothAmp(L.mean, S, W, H, r0, d1, light, corners[0]!, corners[1]!, corners[2]!, corners[3]!, ps, pc, dark, prnuKey.k0, prnuKey.k1);
      }
      for (let k = 0; k < waves; k++) {
        K.fringeAmp(L.mean, S, W, d1 - r0, L.cosCol[k]!, L.sinCol[k]!, L.rcRow[k]! + 4 * r0, L.rsRow[k]! + 4 * r0, amplitude / waves);
      }
      // Pass B, in a fixed order per pixel: sources and ghosts, defects, hot pixels, cosmic rays.
      for (const p of paints) if (p.hi >= r0 && p.lo < d1) paintSource(p, K, L.mean, mean, S, r0, d1);
      for (; next < points.length && points[next]!.ry < d1; next++) {
        const e = points[next]!;
        const i = (e.ry - r0) * S + e.dx;
        mean[i] = e.scale ? (mean[i]! - dark) * e.value + dark : mean[i]! + e.value;
      }
    }
    // Pass C.
    K.readoutAmp(inPlace ? out.byteOffset + 4 * r0 * RW : L.out, L.mean, S, L.z, L.rowOffset, ws.tablePtr, RW, W, H, r0, r1, amp.dataX0, noiseKey.k0, noiseKey.k1,
      biasLevel, d, shot, rnE2, fullWell, nl, invGain, rnAdu, sat);
    if (!inPlace) out.set(outInts.subarray(L.out >> 2, (L.out >> 2) + (r1 - r0) * RW), r0 * RW);
  }

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
