/**
 * The night's timeline per exposure: command, integration, readout, file written, notified, transferred. The
 * manifest gives integration (dateBeg → dateEnd) and file written (fileDate, the last CCD of the exposure); the
 * event log, when given, refines them and adds the command and the arrival notification; the transfer summary
 * adds arrival at the data facility.
 *
 * A transfer run after the night (the usual way to test the link) has wall-clock times unrelated to the night's
 * TAI dates. Then arrivals are replayed on the night's timeline: files go over the link in the order they were
 * written, each taking its measured link time, none starting before it was written or before the previous one
 * arrived. A transfer whose times fall in the night is used as is.
 */
import type { ManifestFile } from '../transfer/manifest.js';
import type { TransferSummary } from '../transfer/summary.js';
import { type NightEvent, eventImage, taiIsoToMs, utcIsoToTaiMs } from './events.js';

export interface ExposureTimeline {
  obsId: string;
  dayObs: number;
  seqNum: number;
  imageType: string;
  band: string;
  exptime: number;
  ccds: number;
  /** TAI ms; undefined when unknown. */
  command?: number;
  integrationStart: number;
  integrationEnd: number;
  readoutEnd: number;
  fileWritten: number;
  notified?: number;
  /** Last CCD of the exposure verified at the far end. */
  transferred?: number;
  /** Link time summed over the exposure's files, s. */
  transferSeconds?: number;
}

export interface FileArrival {
  path: string;
  written: number;
  arrived: number;
  seconds: number;
}

export interface NightTimeline {
  exposures: ExposureTimeline[];
  arrivals: FileArrival[];
  /** How transfer times were placed on the night. */
  transferMode: 'none' | 'actual' | 'replayed';
  /** Which sources contributed. */
  fromEvents: boolean;
  start: number;
  end: number;
}

const COMMAND_RE = /takeImages/i;
const NOTIFY_EVENTS = new Set(['largeFileObjectAvailable', 'imageInOODS', 'notificationSent', 'objectCreated', 'fileNotified']);

/** The first event of each name per image. */
function indexEvents(events: readonly NightEvent[]): Map<string, Map<string, number>> {
  const byImage = new Map<string, Map<string, number>>();
  for (const e of events) {
    const img = eventImage(e);
    if (!img) continue;
    if (!byImage.has(img)) byImage.set(img, new Map());
    const m = byImage.get(img)!;
    if (!m.has(e.name)) m.set(e.name, e.tai);
    // Notifications are per file; the exposure is notified when its last file is.
    if (NOTIFY_EVENTS.has(e.name)) m.set(`${e.name}:last`, e.tai);
  }
  return byImage;
}

function commandTimes(events: readonly NightEvent[]): number[] {
  return events
    .filter((e) => (e.name === 'ackcmd' || e.name === 'command' || COMMAND_RE.test(e.name)) && COMMAND_RE.test(`${e.name} ${String(e.fields['command'] ?? e.fields['cmd'] ?? '')}`))
    .map((e) => e.tai);
}

export function buildTimeline(files: readonly ManifestFile[], events: readonly NightEvent[], transfer: TransferSummary | undefined, readoutTimeS: number): NightTimeline {
  const groups = new Map<string, ManifestFile[]>();
  for (const f of files) {
    const key = f.obsId || f.path;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(f);
  }
  const evIndex = indexEvents(events);
  const commands = commandTimes(events);
  const exposures: ExposureTimeline[] = [];
  for (const [obsId, fs] of groups) {
    const f0 = fs[0]!;
    const ev = evIndex.get(obsId);
    const begin = ev?.get('startIntegration') ?? taiIsoToMs(f0.dateBeg);
    const end = ev?.get('startReadout') ?? taiIsoToMs(f0.dateEnd);
    const readoutEnd = ev?.get('endReadout') ?? end + readoutTimeS * 1000;
    const writtenTimes = fs.map((f) => taiIsoToMs(f.fileDate)).filter(Number.isFinite);
    const written = ev?.get('fitsFilesWritten') ?? (writtenTimes.length ? Math.max(...writtenTimes) : readoutEnd);
    if (!Number.isFinite(begin) || !Number.isFinite(end)) continue;
    const e: ExposureTimeline = {
      obsId,
      dayObs: f0.dayObs,
      seqNum: f0.seqNum ?? 0,
      imageType: f0.imageType ?? '',
      band: f0.band ?? '',
      exptime: f0.exptime ?? 0,
      ccds: fs.length,
      integrationStart: begin,
      integrationEnd: end,
      readoutEnd,
      fileWritten: written,
    };
    // The command that started it: the last takeImages before integration (within an hour).
    let cmd: number | undefined;
    for (const t of commands) if (t <= begin && begin - t < 3_600_000) cmd = t;
    if (cmd !== undefined) e.command = cmd;
    if (ev) {
      for (const n of NOTIFY_EVENTS) {
        const t = ev.get(`${n}:last`);
        if (t !== undefined) e.notified = Math.max(e.notified ?? -Infinity, t);
      }
    }
    exposures.push(e);
  }
  exposures.sort((a, b) => a.integrationStart - b.integrationStart);

  let arrivals: FileArrival[] = [];
  let transferMode: NightTimeline['transferMode'] = 'none';
  if (transfer) {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const moved = transfer.files.filter((t) => t.verified && byPath.has(t.path));
    const start = exposures.length ? exposures[0]!.integrationStart : 0;
    const end = exposures.length ? Math.max(...exposures.map((e) => e.fileWritten)) : 0;
    const actual = moved.length > 0 && moved.every((t) => {
      const s = utcIsoToTaiMs(t.start);
      return s >= start - 3_600_000 && s <= end + 12 * 3_600_000;
    });
    if (actual) {
      transferMode = 'actual';
      arrivals = moved.map((t) => ({ path: t.path, written: taiIsoToMs(byPath.get(t.path)!.fileDate), arrived: utcIsoToTaiMs(t.end), seconds: t.seconds }));
    } else if (moved.length) {
      transferMode = 'replayed';
      const queue = moved
        .map((t) => ({ t, written: taiIsoToMs(byPath.get(t.path)!.fileDate) }))
        .filter((q) => Number.isFinite(q.written))
        .sort((a, b) => a.written - b.written);
      let free = -Infinity;
      for (const q of queue) {
        const arrived = Math.max(free, q.written) + q.t.seconds * 1000;
        free = arrived;
        arrivals.push({ path: q.t.path, written: q.written, arrived, seconds: q.t.seconds });
      }
    }
    const arrivedBy = new Map(arrivals.map((a) => [a.path, a]));
    for (const e of exposures) {
      const fs = groups.get(e.obsId) ?? [];
      const as = fs.map((f) => arrivedBy.get(f.path)).filter((a): a is FileArrival => a !== undefined);
      if (as.length) {
        e.transferred = Math.max(...as.map((a) => a.arrived));
        e.transferSeconds = as.reduce((s, a) => s + a.seconds, 0);
      }
    }
  }
  const times = exposures.flatMap((e) => [e.command ?? e.integrationStart, e.integrationStart, e.fileWritten, e.notified ?? e.fileWritten, e.transferred ?? e.fileWritten]);
  return {
    exposures,
    arrivals,
    transferMode,
    fromEvents: events.length > 0,
    start: times.length ? Math.min(...times) : 0,
    end: times.length ? Math.max(...times) : 0,
  };
}

export interface LatencySeries {
  key: string;
  title: string;
  /** Seconds. */
  values: number[];
  note?: string;
}

/** The latency distributions the page plots; a series with no data is left out. */
export function latencySeries(t: NightTimeline): LatencySeries[] {
  const out: LatencySeries[] = [];
  const push = (key: string, title: string, values: number[], note?: string): void => {
    const v = values.filter(Number.isFinite);
    if (v.length) out.push({ key, title, values: v, ...(note ? { note } : {}) });
  };
  push('command-written', 'Command → files written (per exposure)', t.exposures.filter((e) => e.command !== undefined).map((e) => (e.fileWritten - e.command!) / 1000));
  push('readout-written', 'Readout end → files written (per exposure)', t.exposures.map((e) => (e.fileWritten - e.readoutEnd) / 1000));
  push('written-notified', 'Files written → notified (per exposure)', t.exposures.filter((e) => e.notified !== undefined).map((e) => (e.notified! - e.fileWritten) / 1000));
  push(
    'written-arrived',
    'File written → arrived at the data facility (per file)',
    t.arrivals.map((a) => (a.arrived - a.written) / 1000),
    t.transferMode === 'replayed' ? 'replayed on the night from measured link times' : undefined,
  );
  push('link-time', 'Link time per file', t.arrivals.map((a) => a.seconds));
  return out;
}
