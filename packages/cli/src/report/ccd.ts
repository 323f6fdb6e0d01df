/**
 * QA of one CCD file: read every amp, measure bias and read noise in the serial overscan after per-row
 * subtraction, the sky in electrons from the overscan-corrected data, the saturated fraction, then assemble the
 * CCD as a significance image (per-amp background removed, divided by its noise) and find sources and cosmic rays
 * on it. A small block-averaged copy in electrons makes the thumbnail. One amp is held at a time.
 */
import { type Amplifier, type Camera, type Detector, getDetector } from '@daqsim/core';
import { FitsError, FitsFile, type Header } from '@daqsim/fits';
import { BlockAccumulator, placeAmp } from './assemble.js';
import { REQUIRED_KEYWORDS } from './flags.js';
import {
  type BadColumn,
  type Detection,
  background,
  countKinds,
  detect,
  maskBadColumns,
  overscanCorrected,
  overscanStats,
  rowOverscanLevels,
  saturatedFraction,
  smooth3,
} from './qa.js';

export interface AmpQa {
  name: string;
  hdu: number;
  /** Overscan bias level [ADU] and read noise [ADU]. */
  bias: number;
  noise: number;
  gain: number;
  /** Median overscan-corrected data [ADU] and × gain [e-]. */
  skyAdu: number;
  sky: number;
  /** Robust scatter of the data [e-]. */
  sigma: number;
  saturatedFraction: number;
}

export interface CcdMeasurement {
  /** Primary header values the QA checks (undefined when absent). */
  header: { obsId?: string; imageType?: string; dayObs?: string; groupId?: string; detector?: string; band?: string; expTime?: number; darkTime?: number };
  /** Required primary keywords (flags.REQUIRED_KEYWORDS) absent from the file. */
  missingKeywords: string[];
  /** HDU checksum results: bad or missing ones listed. */
  checksumProblems: string[];
  amps: AmpQa[];
  /** Detector amps with no HDU in the file. */
  missingAmps: string[];
  detections: { source: number; 'cosmic-ray': number; 'hot-pixel': number };
  /** Hot (level > 0) and dark columns, per amp. */
  badColumns: BadColumn[];
  /** Noise of the 3 × 3 smoothed significance image (1 for white noise); the threshold is 5 × this. */
  smoothNoise: number;
  threshold: number;
  /** Brightest detections kept for the record (at most 20). */
  brightest: Detection[];
  /** Block-averaged CCD in electrons, bottom row first, for the thumbnail. */
  thumb: { data: Float32Array; width: number; height: number; factor: number };
}

export interface MeasureOptions {
  /** Longest side of the thumbnail in pixels [480]. */
  thumbSize?: number;
  threshold?: number;
}

function detectorOf(camera: Camera, h: Header): Detector | undefined {
  const bay = h.get('RAFTBAY');
  const slot = h.get('CCDSLOT');
  if (typeof bay !== 'string' || typeof slot !== 'string') return undefined;
  try {
    return getDetector(camera, `${bay}_${slot}`);
  } catch {
    return undefined;
  }
}

function str(h: Header, k: string): string | undefined {
  const v = h.get(k);
  return v === undefined || v === null ? undefined : String(v);
}

function num(h: Header, k: string): number | undefined {
  const v = h.get(k);
  return typeof v === 'number' ? v : undefined;
}

/** Measure a raw CCD file. Throws FitsError when it cannot be read at all. */
export async function measureCcd(path: string, camera: Camera, detectorName: string | undefined, opts: MeasureOptions = {}): Promise<CcdMeasurement> {
  const f = await FitsFile.open(path);
  try {
    const h0 = await f.header(0);
    const det = (detectorName ? getDetector(camera, detectorName) : undefined) ?? detectorOf(camera, h0);
    if (!det) throw new FitsError('BAD_HEADER', `cannot tell which ${camera.name} detector ${path} holds`, { hdu: 0 });
    const header: CcdMeasurement['header'] = {};
    const hv: Array<[keyof CcdMeasurement['header'], string | undefined]> = [
      ['obsId', str(h0, 'OBSID')],
      ['imageType', str(h0, 'IMGTYPE')],
      ['dayObs', str(h0, 'DAYOBS')],
      ['groupId', str(h0, 'GROUPID')],
      ['band', str(h0, 'FILTBAND')],
    ];
    for (const [k, v] of hv) if (v !== undefined) (header as Record<string, unknown>)[k] = v;
    const bay = str(h0, 'RAFTBAY');
    const slot = str(h0, 'CCDSLOT');
    if (bay && slot) header.detector = `${bay}_${slot}`;
    const expTime = num(h0, 'EXPTIME');
    if (expTime !== undefined) header.expTime = expTime;
    const darkTime = num(h0, 'DARKTIME');
    if (darkTime !== undefined) header.darkTime = darkTime;

    const missingKeywords = REQUIRED_KEYWORDS.filter((k) => !h0.has(k));
    const checksumProblems: string[] = [];
    const n = await f.hduCount();
    for (let i = 0; i < n; i++) {
      const r = await f.verifyChecksums(i);
      if (r.checksum !== 'ok' || r.datasum !== 'ok') checksumProblems.push(`HDU ${i}: CHECKSUM ${r.checksum}, DATASUM ${r.datasum}`);
    }

    const layout = det.layout;
    const W = layout.ccdWidth;
    const H = layout.ccdHeight;
    // Significance image, zero where an amp is missing.
    const sig = new Float32Array(W * H);
    const factor = Math.max(1, Math.ceil(Math.max(W, H) / (opts.thumbSize ?? 480)));
    const thumb = new BlockAccumulator(W, H, factor);
    const byExt = new Map<string, Amplifier>(det.amps.map((a) => [a.extname, a]));
    const amps: AmpQa[] = [];
    const found = new Set<string>();
    for (let i = 1; i < n; i++) {
      const info = await f.info(i);
      const amp = byExt.get(String(info.header.get('EXTNAME') ?? ''));
      if (!amp || found.has(amp.name)) continue;
      const img = await f.readImage(i);
      const [rw, rh] = img.shape as [number, number];
      if (rw !== layout.rawWidth || rh !== layout.rawHeight) {
        throw new FitsError('BAD_DATA', `${amp.extname} is ${rw}x${rh}, the ${layout.name} layout says ${layout.rawWidth}x${layout.rawHeight}`, { hdu: i });
      }
      if (img.data instanceof BigInt64Array) throw new FitsError('UNSUPPORTED', `${amp.extname} is 64-bit integer data, which no raw uses`, { hdu: i });
      found.add(amp.name);
      const pix = img.data;
      const levels = rowOverscanLevels(pix, rw, layout.serialOverscan);
      const os = overscanStats(pix, rw, layout.serialOverscan, levels);
      const data = overscanCorrected(pix, rw, layout.data, levels, layout.serialOverscan.y0);
      const bg = background(data);
      const gain = amp.gain;
      const sat = saturatedFraction(pix, rw, layout.data, amp.saturation);
      amps.push({ name: amp.name, hdu: i, bias: os.bias, noise: os.noise, gain, skyAdu: bg.level, sky: bg.level * gain, sigma: bg.sigma * gain, saturatedFraction: sat });
      const inv = bg.sigma > 0 ? 1 / bg.sigma : 0;
      placeAmp(sig, W, data, amp, inv, -bg.level * inv);
      thumb.add(data, amp, gain);
    }
    const missingAmps = det.amps.filter((a) => !found.has(a.name)).map((a) => a.name);
    const badColumns = maskBadColumns(
      sig,
      W,
      det.amps.filter((a) => found.has(a.name)).map((a) => a.ccdBox),
    );
    // Neighbouring pixels are slightly correlated (CTI, the PSF of sky texture), so the smoothed image's own noise
    // sets the threshold rather than the white-noise value of 1.
    const smooth = smooth3(sig, W, H);
    const smoothNoise = background(smooth).sigma || 1;
    const threshold = opts.threshold ?? 5;
    const dets = detect(sig, smooth, W, H, { threshold: threshold * smoothNoise });
    const brightest = dets
      .filter((d) => d.kind === 'source')
      .sort((a, b) => b.peak - a.peak)
      .slice(0, 20);
    return {
      header,
      missingKeywords,
      checksumProblems,
      amps,
      missingAmps,
      detections: countKinds(dets),
      badColumns,
      smoothNoise,
      threshold,
      brightest,
      thumb: { data: thumb.result(), width: thumb.width, height: thumb.height, factor },
    };
  } finally {
    await f.close();
  }
}
