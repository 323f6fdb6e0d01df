/**
 * The transfer summary, DST/transfer-summary.json: one record per image and per night shaped like the camera's
 * fileTransferPerImageSummary and fileTransferNightlySummary events (ts_xml field names, control.md 1.4), plus
 * the link parameters, this run's timing and one record per file. Counting follows the events: `expected` images
 * files the night should have, `written` the ones present at the source, `…BeforeResend` the first attempt,
 * `…AfterResend` the state once resends are over (cumulative, so expected = transferredAfterResend +
 * missingAfterResend), `resendCount` whole-file resends after a far-end checksum mismatch.
 */
import type { EventFieldMap } from '@daqsim/daq';
import type { FileRecord } from './journal.js';
import type { ManifestFile } from './manifest.js';
import type { ItemKind } from './plan.js';
import { formatBytes, formatRate } from './rate.js';

/** fileTransferPerImageSummary, as the emulator publishes it (ts_xml fields; dayObs a string, metaData JSON text). */
export type FileTransferPerImageSummary = EventFieldMap['fileTransferPerImageSummary'];

/** fileTransferNightlySummary (ts_xml). */
export interface FileTransferNightlySummary {
  site: string;
  dayObs: string;
  expected: number;
  written: number;
  transferredBeforeResend: number;
  missingBeforeResend: number;
  resendCount: number;
  transferredAfterResend: number;
  missingAfterResend: number;
  maxFullDiskNode: string;
  maxFullDiskPercent: number;
  metaData: string;
}

/** One file in the summary; times are ISO UTC (wall clock of the transfer, not TAI night time). */
export interface FileSummary {
  path: string;
  kind: ItemKind;
  obsId?: string;
  detector?: string;
  size: number;
  sha256: string;
  verified: boolean;
  start: string;
  end: string;
  seconds: number;
  bytesSent: number;
  resumedFrom: number;
  resends: number;
  lostChunks: number;
  retransmitSeconds: number;
  foundAtRestart?: boolean;
  reason?: string;
}

export interface LinkSummary {
  /** As given on the command line. */
  rate: string;
  bytesPerSecond: number;
  latencyMs: number;
  loss: number;
  corrupt: number;
  seed: number;
  chunkBytes: number;
  maxResends: number;
}

export interface RunSummary {
  start: string;
  end: string;
  elapsedSeconds: number;
  /** What the link model says this run should take: bytes sent / rate + latencies + retransmission timeouts. */
  modelSeconds: number;
  bytesSent: number;
  /** Bytes of partial files kept from an interrupted run. */
  bytesResumed: number;
  filesSent: number;
  /** Already verified at DST (journal or checksum) and not sent again. */
  filesSkipped: number;
  filesFailed: number;
  /** Earlier runs on this DST (an interrupted transfer resumed has at least one). */
  previousRuns: number;
}

export interface Problem {
  path: string;
  kind: 'not-written' | 'verification' | 'io';
  reason: string;
}

export interface TransferSummary {
  version: 1;
  generator: string;
  site: string;
  source: string;
  destination: string;
  link: LinkSummary;
  run: RunSummary;
  totals: { files: number; bytes: number; verified: number; failed: number; notWritten: number };
  perImage: FileTransferPerImageSummary[];
  nightly: FileTransferNightlySummary[];
  files: FileSummary[];
  problems: Problem[];
}

export interface DiskUsage {
  node: string;
  percent: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

export function fileSummary(r: FileRecord, kind: ItemKind, image: ManifestFile | undefined): FileSummary {
  const out: FileSummary = {
    path: r.path,
    kind,
    size: r.size,
    sha256: r.sha256,
    verified: r.verified,
    start: iso(r.start),
    end: iso(r.end),
    seconds: round((r.end - r.start) / 1000),
    bytesSent: r.bytesSent,
    resumedFrom: r.resumedFrom,
    resends: r.resends,
    lostChunks: r.lostChunks,
    retransmitSeconds: round(r.retransmitMs / 1000),
  };
  if (image) {
    out.obsId = image.obsId;
    out.detector = image.detector;
  }
  if (r.foundAtRestart) out.foundAtRestart = true;
  if (r.reason !== undefined) out.reason = r.reason;
  return out;
}

interface Counts {
  expected: number;
  written: number;
  transferredBeforeResend: number;
  resendCount: number;
  transferredAfterResend: number;
}

function tally(images: readonly ManifestFile[], records: ReadonlyMap<string, FileRecord>, notWritten: ReadonlySet<string>): Counts {
  const c: Counts = { expected: 0, written: 0, transferredBeforeResend: 0, resendCount: 0, transferredAfterResend: 0 };
  for (const f of images) {
    c.expected++;
    if (notWritten.has(f.path)) continue;
    c.written++;
    const r = records.get(f.path);
    if (!r) continue;
    c.resendCount += r.resends;
    if (r.verified) {
      c.transferredAfterResend++;
      if (r.resends === 0) c.transferredBeforeResend++;
    }
  }
  return c;
}

function eventCounts(c: Counts): Omit<FileTransferPerImageSummary, 'site' | 'dayObs' | 'obsId' | 'metaData'> {
  return {
    expected: c.expected,
    written: c.written,
    transferredBeforeResend: c.transferredBeforeResend,
    missingBeforeResend: c.expected - c.transferredBeforeResend,
    resendCount: c.resendCount,
    transferredAfterResend: c.transferredAfterResend,
    missingAfterResend: c.expected - c.transferredAfterResend,
  };
}

function span(images: readonly ManifestFile[], records: ReadonlyMap<string, FileRecord>): { bytes: number; bytesSent: number; start?: string; end?: string; seconds: number } {
  let bytes = 0;
  let bytesSent = 0;
  let start = Infinity;
  let end = -Infinity;
  for (const f of images) {
    const r = records.get(f.path);
    if (!r) continue;
    bytes += r.size;
    bytesSent += r.bytesSent;
    start = Math.min(start, r.start);
    end = Math.max(end, r.end);
  }
  return Number.isFinite(start) ? { bytes, bytesSent, start: iso(start), end: iso(end), seconds: round((end - start) / 1000) } : { bytes, bytesSent, seconds: 0 };
}

/** Per-image and nightly event records, in the order the images appear. */
export function eventSummaries(
  site: string,
  images: readonly ManifestFile[],
  records: ReadonlyMap<string, FileRecord>,
  notWritten: ReadonlySet<string>,
  disk: DiskUsage,
): { perImage: FileTransferPerImageSummary[]; nightly: FileTransferNightlySummary[] } {
  const byImage = new Map<string, ManifestFile[]>();
  const byNight = new Map<number, ManifestFile[]>();
  for (const f of images) {
    const key = `${f.dayObs}\u0000${f.obsId}`;
    if (!byImage.has(key)) byImage.set(key, []);
    byImage.get(key)!.push(f);
    if (!byNight.has(f.dayObs)) byNight.set(f.dayObs, []);
    byNight.get(f.dayObs)!.push(f);
  }
  const perImage = [...byImage.values()].map((files) => {
    const failed = files.filter((f) => !notWritten.has(f.path) && records.get(f.path)?.verified !== true).map((f) => f.detector);
    const meta = { ...span(files, records), ...(failed.length ? { failed } : {}) };
    return { site, dayObs: String(files[0]!.dayObs), obsId: files[0]!.obsId, ...eventCounts(tally(files, records, notWritten)), metaData: JSON.stringify(meta) };
  });
  const nightly = [...byNight.entries()].map(([dayObs, files]) => {
    const obsIds = new Set(files.map((f) => f.obsId));
    const meta = { images: obsIds.size, ...span(files, records) };
    return {
      site,
      dayObs: String(dayObs),
      ...eventCounts(tally(files, records, notWritten)),
      maxFullDiskNode: disk.node,
      maxFullDiskPercent: disk.percent,
      metaData: JSON.stringify(meta),
    };
  });
  return { perImage, nightly };
}

/** The human form printed by `daqsim transfer` without --json. */
export function formatSummary(s: TransferSummary): string {
  const lines: string[] = [];
  const r = s.run;
  lines.push(`daqsim transfer ${s.source} -> ${s.destination} (site ${s.site})`);
  lines.push(
    `link: ${formatRate(s.link.bytesPerSecond)}, latency ${s.link.latencyMs} ms/file, loss ${s.link.loss}` +
      (s.link.corrupt > 0 ? `, corruption ${s.link.corrupt}` : '') +
      `, seed ${s.link.seed}`,
  );
  lines.push(
    `this run: ${r.filesSent} files sent (${formatBytes(r.bytesSent)} on the link), ${r.filesSkipped} already at the destination` +
      (r.bytesResumed > 0 ? `, ${formatBytes(r.bytesResumed)} resumed from partial files` : '') +
      (r.previousRuns > 0 ? ` (resumed after ${r.previousRuns} earlier run${r.previousRuns > 1 ? 's' : ''})` : ''),
  );
  lines.push(`time: ${r.elapsedSeconds.toFixed(2)} s elapsed, ${r.modelSeconds.toFixed(2)} s by the link model`);
  lines.push('');
  lines.push('dayObs    obsId                     exp  wrt  ok1st  resend  okAfter  missing  seconds');
  for (const p of s.perImage) {
    const meta = JSON.parse(p.metaData) as { seconds?: number };
    lines.push(
      `${p.dayObs.padEnd(9)} ${p.obsId.padEnd(25)} ${String(p.expected).padStart(3)}  ${String(p.written).padStart(3)}  ${String(p.transferredBeforeResend).padStart(5)}  ${String(p.resendCount).padStart(6)}  ${String(p.transferredAfterResend).padStart(7)}  ${String(p.missingAfterResend).padStart(7)}  ${(meta.seconds ?? 0).toFixed(2).padStart(7)}`,
    );
  }
  for (const n of s.nightly) {
    lines.push(
      `night ${n.dayObs}: expected ${n.expected}, written ${n.written}, transferred ${n.transferredBeforeResend} before resend and ${n.transferredAfterResend} after ${n.resendCount} resend(s), missing ${n.missingAfterResend}; disk ${n.maxFullDiskPercent}% full on ${n.maxFullDiskNode}`,
    );
  }
  lines.push(`totals: ${s.totals.verified}/${s.totals.files} files verified (${formatBytes(s.totals.bytes)}), ${s.totals.failed} failed, ${s.totals.notWritten} not written`);
  if (s.problems.length) {
    lines.push('problems:');
    for (const p of s.problems) lines.push(`  ${p.kind.padEnd(12)} ${p.path}: ${p.reason}`);
  }
  return lines.join('\n');
}
