/**
 * The scene of one CCD in one exposure: everything that is not per-pixel noise, in assembled CCD pixel coordinates.
 * Sources from the sky catalog placed through the WCS, saturated stars with their bleed trails, cosmic rays,
 * defects, the smooth illumination and the fringe pattern. Every amp of the CCD derives the same scene from the
 * plan, so amps can be rendered independently and still agree where stamps, trails and tracks cross amp edges.
 */
import { BANDS, scanSky, sourceId } from './catalog.js';
import { bandPhotometry, electronsFromMag } from './photometry.js';
import { threadWorkspace } from './kernels.js';
import { moffatAlpha, moffatAt, stampRadius } from './psf.js';
import { KeyedSequence, streamKey } from './rng.js';
import type { SynthCcd, CcdWcs, ExposurePlan } from './types.js';

export interface PlacedSource {
  id: string;
  kind: 'star' | 'galaxy' | 'spot';
  ra: number;
  dec: number;
  /** CCD pixel position (0-based, pixel centres). */
  x: number;
  y: number;
  mag: number;
  /** Electrons collected (after vignetting), exactly what the stamp holds before saturation. */
  flux: number;
  alpha: number;
  radius: number;
  /** flux / sum of the profile over the stamp. */
  norm: number;
  /** Saturated stars are pre-rendered with their bleed trails instead of painted from the profile. */
  bleed?: BleedBlock;
}

/** A saturated star after bleeding: per column, a run of electrons starting at row y0. */
export interface BleedBlock {
  columns: Array<{ x: number; y0: number; values: Float32Array }>;
  /** Electrons that bled off the CCD (or past an E2V midline) and were lost. */
  lost: number;
  saturatedPixels: number;
}

export interface CosmicRay {
  id: number;
  kind: 'track' | 'worm';
  /** Pixels hit and electrons deposited in each. */
  xs: Int32Array;
  ys: Int32Array;
  electrons: Float32Array;
  total: number;
}

export interface Defects {
  hotPixels: Array<{ x: number; y: number; rate: number }>;
  /** Dark columns scale the light they receive; hot columns add dark current. */
  columns: Array<{ x: number; y0: number; y1: number; kind: 'dark' | 'hot'; value: number }>;
}

export interface FringeWave {
  kx: number;
  ky: number;
  phase: number;
}

export interface CcdScene {
  /** Mean sky [e-/px] at unit illumination. */
  skyLevel: number;
  /** Flat lamp [e-/px] at unit illumination. */
  lampLevel: number;
  /** Dark current [e-/px/s] and the time it accrues over [s]. */
  darkRate: number;
  darkTime: number;
  /** Relative fringe amplitude (fraction of sky), 0 outside z and y. */
  fringeAmplitude: number;
  fringes: FringeWave[];
  /** Pixel response non-uniformity (rms fraction). */
  prnu: number;
  /** Full well [e-], used for saturation and bleeding. */
  fullWell: number;
  /** Nonlinearity: e -> e·(1 − c·e/fullWell). */
  nonlinearity: number;
  /** Serial CTI per transfer. */
  serialCti: number;
  sources: PlacedSource[];
  cosmicRays: CosmicRay[];
  defects: Defects;
  /** Illumination (vignetting and gradient) at a CCD pixel, relative to 1 at the optical axis. */
  illumination(x: number, y: number): number;
}

/** Dark current [e-/px/s] by vendor (LSSTCam Run 7 medians). */
const DARK_RATE = { ITL: 0.021, E2V: 0.023 } as const;
/** Serial CTI per transfer (measured fractions; the "%" column of SITCOMTN-148 divided by 100). */
const SERIAL_CTI = { ITL: 1.5e-6, E2V: 7.3e-8 } as const;
/** Cosmic rays per CCD per second (imSim default, from DECam darks at CTIO) for a 16.29 cm² CCD. */
export const COSMIC_RAY_RATE = 0.2;
const CCD_AREA_CM2 = 16.29;
const PIXEL_AREA_CM2 = 1e-6;

/** Vignetting against focal-plane radius [mm] (imSim's LSSTCam profile, observing.md §2). */
const VIGNETTING_MM = [0, 100, 200, 250, 280, 300, 310, 320, 330, 340, 400];
const VIGNETTING = [1, 0.998, 0.986, 0.968, 0.946, 0.928, 0.919, 0.848, 0.716, 0.609, 0.3];

function vignetting(rmm: number): number {
  if (rmm <= 0) return 1;
  for (let k = 1; k < VIGNETTING_MM.length; k++) {
    if (rmm <= VIGNETTING_MM[k]!) {
      const t = (rmm - VIGNETTING_MM[k - 1]!) / (VIGNETTING_MM[k]! - VIGNETTING_MM[k - 1]!);
      return VIGNETTING[k - 1]! + t * (VIGNETTING[k]! - VIGNETTING[k - 1]!);
    }
  }
  return VIGNETTING[VIGNETTING.length - 1]!;
}

const ON_SKY = new Set(['OBJECT', 'ACQ', 'FOCUS', 'ENGTEST']);

export function isOnSky(plan: ExposurePlan): boolean {
  return ON_SKY.has(plan.imageType);
}

/** Seconds the detector integrates light (shutter open), dark current and cosmic rays. */
export function exposureTimes(plan: ExposurePlan): { light: number; dark: number } {
  const light = plan.imageType === 'BIAS' || plan.imageType === 'DARK' ? 0 : plan.exptime;
  const open = plan.imageType === 'BIAS' ? 0 : plan.exptime;
  return { light, dark: open + plan.readoutTime };
}

export interface SceneContext {
  plan: ExposurePlan;
  ccd: SynthCcd;
  wcs: CcdWcs;
  /** Arcsec per pixel. */
  pixelScale: number;
}

export function buildScene(ctx: SceneContext): CcdScene {
  const { plan, ccd } = ctx;
  const fx = plan.effects;
  const times = exposureTimes(plan);
  const phot = bandPhotometry(plan.camera, plan.band, ctx.pixelScale);
  const onSky = isOnSky(plan);
  // Full well from the amps' saturation minus bias, times gain, as imSim derives it.
  const fullWell = Math.min(...ccd.amps.map((a) => (a.saturation - a.bias) * a.gain));

  // Illumination: vignetting at the focal-plane radius, times a small fixed gradient per detector.
  const gseq = new KeyedSequence(streamKey('illum', plan.instrumentSeed, plan.camera, ccd.detector));
  const gx = (gseq.next() - 0.5) * 0.02;
  const gy = (gseq.next() - 0.5) * 0.02;
  const illumination = fx.flat
    ? (x: number, y: number): number => {
        const [fpx, fpy] = ccd.focalPlane(x, y);
        return vignetting(Math.hypot(fpx, fpy)) * (1 + gx * (x / ccd.width - 0.5) + gy * (y / ccd.height - 0.5));
      }
    : (): number => 1;

  const fseq = new KeyedSequence(streamKey('fringe', plan.instrumentSeed, plan.camera, ccd.detector));
  const fringes: FringeWave[] = [];
  for (let k = 0; k < 3; k++) {
    const period = 40 + 80 * fseq.next();
    const angle = 2 * Math.PI * fseq.next();
    fringes.push({ kx: (2 * Math.PI * Math.cos(angle)) / period, ky: (2 * Math.PI * Math.sin(angle)) / period, phase: 2 * Math.PI * fseq.next() });
  }
  const fringeAmplitude = fx.fringes && onSky ? (plan.band === 'y' ? 0.004 : plan.band === 'z' ? 0.002 : 0) : 0;

  const scene: CcdScene = {
    skyLevel: fx.sky && onSky ? phot.skyRate * times.light : 0,
    lampLevel: plan.imageType === 'FLAT' ? plan.flatLevel : 0,
    darkRate: fx.dark ? DARK_RATE[ccd.vendor] : 0,
    darkTime: times.dark,
    fringeAmplitude,
    fringes,
    prnu: fx.flat ? 0.006 : 0,
    fullWell,
    nonlinearity: fx.nonlinearity ? 0.002 : 0,
    serialCti: fx.cti ? SERIAL_CTI[ccd.vendor] : 0,
    sources: [],
    cosmicRays: fx.cosmicRays ? cosmicRays(plan, ccd, times.dark) : [],
    defects: fx.defects ? defects(plan, ccd) : { hotPixels: [], columns: [] },
    illumination,
  };

  if (fx.sources && onSky && times.light > 0) {
    scene.sources = skySources(ctx, scene, phot);
  } else if (fx.sources && plan.imageType === 'SPOT') {
    scene.sources = spotGrid(ctx, scene);
  }
  return scene;
}

function skySources(ctx: SceneContext, scene: CcdScene, phot: ReturnType<typeof bandPhotometry>): PlacedSource[] {
  const { plan, ccd, wcs, pixelScale } = ctx;
  const seeing = plan.imageType === 'FOCUS' ? plan.seeing * 2.5 : plan.seeing;
  const alphaPsf = moffatAlpha(seeing / pixelScale);
  const margin = 60;
  // Sky box of the CCD plus margin, from its corners and edge midpoints.
  const pts: Array<[number, number]> = [];
  for (const fx of [-margin, ccd.width / 2, ccd.width + margin]) {
    for (const fy of [-margin, ccd.height / 2, ccd.height + margin]) pts.push(wcs.pixelToSky(fx, fy));
  }
  const decs = pts.map((p) => p[1]);
  const ras = pts.map((p) => p[0]);
  const decMin = Math.min(...decs);
  const decMax = Math.max(...decs);
  let raMin = Math.min(...ras);
  let raMax = Math.max(...ras);
  if (raMax - raMin > 180) {
    // The box crosses RA 0: express it as a wrapping interval.
    const shifted = ras.map((r) => (r > 180 ? r - 360 : r));
    raMin = (Math.min(...shifted) + 360) % 360;
    raMax = Math.max(...shifted);
  }
  if (Math.abs(decMax) > 89 || Math.abs(decMin) > 89) {
    raMin = 0;
    raMax = 360;
  }
  const m = BANDS.indexOf(plan.band === 'white' ? 'r' : plan.band);
  const out: PlacedSource[] = [];
  scanSky(plan.skySeed, { raMin, raMax, decMin, decMax }, plan.band, plan.magLimit, (t, k) => {
    const ra = t.ra[k]!;
    const dec = t.dec[k]!;
    const [x, y] = wcs.skyToPixel(ra, dec);
    if (!(x > -margin && x < ccd.width + margin && y > -margin && y < ccd.height + margin)) return;
    const mag = t.mags[6 * k + m]!;
    const flux = electronsFromMag(phot, mag, plan.exptime, plan.airmass) * scene.illumination(clampTo(x, ccd.width), clampTo(y, ccd.height));
    const galaxy = k >= t.nStars;
    const sizePx = t.size[k]! / pixelScale;
    const alpha = galaxy ? Math.sqrt(alphaPsf * alphaPsf + sizePx * sizePx) : alphaPsf;
    const radius = stampRadius(alpha, flux);
    const sum = stampSum(x, y, alpha, radius);
    if (sum <= 0) return;
    const placed: PlacedSource = { id: sourceId(t, k), kind: galaxy ? 'galaxy' : 'star', ra, dec, x, y, mag, flux, alpha, radius, norm: flux / sum };
    if (plan.effects.saturation && plan.effects.bleed && placed.norm + scene.skyLevel > scene.fullWell) {
      placed.bleed = bleedBlock(placed, scene, ccd);
    }
    out.push(placed);
  });
  return out;
}

function clampTo(v: number, n: number): number {
  return Math.min(n - 1, Math.max(0, v));
}

/** Test-bench spots: a 5 x 5 grid of bright compact spots, no sky. */
function spotGrid(ctx: SceneContext, scene: CcdScene): PlacedSource[] {
  const { ccd, plan } = ctx;
  const alpha = moffatAlpha(3);
  const out: PlacedSource[] = [];
  const seq = new KeyedSequence(streamKey('spots', plan.seed, plan.exposureKey, ccd.detector));
  for (let j = 0; j < 5; j++) {
    for (let i = 0; i < 5; i++) {
      const x = ((i + 0.5) * ccd.width) / 5 + (seq.next() - 0.5) * 4;
      const y = ((j + 0.5) * ccd.height) / 5 + (seq.next() - 0.5) * 4;
      const flux = 2e5 * Math.max(plan.exptime, 0.1) * scene.illumination(x, y);
      const radius = stampRadius(alpha, flux);
      const sum = stampSum(x, y, alpha, radius);
      const [ra, dec] = ctx.wcs.pixelToSky(x, y);
      const p: PlacedSource = { id: `spot${j}${i}`, kind: 'spot', ra, dec, x, y, mag: 0, flux, alpha, radius, norm: flux / sum };
      if (plan.effects.saturation && plan.effects.bleed && p.norm > scene.fullWell) p.bleed = bleedBlock(p, scene, ccd);
      out.push(p);
    }
  }
  return out;
}

/**
 * Sum of the profile over the stamp's pixel centres (those within `radius`, visited along the same chords the
 * painter uses), so that a stamp scaled by flux/sum holds exactly flux. Runs in the thread's kernels.
 */
function stampSum(x: number, y: number, alpha: number, radius: number): number {
  return threadWorkspace().kernels.stampSum(x, y, radius, 1 / (alpha * alpha));
}

let bleedCol = new Float64Array(256);
let bleedArena = new Float64Array(1 << 16);

/**
 * Bleed a saturated star along its columns: charge above the full well (less the sky under it) moves up and down
 * the column, filling pixels to the full well, alternately on each side, until it is spent. Charge is conserved
 * except where a trail reaches the CCD edge, or the midline on E2V sensors, whose two halves are isolated.
 */
function bleedBlock(s: PlacedSource, scene: CcdScene, ccd: SynthCcd): BleedBlock {
  const cap = Math.max(1, scene.fullWell - scene.skyLevel);
  const inv = 1 / (s.alpha * s.alpha);
  const r2 = s.radius * s.radius;
  const x0 = Math.ceil(s.x - s.radius);
  const x1 = Math.floor(s.x + s.radius);
  const y0 = Math.ceil(s.y - s.radius);
  const y1 = Math.floor(s.y + s.radius);
  let lowLimit = 0;
  let highLimit = ccd.height - 1;
  if (ccd.vendor === 'E2V') {
    const mid = ccd.height / 2;
    if (s.y < mid) highLimit = mid - 1;
    else lowLimit = mid;
  }
  const block: BleedBlock = { columns: [], lost: 0, saturatedPixels: 0 };
  // Columns are built in a reused scratch column and packed into one arena: a typed array per column made
  // thousands of small off-heap allocations per CCD, and in worker threads those cost 20x their arithmetic.
  const n = y1 - y0 + 1;
  if (bleedCol.length < n) bleedCol = new Float64Array(n);
  const col = bleedCol;
  const spans: Array<{ x: number; k0: number; at: number; len: number }> = [];
  let arena = bleedArena;
  let used = 0;
  const reserve = (len: number): void => {
    if (used + len > arena.length) {
      const grown = new Float64Array(Math.max(2 * arena.length, used + len));
      grown.set(arena.subarray(0, used));
      arena = grown;
    }
  };
  for (let px = x0; px <= x1; px++) {
    if (px < 0 || px >= ccd.width) continue;
    const dx = px - s.x;
    let excess = 0;
    for (let py = y0; py <= y1; py++) {
      const dy = py - s.y;
      const d2 = dx * dx + dy * dy;
      let v = d2 <= r2 ? s.norm * moffatAt(d2 * inv) : 0;
      if (py < lowLimit || py > highLimit) {
        // The stamp's part across the isolated midline stays where it is, unbled.
        col[py - y0] = v;
        continue;
      }
      if (v > cap) {
        excess += v - cap;
        v = cap;
        block.saturatedPixels++;
      }
      col[py - y0] = v;
    }
    if (excess === 0) {
      reserve(n);
      arena.set(col.subarray(0, n), used);
      spans.push({ x: px, k0: 0, at: used, len: n });
      used += n;
      continue;
    }
    // Find the saturated run around the peak row and grow it outward.
    let top = -1;
    let bottom = n;
    for (let k = 0; k < n; k++) if (col[k]! >= cap) { bottom = Math.min(bottom, k); top = Math.max(top, k); }
    let up = top + 1;
    let down = bottom - 1;
    const extra = new Map<number, number>();
    let turn = 0;
    while (excess > 0) {
      const goingUp = turn++ % 2 === 0;
      const k = goingUp ? up++ : down--;
      const row = y0 + k;
      if (row < lowLimit || row > highLimit) {
        if (up - 1 + y0 > highLimit && down + 1 + y0 < lowLimit) {
          block.lost += excess;
          excess = 0;
        }
        continue;
      }
      const have = k >= 0 && k < n ? col[k]! : 0;
      const add = Math.min(excess, cap - have);
      if (add > 0) {
        extra.set(k, add);
        excess -= add;
      }
    }
    let kMin = 0;
    let kMax = n - 1;
    for (const k of extra.keys()) { kMin = Math.min(kMin, k); kMax = Math.max(kMax, k); }
    const len = kMax - kMin + 1;
    reserve(len);
    arena.fill(0, used, used + len);
    arena.set(col.subarray(0, n), used - kMin);
    for (const [k, v] of extra) arena[used + k - kMin] = arena[used + k - kMin]! + v;
    spans.push({ x: px, k0: kMin, at: used, len });
    used += len;
  }
  bleedArena = arena;
  const values = new Float32Array(arena.subarray(0, used));
  for (const sp of spans) block.columns.push({ x: sp.x, y0: y0 + sp.k0, values: values.subarray(sp.at, sp.at + sp.len) });
  return block;
}

/**
 * Cosmic rays over the dark time: straight muon tracks (80%), whose projected length follows from the 100 µm
 * thick silicon and a cos² zenith-angle distribution, and curly electron "worms" (20%). Total charge is
 * log-normal with the median 7.1 ke- and 90th percentile ~30 ke- of the ITL lab catalog.
 */
function cosmicRays(plan: ExposurePlan, ccd: SynthCcd, darkTime: number): CosmicRay[] {
  const seq = new KeyedSequence(streamKey('cosmic', plan.seed, plan.exposureKey, plan.camera, ccd.detector));
  const area = ccd.width * ccd.height * PIXEL_AREA_CM2;
  const n = seq.poisson(COSMIC_RAY_RATE * (area / CCD_AREA_CM2) * darkTime);
  const out: CosmicRay[] = [];
  for (let id = 0; id < n; id++) {
    const total = Math.exp(Math.log(7100) + 1.12 * seq.normal());
    const worm = seq.next() < 0.2;
    const x = seq.next() * ccd.width;
    const y = seq.next() * ccd.height;
    const hits = new Map<number, number>();
    const deposit = (px: number, py: number, e: number): void => {
      const ix = Math.floor(px);
      const iy = Math.floor(py);
      if (ix < 0 || iy < 0 || ix >= ccd.width || iy >= ccd.height) return;
      const key = iy * ccd.width + ix;
      hits.set(key, (hits.get(key) ?? 0) + e);
    };
    if (!worm) {
      // cos² zenith distribution: cos θ = U^(1/3); projected length = thickness · tan θ (10 px per 100 µm).
      const cosT = Math.max(0.05, seq.next() ** (1 / 3));
      const len = Math.min(400, 10 * Math.sqrt(1 - cosT * cosT) / cosT);
      const phi = 2 * Math.PI * seq.next();
      const steps = Math.max(1, Math.ceil(len * 2));
      for (let k = 0; k <= steps; k++) {
        const t = k / steps - 0.5;
        deposit(x + t * len * Math.cos(phi), y + t * len * Math.sin(phi), total / (steps + 1));
      }
    } else {
      const steps = 5 + seq.int(40);
      let dir = 2 * Math.PI * seq.next();
      let px = x;
      let py = y;
      for (let k = 0; k < steps; k++) {
        deposit(px, py, total / steps);
        dir += 0.6 * seq.normal();
        px += Math.cos(dir);
        py += Math.sin(dir);
      }
    }
    const xs = new Int32Array(hits.size);
    const ys = new Int32Array(hits.size);
    const electrons = new Float32Array(hits.size);
    let k = 0;
    let sum = 0;
    for (const [key, e] of hits) {
      xs[k] = key % ccd.width;
      ys[k] = Math.floor(key / ccd.width);
      electrons[k++] = e;
      sum += e;
    }
    if (hits.size > 0) out.push({ id, kind: worm ? 'worm' : 'track', xs, ys, electrons, total: sum });
  }
  return out;
}

/** Defects fixed per detector (keyed by the instrument seed, not the exposure): hot pixels and bad columns. */
function defects(plan: ExposurePlan, ccd: SynthCcd): Defects {
  const seq = new KeyedSequence(streamKey('defects', plan.instrumentSeed, plan.camera, ccd.detector));
  const hotPixels: Defects['hotPixels'] = [];
  const nHot = seq.poisson(12);
  for (let k = 0; k < nHot; k++) {
    hotPixels.push({ x: seq.int(ccd.width), y: seq.int(ccd.height), rate: 2 * Math.exp(1.5 * seq.normal()) + 1 });
  }
  const columns: Defects['columns'] = [];
  const nCols = seq.poisson(1.5);
  for (let k = 0; k < nCols; k++) {
    const x = seq.int(ccd.width);
    const a = seq.int(ccd.height);
    const len = 50 + seq.int(ccd.height);
    const hot = seq.next() < 0.3;
    columns.push({ x, y0: a, y1: Math.min(ccd.height - 1, a + len), kind: hot ? 'hot' : 'dark', value: hot ? 1 + 5 * seq.next() : 0.3 + 0.5 * seq.next() });
  }
  return { hotPixels, columns };
}

