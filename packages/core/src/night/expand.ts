/**
 * From a plan to the concrete exposures of a night: times (calibrations in the afternoon, each on-sky block centred
 * on its target's highest point in the night), sequence numbers, filters, dithered pointings and the detectors to
 * write. Deterministic from the seed and day_obs, so the same command gives the same night.
 */
import { raDecToAltAz } from '../astro.js';
import { getCamera } from '../cameras/registry.js';
import type { Camera, Detector } from '../cameras/types.js';
import { DaqsimError } from '../errors.js';
import type { ExposureInfo } from '../exposure.js';
import { checkDayObs, dayObsStart } from '../ids.js';
import { KeyedSequence, streamKey } from '../synth/rng.js';
import { ccdToSky, skyToCcd } from '../wcs.js';
import type { NightPlan, PlanBlock, Target } from './plans.js';
import type { Tai } from '../time.js';

export interface NightExposure {
  block: string;
  info: ExposureInfo;
  band: string;
  detectors: string[];
}

export interface ExpandOptions {
  dayObs: number;
  seed: number;
  /** First seq_num of the night [1]. */
  firstSeq?: number;
}

/** Filter change, as the scheduler models it [s]. */
const FILTER_CHANGE = 120;
const ON_SKY = new Set(['OBJECT', 'ACQ', 'FOCUS']);

/** The camera's filter for a band: the first physical filter of that band in the camera data. */
export function filterForBand(camera: Camera, band: string): string {
  const f = camera.filters.find((x) => x.band === band);
  if (!f) throw new DaqsimError('BAD_PLAN', `${camera.name} has no filter for band ${JSON.stringify(band)}`, { field: 'bands', band });
  return f.physical;
}

function scienceDetectors(camera: Camera): Detector[] {
  return camera.detectors.filter((d) => d.role === 'science');
}

/** Field-of-view radius [deg] from the detector centres, to keep dithers on the camera. */
function fovRadius(camera: Camera): number {
  const r = Math.max(...scienceDetectors(camera).map((d) => Math.hypot(d.centerMm[0], d.centerMm[1])), 21);
  return (r * camera.plateScaleArcsecPerMm) / 3600;
}

/** Whether a detector sees any of the box of half-size `half` [deg] around (ra, dec) for a pointing. */
function detectorSeesPatch(camera: Camera, det: Detector, pointing: { ra: number; dec: number; rotPA: number }, ra: number, dec: number, half: number): boolean {
  const w = det.layout.ccdWidth;
  const h = det.layout.ccdHeight;
  const cosd = Math.cos((dec * Math.PI) / 180);
  for (let i = 0; i <= 4; i++) {
    for (let j = 0; j <= 4; j++) {
      const s = ccdToSky(camera, det, pointing, (i / 4) * (w - 1), (j / 4) * (h - 1));
      let dra = s.ra - ra;
      if (dra > 180) dra -= 360;
      if (dra < -180) dra += 360;
      if (Math.abs(dra * cosd) <= half && Math.abs(s.dec - dec) <= half) return true;
    }
  }
  for (let i = 0; i <= 4; i++) {
    for (let j = 0; j <= 4; j++) {
      const p = skyToCcd(camera, det, pointing, ra + ((i / 2 - 1) * half) / cosd, dec + (j / 2 - 1) * half);
      if (p && p.x >= 0 && p.y >= 0 && p.x < w && p.y < h) return true;
    }
  }
  return false;
}

/** The instant of the target's highest elevation within the night window (dayStart + 10 h .. + 22 h). */
function bestTime(camera: Camera, dayStart: Tai, t: Target): Tai {
  let best = dayStart.plus(15 * 3600);
  let bestEl = -90;
  for (let m = 10 * 60; m <= 22 * 60; m += 5) {
    const at = dayStart.plus(m * 60);
    const el = raDecToAltAz(t.ra, t.dec, at, camera.site).el;
    if (el > bestEl) {
      bestEl = el;
      best = at;
    }
  }
  if (bestEl < 25) {
    // Not up at night in this season: take its transit anyway (nothing here models the Sun) rather than fail.
    for (let m = 0; m < 24 * 60; m += 5) {
      const at = dayStart.plus(m * 60);
      const el = raDecToAltAz(t.ra, t.dec, at, camera.site).el;
      if (el > bestEl) {
        bestEl = el;
        best = at;
      }
    }
  }
  return best;
}

function blockExposureList(b: PlanBlock): Array<{ band: string | undefined; exptime: number }> {
  const times = Array.isArray(b.exptime) ? b.exptime : [b.exptime];
  const repeat = b.repeat ?? 1;
  const bands = b.bands && b.bands.length > 0 ? b.bands : [undefined];
  const out: Array<{ band: string | undefined; exptime: number }> = [];
  if (b.groupByBand) {
    for (const band of bands) for (let k = 0; k < b.count; k++) out.push({ band, exptime: times[Math.floor(k / repeat) % times.length]! });
  } else {
    for (let k = 0; k < b.count; k++) out.push({ band: bands[k % bands.length], exptime: times[Math.floor(k / repeat) % times.length]! });
  }
  return out;
}

/** Expand a plan into the exposures of one night. */
export function expandNight(cameraKey: string, plan: NightPlan, opts: ExpandOptions): NightExposure[] {
  const camera = getCamera(cameraKey);
  const day = checkDayObs(opts.dayObs);
  const dayStart = dayObsStart(day, camera.dayObsOffsetHours);
  let seq = opts.firstSeq ?? 1;
  // Afternoon: calibrations start four hours after the day_obs rollover.
  let t = dayStart.plus(4 * 3600);
  let lastBand: string | undefined;
  const out: NightExposure[] = [];
  const fov = fovRadius(camera);
  const all = scienceDetectors(camera).map((d) => d.name);
  for (const b of plan.blocks) {
    const list = blockExposureList(b);
    const onSky = ON_SKY.has(b.imageType);
    if (onSky && b.target) {
      const per = list.reduce((s, e) => s + e.exptime + camera.timing.readoutTime + (b.gap ?? 5), 0);
      const centre = bestTime(camera, dayStart, b.target);
      const start = centre.plus(-per / 2);
      if (start.minus(t) > 0) t = start;
    }
    for (const e of list) {
      const band = e.band ?? camera.filters.find((f) => f.physical === camera.defaultFilter)?.band ?? 'white';
      const filter = e.band ? filterForBand(camera, e.band) : camera.defaultFilter;
      if (lastBand !== undefined && band !== lastBand && b.imageType !== 'BIAS' && b.imageType !== 'DARK') t = t.plus(FILTER_CHANGE);
      if (b.imageType !== 'BIAS' && b.imageType !== 'DARK') lastBand = band;
      const exptime = b.imageType === 'BIAS' ? 0 : e.exptime;
      const info: ExposureInfo = { imageType: b.imageType, start: t, expTime: exptime, seqNum: seq, filter, program: `daqsim-${plan.name}`, reason: b.name };
      let detectors = b.detectors ?? all;
      if (onSky && b.target) {
        const seqRng = new KeyedSequence(streamKey('dither', opts.seed, day, seq));
        const r = Math.min(b.target.dither ?? 0, 0.5 * fov) * Math.sqrt(seqRng.next());
        const phi = 2 * Math.PI * seqRng.next();
        const dec = Math.max(-89.9, Math.min(89.9, b.target.dec + r * Math.sin(phi)));
        const ra = (b.target.ra + (r * Math.cos(phi)) / Math.cos((dec * Math.PI) / 180) + 360) % 360;
        const rotPA = b.target.dither ? (seqRng.next() - 0.5) * 90 : 0;
        info.pointing = { ra, dec, rotPA };
        info.object = b.target.name ?? 'daqsim field';
        if (b.target.patch) {
          const p = info.pointing;
          const half = b.target.patch / 2;
          detectors = detectors.filter((name) => {
            const det = camera.detectors.find((d) => d.name === name)!;
            return detectorSeesPatch(camera, det, p, b.target!.ra, b.target!.dec, half);
          });
        }
      }
      out.push({ block: b.name, info, band, detectors });
      seq++;
      t = t.plus(exptime + camera.timing.shutterOverhead + camera.timing.readoutTime + (b.gap ?? (onSky ? 5 : 2)));
    }
  }
  return out;
}
