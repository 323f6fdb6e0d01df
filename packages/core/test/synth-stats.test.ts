/**
 * Synthesis measured the way the pipelines measure raws: bias and read noise from the serial overscan, gain from a
 * flat pair (photon transfer), dark current, cosmic-ray counts, charge conservation in bleed trails, sky levels,
 * and aperture photometry of isolated stars against the truth.
 */
import { describe, expect, it } from 'vitest';
import { type ExposureInfo, Tai, getCamera, getDetector } from '../src/index.js';
import { COSMIC_RAY_RATE, type RenderedCcd, type SynthesisOptions, prepareCcd, renderCcd } from '../src/synth/index.js';

const START = Tai.fromIso('2025-10-16T03:00:00');
const DET = 'R22_S11';

function info(imageType: ExposureInfo['imageType'], expTime: number, seqNum: number, extra: Partial<ExposureInfo> = {}): ExposureInfo {
  return {
    imageType,
    start: START.plus(seqNum * 60),
    expTime,
    seqNum,
    ...(imageType === 'OBJECT' ? { pointing: { ra: 53.1, dec: -28.1, rotPA: 0 }, filter: 'r_03' } : {}),
    ...extra,
  };
}

function render(i: ExposureInfo, synth: SynthesisOptions = {}): ReturnType<typeof renderCcd> {
  return renderCcd('comcam', i, DET, { seed: 7, ...synth });
}

interface Regions {
  w: number;
  x0: number;
  dw: number;
  dh: number;
  rh: number;
}
const camera = getCamera('comcam');
const layout = getDetector(camera, DET).layout;
const R: Regions = { w: layout.rawWidth, x0: layout.data.x0, dw: layout.data.width, dh: layout.data.height, rh: layout.rawHeight };

/** Per-row overscan level (mean of the serial overscan, skipping the first 5 columns holding the CTI trail). */
function rowOverscan(a: Int32Array): Float64Array {
  const rows = new Float64Array(R.rh);
  const from = R.x0 + R.dw + 5;
  for (let y = 0; y < R.rh; y++) {
    let s = 0;
    for (let x = from; x < R.w; x++) s += a[y * R.w + x]!;
    rows[y] = s / (R.w - from);
  }
  return rows;
}

/** Overscan-corrected data section (ADU above bias), readout order. */
function corrected(a: Int32Array): Float64Array {
  const os = rowOverscan(a);
  const out = new Float64Array(R.dw * R.dh);
  for (let y = 0; y < R.dh; y++) for (let x = 0; x < R.dw; x++) out[y * R.dw + x] = a[y * R.w + R.x0 + x]! - os[y]!;
  return out;
}

function median(v: ArrayLike<number>): number {
  const s = Float64Array.from(v).sort();
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function meanVar(v: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    s2 += v[i]! * v[i]!;
  }
  const mean = s / v.length;
  return { mean, variance: s2 / v.length - mean * mean };
}

describe('bias: level and read noise from the overscan', () => {
  const bias = render(info('BIAS', 0, 1));
  it.each([0, 5, 15])('amp %i within 1%', (k) => {
    const a = bias.amps[k]!;
    const t = bias.truth.amps[k]!;
    const os = rowOverscan(a);
    const from = R.x0 + R.dw + 5;
    const n = R.w - from;
    let s = 0;
    let s2 = 0;
    let count = 0;
    for (let y = 0; y < R.dh; y++) {
      for (let x = from; x < R.w; x++) {
        const r = a[y * R.w + x]! - os[y]!;
        s += a[y * R.w + x]!;
        s2 += r * r;
        count++;
      }
    }
    const level = s / count;
    // Subtracting each row's mean removes the row-correlated noise and 1/n of the pixel variance.
    const noise = Math.sqrt(s2 / count / (1 - 1 / n));
    expect(Math.abs(level - t.biasLevel)).toBeLessThan(0.1);
    expect(Math.abs(noise / t.readNoiseAdu - 1)).toBeLessThan(0.01);
  });
});

/**
 * A flat pair over a box of amp k's data section (default: all of it): the mean level of the two, and the variance
 * of their sum and of their difference. The pair shares each pixel's response and not its shot noise.
 */
function flatPair(a: RenderedCcd, b: RenderedCcd, k: number, box = { x0: 0, x1: R.dw, y0: 0, y1: R.dh }): { level: number; varSum: number; varDiff: number } {
  const ca = corrected(a.amps[k]!);
  const cb = corrected(b.amps[k]!);
  const sum: number[] = [];
  const diff: number[] = [];
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      sum.push(ca[y * R.dw + x]! + cb[y * R.dw + x]!);
      diff.push(ca[y * R.dw + x]! - cb[y * R.dw + x]!);
    }
  }
  const s = meanVar(sum);
  return { level: s.mean / 2, varSum: s.variance, varDiff: meanVar(diff).variance };
}

describe('flats: a pair', () => {
  const a = render(info('FLAT', 5, 2));
  const b = render(info('FLAT', 5, 3));
  it.each([1, 9])('amp %i gain by photon transfer within 3%', (k) => {
    const { level, varDiff } = flatPair(a, b, k);
    const rn = a.truth.amps[k]!.readNoiseAdu;
    const gain = level / (varDiff / 2 - rn * rn);
    expect(Math.abs(gain / a.truth.amps[k]!.gain - 1)).toBeLessThan(0.03);
  });

  // The sum holds 4 · prnu² · level² more variance than the difference. Measured in a 200 x 200 box, where the
  // smooth illumination is flat to 0.1%.
  it.each([2, 12])('amp %i has the configured 0.6% pixel response non-uniformity, within 5%', (k) => {
    const { level, varSum, varDiff } = flatPair(a, b, k, { x0: 150, x1: 350, y0: 900, y1: 1100 });
    const prnu = Math.sqrt((varSum - varDiff) / 4) / level;
    expect(Math.abs(prnu / prepareCcd(a.plan, DET).scene.prnu - 1)).toBeLessThan(0.05);
  });
});

describe('darks and cosmic rays', () => {
  const dark = render(info('DARK', 600, 4));
  it('recovers the dark current', () => {
    const rates: number[] = [];
    for (const k of [2, 12]) {
      const c = corrected(dark.amps[k]!);
      rates.push((median(c) * dark.truth.amps[k]!.gain) / dark.truth.scene.darkTime);
    }
    for (const r of rates) expect(Math.abs(r / dark.truth.scene.darkRate - 1)).toBeLessThan(0.05);
  });

  it('places cosmic rays at the configured rate and they show in the pixels', () => {
    const expected = COSMIC_RAY_RATE * ((4072 * 4000 * 1e-6) / 16.29) * dark.truth.scene.darkTime;
    const n = dark.truth.scene.cosmicRays.length;
    expect(Math.abs(n - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // Every track deposits > 50 e- somewhere; count the tracks that light up at least one pixel by > 8 sigma.
    let seen = 0;
    for (const cr of dark.truth.scene.cosmicRays) if (cr.electrons > 200) seen++;
    expect(seen).toBeGreaterThan(n * 0.7);
  });
});

describe('science frames', () => {
  const sci = render(info('OBJECT', 30, 5));
  const scene = sci.truth.scene;

  it('has the sky level of the band', () => {
    const k = 6;
    const c = corrected(sci.amps[k]!);
    const sky = (median(c) * sci.truth.amps[k]!.gain) / scene.skyLevel;
    // Illumination near the optical axis is ~1 within the ±1% gradient; sources raise the median a little.
    expect(sky).toBeGreaterThan(0.97);
    expect(sky).toBeLessThan(1.04);
  });

  it('conserves charge along bleed trails, in the model and in the pixels', () => {
    const { scene: full } = prepareCcd(sci.plan, DET);
    const bled = full.sources.filter((s) => s.bleed && s.bleed.saturatedPixels > 0);
    expect(bled.length).toBeGreaterThan(0);
    for (const s of bled) {
      let total = s.bleed!.lost;
      for (const c of s.bleed!.columns) for (const v of c.values) total += v;
      expect(Math.abs(total / s.flux - 1), s.id).toBeLessThan(1e-4);
    }
    // In the pixels: the trail's columns hold the star's charge (less what bled off the CCD) above the sky.
    const s = bled.find((b) => b.bleed!.lost === 0 && b.x > 40 && b.x < 4032 && b.bleed!.columns.every((c) => c.y0 > 5 && c.y0 + c.values.length < 3995));
    if (s) {
      const geometry = getDetector(camera, DET);
      let sum = 0;
      let npix = 0;
      const cols = s.bleed!.columns;
      const yLo = Math.min(...cols.map((c) => c.y0)) - 3;
      const yHi = Math.max(...cols.map((c) => c.y0 + c.values.length)) + 3;
      const sky: number[] = [];
      for (let cx = cols[0]!.x - 3; cx <= cols[cols.length - 1]!.x + 3; cx++) {
        for (let cy = yLo - 10; cy <= yHi + 10; cy++) {
          const k = geometry.amps.findIndex((a) => cx >= a.ccdBox.x0 && cx < a.ccdBox.x0 + a.ccdBox.width && cy >= a.ccdBox.y0 && cy < a.ccdBox.y0 + a.ccdBox.height);
          if (k < 0) continue;
          const amp = geometry.amps[k]!;
          const lx = cx - amp.ccdBox.x0;
          const ly = cy - amp.ccdBox.y0;
          const raw = sci.amps[k]![(amp.flipY ? R.dh - 1 - ly : ly) * R.w + R.x0 + (amp.flipX ? R.dw - 1 - lx : lx)]!;
          const e = (raw - sci.truth.amps[k]!.biasLevel) * sci.truth.amps[k]!.gain;
          if (cy < yLo || cy > yHi) sky.push(e);
          else {
            sum += e;
            npix++;
          }
        }
      }
      const measured = sum - median(sky) * npix;
      expect(Math.abs(measured / s.flux - 1)).toBeLessThan(0.02);
    }
  });

  it('aperture photometry of bright isolated stars matches the truth within 2%', () => {
    const geometry = getDetector(camera, DET);
    const stars = scene.sources.filter(
      (s) =>
        s.kind === 'star' && !s.saturated && s.flux > 2e5 && s.flux < 1.5e6 &&
        scene.sources.every((o) => o === s || Math.hypot(o.x - s.x, o.y - s.y) > 30 || o.flux < s.flux * 0.002),
    );
    expect(stars.length).toBeGreaterThan(2);
    let checked = 0;
    for (const s of stars.slice(0, 8)) {
      const m = measure(sci, geometry.amps.findIndex((a) => contains(a.ccdBox, s.x, s.y)), s.x, s.y, 18);
      if (!m) continue;
      checked++;
      expect(Math.abs(m.flux / s.flux - 1), `star ${s.id} flux ${s.flux}`).toBeLessThan(0.02);
      expect(Math.hypot(m.x - s.x, m.y - s.y), `star ${s.id} centroid`).toBeLessThan(0.5);
    }
    expect(checked).toBeGreaterThan(1);
  });

  function contains(b: { x0: number; y0: number; width: number; height: number }, x: number, y: number): boolean {
    return x >= b.x0 + 20 && x < b.x0 + b.width - 20 && y >= b.y0 + 20 && y < b.y0 + b.height - 20;
  }

  /** Sum of electrons above the local sky within radius r, and the centroid, in CCD coordinates. */
  function measure(ccd: RenderedCcd, ampIndex: number, x: number, y: number, r: number): { flux: number; x: number; y: number } | null {
    if (ampIndex < 0) return null;
    const amp = getDetector(camera, DET).amps[ampIndex]!;
    const c = corrected(ccd.amps[ampIndex]!);
    const gain = ccd.truth.amps[ampIndex]!.gain;
    const at = (cx: number, cy: number): number => {
      const lx = cx - amp.ccdBox.x0;
      const ly = cy - amp.ccdBox.y0;
      const dx = amp.flipX ? R.dw - 1 - lx : lx;
      const ry = amp.flipY ? R.dh - 1 - ly : ly;
      return c[ry * R.dw + dx]! * gain;
    };
    const ring: number[] = [];
    let sum = 0;
    let sx = 0;
    let sy = 0;
    let npix = 0;
    let cw = 0;
    let cn = 0;
    const x0 = Math.round(x);
    const y0 = Math.round(y);
    for (let cy = y0 - r - 8; cy <= y0 + r + 8; cy++) {
      for (let cx = x0 - r - 8; cx <= x0 + r + 8; cx++) {
        if (cx < amp.ccdBox.x0 || cy < amp.ccdBox.y0 || cx >= amp.ccdBox.x0 + R.dw || cy >= amp.ccdBox.y0 + R.dh) return null;
        const d = Math.hypot(cx - x, cy - y);
        const v = at(cx, cy);
        if (d <= r) {
          sum += v;
          npix++;
        } else if (d > r + 2) ring.push(v);
        // A small centroid aperture: the sky noise of a wide one would dominate the position error.
        if (d <= 6) {
          sx += v * (cx - x);
          sy += v * (cy - y);
          cw += v;
          cn++;
        }
      }
    }
    const sky = median(ring);
    const flux = sum - sky * npix;
    // Centroid of the sky-subtracted light (the sky's first moment about the true position vanishes).
    const inner = cw - sky * cn;
    return { flux, x: x + sx / inner, y: y + sy / inner };
  }
});
