/**
 * Rendering one amplifier's raw pixels from the plan and the CCD scene. Three passes over reusable buffers:
 *   A. the smooth expected signal in electrons (sky or lamp × illumination × pixel response × fringes, plus dark),
 *   B. sparse additions (source stamps, bleed trails, crosstalk ghosts, defects, cosmic rays),
 *   C. readout in readout order: serial CTI, shot + read noise, full well, nonlinearity, gain, bias with drift and
 *      row-correlated noise, and the prescan, serial overscan (with the CTI tail) and parallel overscan.
 * Passes A and C touch every pixel and allocate nothing; their random numbers come from the counter hash keyed by
 * (seed, exposure, detector, amp, effect), indexed by pixel, so this amp's bits do not depend on any other amp.
 */
import { normalTable, normalTable8 } from './normal-table.js';
import { INV_DU, TABLE_STEPS, moffatTable } from './psf.js';
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

/** Buffers one thread reuses across amps; sized on first use and grown if a larger amp comes. */
export class AmpScratch {
  mean = new Float32Array(0);
  zrow = new Float32Array(0);
  colCos: Float32Array[] = [];
  colSin: Float32Array[] = [];
  rowNoise = new Float32Array(0);

  ensure(amp: SynthAmp, waves: number): void {
    const n = amp.dataWidth * amp.dataHeight;
    if (this.mean.length < n) this.mean = new Float32Array(n);
    if (this.zrow.length < amp.rawWidth) this.zrow = new Float32Array(amp.rawWidth);
    if (this.rowNoise.length < amp.rawHeight) this.rowNoise = new Float32Array(amp.rawHeight);
    while (this.colCos.length < waves) {
      this.colCos.push(new Float32Array(0));
      this.colSin.push(new Float32Array(0));
    }
    for (let k = 0; k < waves; k++) {
      if (this.colCos[k]!.length < amp.dataWidth) {
        this.colCos[k] = new Float32Array(amp.dataWidth);
        this.colSin[k] = new Float32Array(amp.dataWidth);
      }
    }
  }
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
 * Add `factor` × a source's electrons into `target` (a data-section buffer in readout order), for the part of the
 * source that falls on `mapAmp`, placed at the readout position it has in `mapAmp`. For the amp's own sources
 * mapAmp is the amp itself; for crosstalk it is the source amp, so the ghost lands at the same readout position.
 */
function paintSource(s: PlacedSource, mapAmp: SynthAmp, target: Float32Array, width: number, factor: number, table: Float32Array): void {
  const box = ccdBox(mapAmp);
  const dw = mapAmp.dataWidth;
  const dh = mapAmp.dataHeight;
  if (s.bleed) {
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
    return;
  }
  const yA = Math.max(Math.ceil(s.y - s.radius), box.y0);
  const yB = Math.min(Math.floor(s.y + s.radius), box.y1);
  const inv = INV_DU / (s.alpha * s.alpha);
  const r2 = s.radius * s.radius;
  const scale = s.norm * factor;
  const sx = mapAmp.flipX ? -1 : 1;
  for (let cy = yA; cy <= yB; cy++) {
    const dy = cy - s.y;
    // Only the chord of the stamp's circle on this row: no per-pixel radius test.
    const hw = Math.sqrt(Math.max(0, r2 - dy * dy));
    const xA = Math.max(Math.ceil(s.x - hw), box.x0);
    const xB = Math.min(Math.floor(s.x + hw), box.x1);
    if (xA > xB) continue;
    const ly = cy - mapAmp.ccdY0;
    const lx0 = xA - mapAmp.ccdX0;
    const i = (mapAmp.flipY ? dh - 1 - ly : ly) * width + (mapAmp.flipX ? dw - 1 - lx0 : lx0);
    stampRow(target, i, sx, xA - s.x, xB - xA + 1, dy * dy, inv, scale, table);
  }
}

/** One row of a stamp: n pixels from horizontal offset dx0, written at target[i], stepping by `step`. */
function stampRow(target: Float32Array, i: number, step: number, dx0: number, n: number, dy2: number, inv: number, scale: number, table: Float32Array): void {
  let dx = dx0;
  for (let k = 0; k < n; k++, dx++, i += step) {
    const f = (dx * dx + dy2) * inv;
    const j = f | 0;
    if (j < TABLE_STEPS) {
      const w = f - j;
      target[i] = target[i]! + scale * (table[j]! + w * (table[j + 1]! - table[j]!));
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

// The per-pixel loops live in small functions of plain numbers and typed arrays: V8 optimizes those reliably,
// where the same loops inside one large function with closures ran an order of magnitude slower.

/**
 * Pass A for one row: light × illumination (a linear ramp along the row) × pixel response, plus dark.
 * Pixel response takes 8 bits per pixel (a 256-quantile normal table), so one hash serves four pixels: at 0.6%
 * rms the 256 levels are 0.005% apart, far finer than anything a flat can measure.
 */
function smoothRow(
  mean: Float32Array, row: number, w: number, light: number, il0: number, step: number,
  prnu: number, dark: number, T8: Float32Array, k0: number, k1: number,
): void {
  let il = il0;
  const quads = w >> 2;
  let i = row * w;
  // Counters of one row never overlap another's: (w + 3) >> 2 quads per row.
  const c0 = row * ((w + 3) >> 2);
  for (let p = 0; p < quads; p++) {
    const h = hash32(k0, k1, c0 + p);
    mean[i++] = light * il * (1 + prnu * T8[h & 0xff]!) + dark;
    il += step;
    mean[i++] = light * il * (1 + prnu * T8[(h >>> 8) & 0xff]!) + dark;
    il += step;
    mean[i++] = light * il * (1 + prnu * T8[(h >>> 16) & 0xff]!) + dark;
    il += step;
    mean[i++] = light * il * (1 + prnu * T8[h >>> 24]!) + dark;
    il += step;
  }
  const rest = w & 3;
  if (rest > 0) {
    const h = hash32(k0, k1, c0 + quads);
    for (let k = 0; k < rest; k++) {
      mean[i++] = light * il * (1 + prnu * T8[(h >>> (8 * k)) & 0xff]!) + dark;
      il += step;
    }
  }
}

/** Standard normal deviates for one raw row: one hash gives two. `counter0` is the row's first pair index. */
function normalRow(z: Float32Array, rw: number, counter0: number, T: Float32Array, k0: number, k1: number): void {
  for (let rx = 0, c = counter0; rx < rw; rx += 2, c++) {
    const h = hash32(k0, k1, c);
    z[rx] = T[h & 0xffff]!;
    z[rx + 1] = T[h >>> 16]!;
  }
}

/** Pixels with no charge (prescan, parallel overscan): bias + read noise. */
function electronicsRow(out: Int32Array, rowBase: number, from: number, to: number, z: Float32Array, rb: number, rnAdu: number, sat: number): void {
  for (let rx = from; rx < to; rx++) {
    // Clamp as integers: rarely-taken integer compares cost far less than clamping the double.
    let iv = (rb + rnAdu * z[rx]! + 0.5) | 0;
    iv = iv > sat ? sat : iv;
    out[rowBase + rx] = iv < 0 ? 0 : iv;
  }
}

/**
 * Data and serial overscan of one row: CTI, noise, full well, nonlinearity, gain, bias, digitization.
 * Serial CTI to first order in the deferral d (d ≤ 5e-4 here, so d² terms are below 1e-7): each pixel keeps
 * (1 − d) of its charge and receives d of the previous pixel's. Written as a two-tap filter rather than a
 * recursive trail, the loop carries no dependency from pixel to pixel. The serial overscan receives the trail
 * of the last data pixel, decaying by d per transfer.
 */
function readoutRow(
  out: Int32Array, rowBase: number, mean: Float32Array, meanRow: number, x0: number, dataEnd: number, rw: number,
  z: Float32Array, rb: number, d: number, shot: number, rnE2: number, fullWell: number, nl: number, invGain: number, sat: number,
): void {
  const keep = 1 - d;
  const mrow = meanRow - x0;
  let prev = 0;
  for (let rx = x0; rx < dataEnd; rx++) {
    const q = mean[mrow + rx]!;
    const m = keep * q + d * prev;
    prev = q;
    let e = m + Math.sqrt(shot * (m > 0 ? m : 0) + rnE2) * z[rx]!;
    e = e > fullWell ? fullWell : e;
    e -= nl * e * e;
    let iv = (rb + e * invGain + 0.5) | 0;
    iv = iv > sat ? sat : iv;
    out[rowBase + rx] = iv < 0 ? 0 : iv;
  }
  let trail = d * prev;
  for (let rx = dataEnd; rx < rw; rx++) {
    const m = trail;
    trail *= d;
    const e = m + Math.sqrt(shot * m + rnE2) * z[rx]!;
    let iv = (rb + e * invGain + 0.5) | 0;
    iv = iv > sat ? sat : iv;
    out[rowBase + rx] = iv < 0 ? 0 : iv;
  }
}

/** Render amp `ampIndex` of `ccd` into `out` (rawWidth × rawHeight, readout order). */
export function renderAmp(
  plan: ExposurePlan,
  ccd: SynthCcd,
  scene: CcdScene,
  ampIndex: number,
  out: Int32Array,
  scratch: AmpScratch = new AmpScratch(),
): AmpTruth {
  const amp = ccd.amps[ampIndex]!;
  const fx = plan.effects;
  const W = amp.dataWidth;
  const H = amp.dataHeight;
  const RW = amp.rawWidth;
  const RH = amp.rawHeight;
  if (out.length < RW * RH) throw new RangeError(`output buffer holds ${out.length} pixels, the amp needs ${RW * RH}`);
  const waves = scene.fringeAmplitude > 0 ? scene.fringes.length : 0;
  scratch.ensure(amp, waves);
  const mean = scratch.mean;
  const T = normalTable();
  const T8 = normalTable8();
  const psf = moffatTable();

  const prnuKey = streamKey('prnu', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);
  const noiseKey = streamKey('noise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const rowKey = streamKey('rownoise', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const biasKey = streamKey('bias', plan.seed, plan.exposureKey, plan.camera, ccd.detector, amp.name);
  const phaseKey = streamKey('biasphase', plan.instrumentSeed, plan.camera, ccd.detector, amp.name);

  // ---- Pass A: smooth expected signal [e-] in the data section, readout order.
  const light = scene.skyLevel + scene.lampLevel;
  const dark = scene.darkRate * scene.darkTime;
  // Illumination is bilinear across the amp from its four corners: continuous across amp edges, cheap per pixel.
  const cx = (dx: number): number => amp.ccdX0 + (amp.flipX ? W - 1 - dx : dx);
  const cy = (ry: number): number => amp.ccdY0 + (amp.flipY ? H - 1 - ry : ry);
  const i00 = scene.illumination(cx(0), cy(0));
  const i10 = scene.illumination(cx(W - 1), cy(0));
  const i01 = scene.illumination(cx(0), cy(H - 1));
  const i11 = scene.illumination(cx(W - 1), cy(H - 1));
  for (let k = 0; k < waves; k++) {
    const w = scene.fringes[k]!;
    const cc = scratch.colCos[k]!;
    const cs = scratch.colSin[k]!;
    for (let dx = 0; dx < W; dx++) {
      cc[dx] = Math.cos(w.kx * cx(dx));
      cs[dx] = Math.sin(w.kx * cx(dx));
    }
  }
  const prnu = scene.prnu;
  const { k0: pk0, k1: pk1 } = prnuKey;
  for (let ry = 0; ry < H; ry++) {
    const base = ry * W;
    if (light === 0) {
      mean.fill(dark, base, base + W);
      continue;
    }
    const t = H > 1 ? ry / (H - 1) : 0;
    const left = i00 + t * (i01 - i00);
    const right = i10 + t * (i11 - i10);
    smoothRow(mean, ry, W, light, left, W > 1 ? (right - left) / (W - 1) : 0, prnu, dark, T8, pk0, pk1);
    if (waves > 0 && scene.skyLevel > 0) {
      const yy = cy(ry);
      const amplitude = scene.fringeAmplitude * scene.skyLevel;
      for (let k = 0; k < waves; k++) {
        const w = scene.fringes[k]!;
        const rc = Math.cos(w.ky * yy + w.phase);
        const rs = Math.sin(w.ky * yy + w.phase);
        const cc = scratch.colCos[k]!;
        const cs = scratch.colSin[k]!;
        const a = amplitude / waves;
        for (let dx = 0; dx < W; dx++) mean[base + dx] = mean[base + dx]! + a * (cc[dx]! * rc - cs[dx]! * rs);
      }
    }
  }

  // ---- Pass B: sparse additions.
  for (const s of scene.sources) if (touches(s, amp)) paintSource(s, amp, mean, W, 1, psf);
  if (fx.crosstalk) {
    for (let src = 0; src < ccd.amps.length; src++) {
      const c = crosstalkCoefficient(ccd, ampIndex, src);
      const sa = ccd.amps[src]!;
      if (c === 0 || sa.dataWidth !== W || sa.dataHeight !== H) continue;
      for (const s of scene.sources) {
        if ((s.flux >= CROSSTALK_MIN_FLUX || s.bleed) && touches(s, sa)) paintSource(s, sa, mean, W, c, psf);
      }
    }
  }
  const box = ccdBox(amp);
  const toIndex = (x: number, y: number): number => {
    const lx = x - amp.ccdX0;
    const ly = y - amp.ccdY0;
    return (amp.flipY ? H - 1 - ly : ly) * W + (amp.flipX ? W - 1 - lx : lx);
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
  const rowNoise = scratch.rowNoise;
  const rowSigma = fx.rowNoise ? ROW_NOISE_ADU : 0;
  for (let ry = 0; ry < RH; ry++) rowNoise[ry] = rowSigma * T[hash32(rowKey.k0, rowKey.k1, ry) & 0xffff]!;
  const z = scratch.zrow;
  const { k0: nk0, k1: nk1 } = noiseKey;
  const dataEnd = amp.dataX0 + W;

  for (let ry = 0; ry < RH; ry++) {
    const rowBase = ry * RW;
    normalRow(z, RW, rowBase >>> 1, T, nk0, nk1);
    const rb = biasLevel + rowNoise[ry]!;
    if (ry >= H) {
      // Parallel overscan: no charge, just the electronics.
      electronicsRow(out, rowBase, 0, RW, z, rb, rnAdu, sat);
      continue;
    }
    electronicsRow(out, rowBase, 0, amp.dataX0, z, rb, rnAdu, sat);
    readoutRow(out, rowBase, mean, ry * W, amp.dataX0, dataEnd, RW, z, rb, d, shot, rnE2, fullWell, nl, invGain, sat);
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
