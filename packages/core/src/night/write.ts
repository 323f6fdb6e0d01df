/**
 * Writing whole nights without a server, as fast as the machine allows: every exposure of the plan rendered by the
 * worker pool into the store layout, with truth sidecars and a manifest (file, size, sha256, obs_id, detector,
 * type, band, times). Consecutive nights continue day_obs; sequence numbers restart with each day_obs, as obs_lsst
 * counts them, so identifiers never repeat.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { getCamera } from '../cameras/registry.js';
import { DaqsimError } from '../errors.js';
import { checkDayObs, dayObsStart } from '../ids.js';
import { ExposureRenderer, type WrittenFile } from '../synth/output.js';
import type { Effects } from '../synth/types.js';
import { VERSION } from '../version.js';
import { type NightExposure, expandNight } from './expand.js';
import type { NightPlan } from './plans.js';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  obsId: string;
  dayObs: number;
  seqNum: number;
  detector: string;
  imageType: string;
  band: string;
  exptime: number;
  dateBeg: string;
  dateEnd: string;
  fileDate: string;
  truth: string;
}

export interface Manifest {
  version: 1;
  generator: string;
  camera: string;
  instrument: string;
  plan: string;
  seed: number;
  compressed: boolean;
  nights: number[];
  exposures: number;
  files: ManifestFile[];
  faults: Array<{ kind: string; path: string; detail: string }>;
}

export interface NightOptions {
  dayObs: number;
  nights?: number;
  seed?: number;
  compress?: boolean;
  /** Worker threads for synthesis [2]; 0 renders in the calling thread. */
  workers?: number;
  magLimit?: number;
  effects?: Partial<Effects>;
  /** Called after every exposure: (done, total, exposure). */
  onProgress?: (done: number, total: number, e: NightExposure) => void;
}

export const MANIFEST_NAME = 'manifest.json';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The manifest record of a file the renderer wrote: its path and truth sidecar relative to `root`, its size and
 * sha256 (read back from disk: the writer patches checksum cards after the data, so it cannot hash while writing),
 * and its exposure's identifiers.
 */
export async function manifestEntry(root: string, f: WrittenFile): Promise<ManifestFile> {
  const { size } = await stat(f.path);
  return {
    path: relative(root, f.path),
    size,
    sha256: await sha256File(f.path),
    obsId: f.obsId,
    dayObs: f.dayObs,
    seqNum: f.seqNum,
    detector: f.detector,
    imageType: f.imageType,
    band: f.band,
    exptime: f.exptime,
    dateBeg: f.dateBeg,
    dateEnd: f.dateEnd,
    fileDate: f.fileDate,
    truth: relative(root, f.truthPath),
  };
}

/** The day_obs `n` days after `day` (calendar arithmetic, so month and year boundaries roll over). */
export function addDays(day: number, n: number): number {
  const t = dayObsStart(checkDayObs(day), 0).plus(n * 86400);
  return t.dateInt();
}

/** Generate one or more nights under `root`; returns (and writes) the manifest. */
export async function writeNight(root: string, cameraKey: string, plan: NightPlan, opts: NightOptions): Promise<Manifest> {
  const camera = getCamera(cameraKey);
  const nights = opts.nights ?? 1;
  if (!Number.isInteger(nights) || nights < 1 || nights > 366) throw new DaqsimError('BAD_NIGHT', 'nights must be an integer 1..366', { field: 'nights' });
  const seed = opts.seed ?? 0;
  const days = Array.from({ length: nights }, (_, n) => addDays(opts.dayObs, n));
  const exposures = days.flatMap((d) => expandNight(cameraKey, plan, { dayObs: d, seed }));
  const renderer = new ExposureRenderer({ workers: opts.workers ?? 2 });
  const manifest: Manifest = {
    version: 1,
    generator: `daqsim ${VERSION}`,
    camera: cameraKey,
    instrument: camera.name,
    plan: plan.name,
    seed,
    compressed: opts.compress ?? false,
    nights: days,
    exposures: exposures.length,
    files: [],
    faults: [],
  };
  try {
    let done = 0;
    // Two exposures in flight keep the pool busy across exposure boundaries (small patch visits have few CCDs).
    const queue = exposures.slice();
    const lane = async (): Promise<void> => {
      for (let e = queue.shift(); e; e = queue.shift()) {
        const files = await renderer.writeExposure(root, cameraKey, e.info, {
          detectors: e.detectors,
          compress: opts.compress ?? false,
          synth: { seed, ...(opts.magLimit !== undefined ? { magLimit: opts.magLimit } : {}), ...(opts.effects ? { effects: opts.effects } : {}) },
        });
        for (const f of files) manifest.files.push(await manifestEntry(root, f));
        opts.onProgress?.(++done, exposures.length, e);
      }
    };
    await Promise.all([lane(), lane()]);
  } finally {
    await renderer.close();
  }
  // Order by identifiers, not by which lane finished first, so the manifest is byte-identical run to run.
  manifest.files.sort((a, b) => a.dayObs - b.dayObs || a.seqNum - b.seqNum || a.detector.localeCompare(b.detector));
  const path = join(root, MANIFEST_NAME);
  await writeFile(`${path}.tmp`, JSON.stringify(manifest, null, 1));
  await rename(`${path}.tmp`, path);
  return manifest;
}
