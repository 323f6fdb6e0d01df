/**
 * `daqsim transfer` as a library: move a night directory over the emulated link, verify every file at the far
 * end, place it atomically, and write the summary. Restartable: a rerun on the same DST (after kill -9 or a
 * failure) skips what is verified there and continues a partial file from its length.
 */
import { mkdir, rename, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { type LinkClock, realClock } from './clock.js';
import { TransferError } from './errors.js';
import { type FileRecord, Journal } from './journal.js';
import { Link, defaultChunkBytes, sha256File } from './link.js';
import { PART_SUFFIX, type PlanItem, SUMMARY_NAME, planTransfer } from './plan.js';
import { type DiskUsage, type FileSummary, type Problem, type TransferSummary, eventSummaries, fileSummary } from './summary.js';

export interface TransferOptions {
  src: string;
  dst: string;
  /** Bytes per second. */
  rate: number;
  /** The rate as the user wrote it, for the summary. */
  rateLabel?: string;
  latencyMs?: number;
  loss?: number;
  corrupt?: number;
  seed?: number;
  chunkBytes?: number;
  /** Whole-file resends after a checksum mismatch [1]. */
  maxResends?: number;
  /** Site name in the summaries ['USDF']. */
  site?: string;
  clock?: LinkClock;
  /** Called as bytes go out (this run only) and when a file is done. */
  onProgress?: (p: TransferProgress) => void;
}

export interface TransferProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesSent: number;
  bytesTotal: number;
}

export interface TransferResult {
  summary: TransferSummary;
  /** 0 when every expected file arrived verified, 1 otherwise. */
  exitCode: 0 | 1;
}

function probability(v: number, what: string): number {
  if (!(v >= 0 && v < 1)) throw new TransferError('USAGE', `${what} must be a probability in [0, 1), got ${v}`, { [what]: v });
  return v;
}

function nonNegative(v: number, what: string): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new TransferError('USAGE', `${what} must be a finite number >= 0, got ${v}`, { [what]: v });
  return v;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function diskUsage(path: string): Promise<DiskUsage> {
  try {
    const s = await statfs(path);
    const used = s.blocks - s.bfree;
    // As df computes Use%: used over what a non-root user could have.
    const percent = used + s.bavail > 0 ? Math.round((1000 * used) / (used + s.bavail)) / 10 : 0;
    return { node: hostname(), percent };
  } catch {
    return { node: hostname(), percent: 0 };
  }
}

export async function transferNight(opts: TransferOptions): Promise<TransferResult> {
  const src = resolve(opts.src);
  const dst = resolve(opts.dst);
  const clock = opts.clock ?? realClock;
  const rate = nonNegative(opts.rate, 'rate');
  if (rate <= 0) throw new TransferError('USAGE', 'rate must be positive');
  const latencyMs = nonNegative(opts.latencyMs ?? 0, 'latency');
  const loss = probability(opts.loss ?? 0, 'loss');
  const corrupt = probability(opts.corrupt ?? 0, 'corrupt');
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new TransferError('USAGE', `seed must be an integer, got ${seed}`);
  const maxResends = opts.maxResends ?? 1;
  if (!Number.isSafeInteger(maxResends) || maxResends < 0) throw new TransferError('USAGE', `max-resends must be an integer >= 0, got ${maxResends}`);
  const chunkBytes = opts.chunkBytes ?? defaultChunkBytes(rate);
  const site = opts.site ?? 'USDF';

  let srcStat;
  try {
    srcStat = await stat(src);
  } catch {
    throw new TransferError('BAD_SOURCE', `source ${opts.src} does not exist`, { src });
  }
  if (!srcStat.isDirectory()) throw new TransferError('BAD_SOURCE', `source ${opts.src} is not a directory`, { src });
  if (src === dst) throw new TransferError('BAD_SOURCE', 'source and destination are the same directory', { src, dst });

  // The link's schedule starts with the run, so reading the source tree overlaps the first file's latency.
  const link = new Link({ rate, latencyMs, loss, corrupt, seed, chunkBytes, clock });
  const plan = await planTransfer(src, dst);
  await mkdir(dst, { recursive: true });
  const journal = new Journal(dst);
  const previous = await journal.read();
  const previousRuns = previous.filter((r) => r.type === 'run').length;
  const done = new Map<string, FileRecord>();
  for (const r of previous) if (r.type === 'file') done.set(r.path, r);
  const runStart = clock.now();
  await journal.append({ type: 'run', start: runStart, pid: process.pid });

  const records = new Map<string, FileRecord>();
  const problems: Problem[] = plan.notWritten.map((f) => ({ path: f.path, kind: 'not-written', reason: 'listed in the manifest but absent from the source' }));
  const run = { bytesSent: 0, bytesResumed: 0, filesSent: 0, filesSkipped: 0, filesFailed: 0, latencies: 0, retransmitMs: 0 };
  const bytesTotal = plan.items.reduce((a, i) => a + i.size, 0);
  let filesDone = 0;
  const progress = (file: string): void => opts.onProgress?.({ file, filesDone, filesTotal: plan.items.length, bytesSent: run.bytesSent, bytesTotal });

  const expectedSha = async (item: PlanItem): Promise<string> => item.sha256 ?? (await sha256File(join(src, item.path)));

  /** Whether DST already holds this file verified; records it when found without a journal line. */
  const alreadyThere = async (item: PlanItem): Promise<boolean> => {
    const target = join(dst, item.path);
    const have = await sizeOf(target);
    if (have !== item.size) return false;
    const prior = done.get(item.path);
    if (prior?.verified && prior.size === item.size && (item.sha256 === undefined || prior.sha256 === item.sha256)) {
      records.set(item.path, prior);
      return true;
    }
    // Placed by a run killed before its journal line, or copied by other means: check it properly.
    const t0 = clock.now();
    const sha = await sha256File(target);
    if (sha !== (await expectedSha(item))) return false;
    const rec: FileRecord = { type: 'file', path: item.path, size: item.size, sha256: sha, verified: true, foundAtRestart: true, start: t0, end: clock.now(), bytesSent: 0, resumedFrom: 0, resends: 0, lostChunks: 0, retransmitMs: 0 };
    records.set(item.path, rec);
    await journal.append(rec);
    return true;
  };

  const sendItem = async (item: PlanItem): Promise<FileRecord> => {
    const target = join(dst, item.path);
    const part = join(dirname(target), `.${basename(target)}${PART_SUFFIX}`);
    await mkdir(dirname(target), { recursive: true });
    const partial = await sizeOf(part);
    let from = partial !== undefined && partial <= item.size ? partial : 0;
    run.bytesResumed += from;
    const rec: FileRecord = { type: 'file', path: item.path, size: item.size, sha256: '', verified: false, start: clock.now(), end: 0, bytesSent: 0, resumedFrom: from, resends: 0, lostChunks: 0, retransmitMs: 0 };
    for (let attempt = 0; ; attempt++) {
      const sent = await link.send(join(src, item.path), part, item.size, from, item.path, attempt, (n) => {
        run.bytesSent += n;
        progress(item.path);
      });
      run.latencies++;
      rec.bytesSent += sent.bytesSent;
      rec.lostChunks += sent.lostChunks;
      rec.retransmitMs += sent.retransmitMs;
      run.bytesSent += sent.bytesSent - (sent.sourceBytes - from);
      // The far end checks what it holds against what the manifest (or the sender) says it should be.
      const want = item.sha256 ?? sent.senderSha256;
      const got = await sha256File(part);
      rec.sha256 = got;
      if (got === want && sent.sourceBytes === item.size) {
        await rename(part, target);
        rec.verified = true;
        delete rec.reason;
        break;
      }
      if (sent.sourceBytes !== item.size) rec.reason = `source has ${sent.sourceBytes} bytes, expected ${item.size}`;
      else if (item.sha256 !== undefined && sent.senderSha256 !== item.sha256) rec.reason = `source does not match the manifest checksum (sha256 ${sent.senderSha256.slice(0, 12)}…, manifest ${item.sha256.slice(0, 12)}…)`;
      else rec.reason = `checksum mismatch at the far end (sha256 ${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…)`;
      await unlink(part).catch(() => undefined);
      if (attempt >= maxResends) break;
      rec.resends++;
      from = 0;
    }
    rec.end = clock.now();
    return rec;
  };

  for (const item of plan.items) {
    try {
      if (await alreadyThere(item)) {
        run.filesSkipped++;
      } else {
        const rec = await sendItem(item);
        records.set(item.path, rec);
        await journal.append(rec);
        run.filesSent++;
        run.retransmitMs += rec.retransmitMs;
        if (!rec.verified) {
          run.filesFailed++;
          problems.push({ path: item.path, kind: 'verification', reason: rec.reason ?? 'checksum mismatch' });
        }
      }
    } catch (err) {
      if (err instanceof TransferError) throw err;
      const e = err as NodeJS.ErrnoException;
      run.filesFailed++;
      problems.push({ path: item.path, kind: 'io', reason: e.code ? `${e.code}: ${e.message}` : String(err) });
    }
    filesDone++;
    progress(item.path);
  }

  const runEnd = clock.now();
  const imagePaths = new Map(plan.images.map((f) => [f.path, f]));
  const files: FileSummary[] = plan.items.filter((i) => records.has(i.path)).map((i) => fileSummary(records.get(i.path)!, i.kind, imagePaths.get(i.path)));
  const notWritten = new Set(plan.notWritten.map((f) => f.path));
  const { perImage, nightly } = eventSummaries(site, plan.images, records, notWritten, await diskUsage(dst));
  const iso = (ms: number): string => new Date(ms).toISOString();
  const summary: TransferSummary = {
    version: 1,
    generator: 'daqsim transfer',
    site,
    source: src,
    destination: dst,
    link: { rate: opts.rateLabel ?? `${rate} B/s`, bytesPerSecond: rate, latencyMs, loss, corrupt, seed, chunkBytes, maxResends },
    run: {
      start: iso(runStart),
      end: iso(runEnd),
      elapsedSeconds: Math.round(runEnd - runStart) / 1000,
      modelSeconds: Math.round(run.bytesSent / rate * 1000 + run.latencies * latencyMs + run.retransmitMs) / 1000,
      bytesSent: run.bytesSent,
      bytesResumed: run.bytesResumed,
      filesSent: run.filesSent,
      filesSkipped: run.filesSkipped,
      filesFailed: run.filesFailed,
      previousRuns,
    },
    totals: {
      files: plan.items.length,
      bytes: bytesTotal,
      verified: [...records.values()].filter((r) => r.verified).length,
      failed: plan.items.length - [...records.values()].filter((r) => r.verified).length,
      notWritten: plan.notWritten.length,
    },
    perImage,
    nightly,
    files,
    problems,
  };
  const tmp = join(dst, `.${SUMMARY_NAME}.tmp-${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(tmp, join(dst, SUMMARY_NAME));
  const exitCode = summary.totals.failed > 0 || problems.length > 0 ? 1 : 0;
  return { summary, exitCode };
}

