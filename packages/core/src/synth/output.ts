/**
 * From rendered pixels to files: the HDUs of a per-CCD raw (primary header + one IMAGE or RICE_1 extension per
 * amp, in HDU order) and its truth sidecar, plus a renderer that writes whole exposures with a worker pool.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Header, type HduSpec, writeFits } from '@daqsim/fits';
import { getCamera, getDetector } from '../cameras/registry.js';
import type { Camera } from '../cameras/types.js';
import { type Exposure, type ExposureInfo, resolveExposure } from '../exposure.js';
import { ampHeader } from '../headers/amp.js';
import { primaryHeader } from '../headers/primary.js';
import { fileName } from '../ids.js';
import { VERSION } from '../version.js';
import { type SynthesisOptions, planFromExposure } from './adapter.js';
import { type RenderedCcd, SynthesisPool, renderCcdInThread } from './pool.js';
import type { ExposurePlan } from './types.js';

export interface OutputOptions {
  /** Rice-compress the amp HDUs (file name gets .fz). */
  compress?: boolean;
}

/** A short stable hash of a plan, written as DAQPLAN so a file names what made it. */
export function planHash(plan: ExposurePlan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);
}

/** Everything needed to recreate a CCD's pixels exactly, plus what was placed on it. */
export function truthRecord(plan: ExposurePlan, ccd: RenderedCcd): Record<string, unknown> {
  return {
    daqsimVersion: VERSION,
    planHash: planHash(plan),
    plan,
    detector: ccd.detector,
    amps: ccd.truth.amps,
    scene: ccd.truth.scene,
  };
}

/** The HDUs of one CCD file. */
export function ccdHdus(camera: Camera, exposure: Exposure, plan: ExposurePlan, ccd: RenderedCcd, opts: OutputOptions = {}): HduSpec[] {
  const det = getDetector(camera, ccd.detector);
  const primary = primaryHeader(camera, det, exposure, { seed: plan.seed, planHash: planHash(plan) }, { compressed: opts.compress ?? false });
  const hdus: HduSpec[] = [{ header: primary }];
  det.amps.forEach((amp, k) => {
    const header = ampHeader(camera, det, amp, exposure.pointing);
    const pre = opts.compress ? ccd.compressed?.[k] : undefined;
    if (pre) {
      // The worker compressed with EXTNAME alone; the amp's cards then follow in their own order, as in the
      // single-threaded path, so both write the same bytes.
      const structural = new Header(pre.cards);
      structural.delete('EXTNAME');
      hdus.push({ header, prepared: { header: structural, data: pre.data } });
    }
    else {
      hdus.push({
        header,
        data: ccd.amps[k]!,
        shape: ccd.shape,
        ...(opts.compress ? { compress: { algorithm: 'RICE_1' as const } } : {}),
      });
    }
  });
  return hdus;
}

/** Resolve an exposure and its pixel plan in one step. */
export function prepareExposure(cameraKey: string, info: ExposureInfo, synth: SynthesisOptions = {}): { camera: Camera; exposure: Exposure; plan: ExposurePlan } {
  const camera = getCamera(cameraKey);
  const exposure = resolveExposure(camera, info);
  return { camera, exposure, plan: planFromExposure(exposure, synth) };
}

/** Render one CCD in the calling thread (simple and exact; use ExposureRenderer for whole exposures). */
export function renderCcd(cameraKey: string, info: ExposureInfo, detector: string, synth: SynthesisOptions = {}): RenderedCcd & { plan: ExposurePlan; exposure: Exposure } {
  const { exposure, plan } = prepareExposure(cameraKey, info, synth);
  return { ...renderCcdInThread(plan, detector), plan, exposure };
}

export interface WrittenFile {
  path: string;
  truthPath: string;
  detector: string;
  obsId: string;
  dayObs: number;
  seqNum: number;
  imageType: string;
  band: string;
  exptime: number;
  /** DATE-BEG, DATE-END and DATE (file written) as in the header, TAI ISO. */
  dateBeg: string;
  dateEnd: string;
  fileDate: string;
}

/** Directory of an exposure in the store layout {instrument}/{day_obs}/{obs_id}. */
export function exposureDir(root: string, exposure: Exposure): string {
  return join(root, exposure.camera.name, String(exposure.dayObs), exposure.obsId);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

/**
 * Renders exposures with a worker pool and writes them in the store layout. At most `inFlight` CCDs are held in
 * memory at once, so a 189-CCD LSSTCam visit does not need 14 GB.
 */
export class ExposureRenderer {
  private readonly pool: SynthesisPool | null;

  constructor(opts: { workers?: number } = {}) {
    const workers = opts.workers ?? 2;
    this.pool = workers > 0 ? new SynthesisPool(workers) : null;
  }

  /** Render one CCD (through the pool when there is one). */
  async render(plan: ExposurePlan, detector: string, opts: { compress?: boolean } = {}): Promise<RenderedCcd> {
    return this.pool ? this.pool.renderCcd(plan, detector, opts) : renderCcdInThread(plan, detector);
  }

  release(ccd: RenderedCcd): void {
    this.pool?.release(ccd);
  }

  /** Render and write the given detectors (default: all) of an exposure under `root`. */
  async writeExposure(
    root: string,
    cameraKey: string,
    info: ExposureInfo,
    opts: OutputOptions & { detectors?: readonly string[]; synth?: SynthesisOptions; inFlight?: number } = {},
  ): Promise<WrittenFile[]> {
    const { camera, exposure, plan } = prepareExposure(cameraKey, info, opts.synth);
    const dir = exposureDir(root, exposure);
    await mkdir(dir, { recursive: true });
    const names = opts.detectors ?? camera.detectors.filter((d) => d.role === 'science' || camera.detectors.length <= 9).map((d) => d.name);
    const limit = Math.max(1, opts.inFlight ?? (this.pool ? this.pool.size * 2 : 1));
    const written: WrittenFile[] = new Array(names.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < names.length) {
        const k = next++;
        const det = getDetector(camera, names[k]!);
        const ccd = await this.render(plan, det.name, { compress: opts.compress ?? false });
        try {
          const path = join(dir, fileName(exposure.obsId, det.raft, det.slot, opts.compress ?? false));
          await writeFits(path, ccdHdus(camera, exposure, plan, ccd, opts));
          const truthPath = path.replace(/\.fits(\.fz)?$/, '.truth.json');
          await writeJsonAtomic(truthPath, truthRecord(plan, ccd));
          written[k] = {
            path,
            truthPath,
            detector: det.name,
            obsId: exposure.obsId,
            dayObs: exposure.dayObs,
            seqNum: exposure.seqNum,
            imageType: exposure.imageType,
            band: exposure.filter.band,
            exptime: exposure.expTime,
            dateBeg: exposure.start.toIso(),
            dateEnd: exposure.end.toIso(),
            fileDate: exposure.fileDate.toIso(),
          };
        } finally {
          this.release(ccd);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, names.length) }, lane));
    return written;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
