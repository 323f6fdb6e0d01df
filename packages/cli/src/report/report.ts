/**
 * `daqsim report` as a library: QA every CCD file of a night directory, lay the night out in time, score the
 * injected faults against what QA flagged, and render one self-contained HTML page.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { type Camera, getCamera, listCameras } from '@daqsim/core';
import { ManifestError, type NightManifest, readManifest } from '../transfer/manifest.js';
import { SUMMARY_NAME } from '../transfer/plan.js';
import type { TransferSummary } from '../transfer/summary.js';
import type { CcdJob, CcdResult } from './analyze.js';
import { ReportError } from './errors.js';
import { type NightEvent, readEvents } from './events.js';
import { type FaultVerdict, type FileRef, collectFaults, scoreFaults } from './flags.js';
import { renderPage } from './html.js';
import { runCcdJobs } from './pool.js';
import { buildTimeline, latencySeries } from './timeline.js';

export interface ReportOptions {
  /** Night directory (manifest.json at its top). */
  dir: string;
  /** Event log JSONL [DIR/events.jsonl when present]. */
  events?: string;
  /** Transfer summary [DIR/transfer-summary.json when present, e.g. on a transfer's destination]. */
  transfer?: string;
  /** Worker threads for QA [available cores, at most 4]. */
  jobs?: number;
  /** Most thumbnails on the page [6]. */
  thumbnails?: number;
  /** Page title [`Night report: <instrument> <day_obs>`]. */
  title?: string;
  /** Fixed generation time (reproducible pages in tests). */
  generatedAt?: string;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface ReportSummary {
  files: number;
  exposures: number;
  flagged: number;
  faults: { total: number; caught: number; missed: number; noFileEffect: number; noTarget: number };
  qa: Array<Omit<CcdResult, 'thumbnail' | 'amps'>>;
  verdicts: FaultVerdict[];
  unexplained: FileRef[];
  thumbnails: number;
  htmlBytes: number;
}

export interface NightReport {
  html: string;
  summary: ReportSummary;
}

function cameraFor(m: NightManifest): Camera {
  if (m.camera) {
    try {
      return getCamera(m.camera);
    } catch {
      // Fall through to the instrument name.
    }
  }
  const key = listCameras().find((k) => getCamera(k).name === m.instrument);
  if (key) return getCamera(key);
  throw new ReportError('BAD_NIGHT', `cannot tell the camera of this night (manifest camera ${JSON.stringify(m.camera)}, instrument ${JSON.stringify(m.instrument)})`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path, { flag: 'r' }).then(() => undefined);
    return true;
  } catch {
    return false;
  }
}

export async function readTransferSummary(path: string): Promise<TransferSummary> {
  let v: unknown;
  try {
    v = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ReportError('BAD_INPUT', `cannot read transfer summary ${path}: ${(err as Error).message}`);
  }
  const s = v as Partial<TransferSummary>;
  if (typeof v !== 'object' || v === null || !Array.isArray(s.files) || !Array.isArray(s.perImage) || !Array.isArray(s.nightly) || typeof s.link !== 'object') {
    throw new ReportError('BAD_INPUT', `${path} is not a daqsim transfer summary`);
  }
  return v as TransferSummary;
}

/** Thumbnails: the first file of each image type (OBJECT first), then flagged files, up to `max`. */
function thumbnailPlan(files: NightManifest['files'], max: number): Set<string> {
  const first = new Map<string, string>();
  for (const f of files) if (!first.has(f.imageType ?? '')) first.set(f.imageType ?? '', f.path);
  const order = ['OBJECT', 'FLAT', 'DARK', 'BIAS'];
  const types = [...first.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return new Set(types.slice(0, Math.max(0, max - 1)).map((t) => first.get(t)!));
}

export async function buildNightReport(opts: ReportOptions): Promise<NightReport> {
  const dir = resolve(opts.dir);
  let manifest: NightManifest | undefined;
  try {
    manifest = await readManifest(dir);
  } catch (err) {
    if (err instanceof ManifestError) throw new ReportError('BAD_NIGHT', `${join(dir, 'manifest.json')}: ${err.message}`);
    throw new ReportError('BAD_NIGHT', `cannot read ${join(dir, 'manifest.json')}: ${(err as Error).message}`);
  }
  if (!manifest) throw new ReportError('BAD_NIGHT', `${dir} has no manifest.json (write the night with daqsim night)`);
  const camera = cameraFor(manifest);
  const eventsPath = opts.events ?? ((await exists(join(dir, 'events.jsonl'))) ? join(dir, 'events.jsonl') : undefined);
  const events: NightEvent[] = eventsPath ? await readEvents(eventsPath) : [];
  const transferPath = opts.transfer ?? ((await exists(join(dir, SUMMARY_NAME))) ? join(dir, SUMMARY_NAME) : undefined);
  const transfer = transferPath ? await readTransferSummary(transferPath) : undefined;
  const maxThumbs = opts.thumbnails ?? 6;
  const always = thumbnailPlan(manifest.files, maxThumbs);

  const jobs: CcdJob[] = manifest.files.map((file) => ({ root: dir, file, camera: camera.key, thumbnail: always.has(file.path) ? 'always' : maxThumbs > 0 ? 'if-flagged' : 'never' }));
  const concurrency = opts.jobs ?? Math.min(4, availableParallelism());
  const results = await runCcdJobs(jobs, concurrency, (r, done) => opts.onProgress?.(done, jobs.length, r.path));

  if (transfer) {
    const moved = new Map(transfer.files.map((f) => [f.path, f]));
    for (const r of results) {
      const t = moved.get(r.path);
      if (t && !t.verified) r.flags.push({ code: 'transfer-failed', detail: t.reason ?? 'not verified at the data facility' });
    }
    for (const p of transfer.problems) {
      const r = results.find((x) => x.path === p.path);
      if (r && p.kind !== 'verification' && !r.flags.some((f) => f.code === 'transfer-failed')) r.flags.push({ code: 'transfer-failed', detail: p.reason });
    }
  }

  const timeline = buildTimeline(manifest.files, events, transfer, camera.timing.readoutTime);
  const faults = collectFaults(manifest.faults, events);
  const refs: FileRef[] = results.map((r) => ({ path: r.path, obsId: r.obsId, detector: r.detector, flags: r.flags }));
  const { verdicts, unexplained } = scoreFaults(faults, refs);
  const withThumb = results.filter((r) => r.thumbnail);
  const thumbnails = [...withThumb.filter((r) => always.has(r.path)), ...withThumb.filter((r) => !always.has(r.path))].slice(0, Math.max(maxThumbs, always.size));
  const dayObs = manifest.nights?.length ? manifest.nights.join(', ') : [...new Set(manifest.files.map((f) => f.dayObs))].join(', ');
  const html = renderPage({
    title: opts.title ?? `Night report: ${manifest.instrument ?? camera.name} ${dayObs}`,
    dir,
    manifest,
    cameraName: camera.name,
    timeline,
    latencies: latencySeries(timeline),
    results,
    thumbnails,
    verdicts,
    unexplained,
    transfer,
    eventsCount: events.length,
    generatedAt: opts.generatedAt ?? new Date().toISOString().slice(0, 19) + 'Z',
    generator: 'daqsim report',
  });
  const count = (v: FaultVerdict['verdict']): number => verdicts.filter((x) => x.verdict === v).length;
  return {
    html,
    summary: {
      files: results.length,
      exposures: timeline.exposures.length,
      flagged: results.filter((r) => r.flags.length).length,
      faults: { total: verdicts.length, caught: count('caught'), missed: count('missed'), noFileEffect: count('no file effect'), noTarget: count('no target') },
      qa: results.map(({ thumbnail: _t, amps: _a, ...rest }) => rest),
      verdicts,
      unexplained,
      thumbnails: thumbnails.length,
      htmlBytes: Buffer.byteLength(html),
    },
  };
}

/** Write the page atomically (temp name in the same directory, then rename). */
export async function writeReport(path: string, html: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  await writeFile(tmp, html);
  await rename(tmp, path);
}
