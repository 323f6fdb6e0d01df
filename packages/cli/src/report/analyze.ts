/**
 * QA of one file of the night, as a job with plain-data input and output so it can run in a worker thread:
 * existence, size and SHA-256 against the manifest, the pixel metrics, the flags, the truth comparison and,
 * when asked, the thumbnail.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { getCamera, getDetector } from '@daqsim/core';
import { FitsError } from '@daqsim/fits';
import type { ManifestFile } from '../transfer/manifest.js';
import { type AmpQa, measureCcd } from './ccd.js';
import { taiIsoToMs } from './events.js';
import { type QaFlag, pixelFlags } from './flags.js';
import { median } from './stats.js';
import { type Thumbnail, makeThumbnail } from './thumbnail.js';
import { type TruthComparison, type TruthRecord, compareWithTruth } from './truth.js';

export interface CcdJob {
  root: string;
  file: ManifestFile;
  /** Camera registry key. */
  camera: string;
  /** Make a thumbnail always, only when the file is flagged, or never. */
  thumbnail: 'always' | 'if-flagged' | 'never';
}

export interface CcdResult {
  path: string;
  obsId: string;
  detector: string;
  imageType: string;
  band: string;
  exptime: number;
  status: 'ok' | 'missing' | 'unreadable';
  error?: string;
  amps: AmpQa[];
  /** Means over amps [ADU]. */
  bias?: number;
  noise?: number;
  /** Median over amps [e-]. */
  level?: number;
  sigmaE?: number;
  saturatedFraction?: number;
  sources?: number;
  cosmicRays?: number;
  /** Sharp single-pixel detections: hot pixels (or one-pixel hits). */
  hotPixels?: number;
  badColumns?: number;
  truth?: TruthComparison;
  flags: QaFlag[];
  thumbnail?: Thumbnail;
  seconds: number;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

export async function analyzeCcd(job: CcdJob): Promise<CcdResult> {
  const t0 = performance.now();
  const f = job.file;
  const base: CcdResult = {
    path: f.path,
    obsId: f.obsId,
    detector: f.detector,
    imageType: f.imageType ?? '',
    band: f.band ?? '',
    exptime: f.exptime ?? 0,
    status: 'ok',
    amps: [],
    flags: [],
    seconds: 0,
  };
  const done = (r: CcdResult): CcdResult => ({ ...r, seconds: (performance.now() - t0) / 1000 });
  const abs = join(job.root, f.path);
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch {
    return done({ ...base, status: 'missing', flags: [{ code: 'missing', detail: 'listed in the manifest but not in the night directory' }] });
  }
  const flags: QaFlag[] = [];
  if (size !== f.size) flags.push({ code: 'size-mismatch', detail: `${size} bytes, the manifest says ${f.size}` });
  if (f.sha256 !== undefined) {
    const got = await sha256(abs);
    if (got !== f.sha256) flags.push({ code: 'sha256-mismatch', detail: `sha256 ${got.slice(0, 12)}… differs from the manifest's ${f.sha256.slice(0, 12)}…` });
  }
  const camera = getCamera(job.camera);
  let m;
  try {
    m = await measureCcd(abs, camera, f.detector || undefined);
  } catch (err) {
    const msg = err instanceof FitsError || err instanceof Error ? err.message : String(err);
    return done({ ...base, status: 'unreadable', error: msg, flags: [...flags, { code: 'unreadable', detail: msg }] });
  }
  const det = getDetector(camera, m.header.detector ?? f.detector);
  const level = median(m.amps.map((a) => a.sky));
  const sigmaE = median(m.amps.map((a) => a.sigma));
  const readoutEnd = taiIsoToMs(f.dateEnd) + camera.timing.readoutTime * 1000;
  const written = taiIsoToMs(f.fileDate);
  const writeDelay = Number.isFinite(readoutEnd) && Number.isFinite(written) ? (written - readoutEnd) / 1000 : undefined;
  const imageType = f.imageType ?? m.header.imageType ?? '';
  flags.push(
    ...pixelFlags(
      {
        imageType,
        detector: f.detector,
        obsId: f.obsId,
        header: m.header,
        missingKeywords: m.missingKeywords,
        missingAmps: m.missingAmps,
        checksumProblems: m.checksumProblems,
        amps: m.amps,
        level,
        sources: m.detections.source,
        ...(writeDelay !== undefined ? { writeDelay } : {}),
      },
      det.amps,
    ),
  );
  const result: CcdResult = {
    ...base,
    imageType,
    detector: f.detector || det.name,
    obsId: f.obsId || m.header.obsId || '',
    amps: m.amps,
    bias: m.amps.reduce((s, a) => s + a.bias, 0) / Math.max(1, m.amps.length),
    noise: m.amps.reduce((s, a) => s + a.noise, 0) / Math.max(1, m.amps.length),
    level,
    sigmaE,
    saturatedFraction: m.amps.reduce((s, a) => s + a.saturatedFraction, 0) / Math.max(1, m.amps.length),
    sources: m.detections.source,
    cosmicRays: m.detections['cosmic-ray'],
    hotPixels: m.detections['hot-pixel'],
    badColumns: m.badColumns.length,
    flags,
  };
  const truthPath = f.truth ?? f.path.replace(/\.fits(\.fz)?$/, '.truth.json');
  try {
    const truth = JSON.parse(await readFile(join(job.root, truthPath), 'utf8')) as TruthRecord;
    const cmp = compareWithTruth({ amps: m.amps, sigmaE, smoothNoise: m.smoothNoise, threshold: m.threshold }, truth, camera.plateScaleArcsecPerMm * camera.pixelSizeMm);
    if (cmp) result.truth = cmp;
  } catch {
    // No sidecar (or an unreadable one): the report shows QA without truth for this CCD.
  }
  if (job.thumbnail === 'always' || (job.thumbnail === 'if-flagged' && flags.length > 0)) {
    result.thumbnail = makeThumbnail(m.thumb.data, m.thumb.width, m.thumb.height, m.thumb.factor);
  }
  return done(result);
}
