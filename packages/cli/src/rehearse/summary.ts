/**
 * What a rehearsal did, from what it recorded: images taken, files written, notifications, each injected fault and
 * how it showed up (the faultInjected firing, then what an operator would have seen: a FAULT state and its error
 * code, a failed or timed-out command, an image summary missing files, the camera not ready), and the failures.
 */
import { AckCode, type DaqEvent, type FaultSpec } from '@daqsim/daq';
import type { FaultEntry, Recorder, RetainedEvent } from './recorder.js';
import type { Between } from './scenario.js';
import { taiIso } from './recorder.js';

export interface NightSummary {
  night: number;
  dayObs: number;
  epoch: number;
  images: number;
  filesExpected: number;
  filesWritten: number;
  start: string;
  end: string;
}

export interface FaultFiring {
  tai: string;
  imageName: string;
  detector: string;
  amp: string;
  detail: string;
}

export interface FaultSummary {
  night: number;
  step: string;
  id: string | null;
  kind: string;
  spec: FaultSpec;
  fired: number;
  firings: FaultFiring[];
  /** What followed the firing that a rehearsal operator would notice, in order. */
  showedUp: string[];
  error?: string;
}

export interface FailureSummary {
  night: number;
  step: string;
  command?: string;
  expected: string;
  outcome: string;
  message: string;
}

export interface RehearsalSummary {
  ok: boolean;
  scenario: string;
  name: string;
  camera: string;
  csc: string;
  url: string;
  started: boolean;
  timeScale: number;
  between: Between;
  record: string;
  interrupted: boolean;
  wallSeconds: number;
  emulated: { start: string; end: string };
  nights: NightSummary[];
  commands: { sent: number; acks: Record<string, number>; expectedFailures: number };
  images: { taken: number; started: number; names: string[] };
  files: { expected: number; written: number; missing: number; pending: string[] };
  notifications: { enqueued: number; delivered: number; failed: number; queued: number; failedEvents: number };
  faults: FaultSummary[];
  /** Faults that fired without this rehearsal arming them (from the server's config, or another client). */
  otherFaults: Array<FaultFiring & { faultId: string; kind: string }>;
  failures: FailureSummary[];
  events: { total: number; byName: Record<string, number>; gaps: number; fellBehind: number };
}

const ACK_NAMES = new Map<number, string>(Object.entries(AckCode).map(([k, v]) => [v, k]));

export function ackName(code: number): string {
  return ACK_NAMES.get(code) ?? String(code);
}

export interface NightRecord {
  night: number;
  dayObs: number;
  epoch: number;
  startMs: number;
  endMs: number;
}

export interface SummaryInput {
  base: Pick<RehearsalSummary, 'scenario' | 'name' | 'camera' | 'csc' | 'url' | 'started' | 'timeScale' | 'between' | 'record' | 'interrupted' | 'wallSeconds'>;
  recorder: Recorder;
  nights: NightRecord[];
  failures: FailureSummary[];
  expectedFailures: number;
  notifications: { enqueued: number; delivered: number; failed: number; queued: number };
}

type Named<N extends DaqEvent['name']> = RetainedEvent & { event: DaqEvent<N> };

function named<N extends DaqEvent['name']>(events: readonly RetainedEvent[], name: N): Array<Named<N>> {
  return events.filter((e): e is Named<N> => e.event.name === name);
}

const imageKey = (epoch: number, name: string): string => `${epoch}:${name}`;

export function summarize(input: SummaryInput): RehearsalSummary {
  const { recorder: rec } = input;
  const ev = rec.events;
  const readout = named(ev, 'endReadout');
  const telemetry = named(ev, 'endOfImageTelemetry');
  const reports = named(ev, 'fileTransferPerImageSummary');
  const reported = new Map(reports.map((r) => [imageKey(r.epoch, r.event.data.obsId), r.event.data]));
  const nights: NightSummary[] = input.nights.map((n) => {
    const mine = readout.filter((r) => r.night === n.night && r.epoch === n.epoch).map((r) => reported.get(imageKey(r.epoch, r.event.data.imageName)));
    return {
      night: n.night,
      dayObs: n.dayObs,
      epoch: n.epoch,
      images: mine.length,
      filesExpected: mine.reduce((s, r) => s + (r?.expected ?? 0), 0),
      filesWritten: mine.reduce((s, r) => s + (r?.written ?? 0), 0),
      start: taiIso(n.startMs),
      end: taiIso(n.endMs),
    };
  });
  const acks: Record<string, number> = {};
  for (const c of rec.commands) {
    const k = c.ack ? ackName(c.ack.ack) : 'ERROR';
    acks[k] = (acks[k] ?? 0) + 1;
  }
  const faults = rec.faults.map((f) => faultSummary(f, rec));
  const armed = new Set(rec.faults.filter((f) => f.id !== undefined).map((f) => `${f.epoch}:${f.id}`));
  const otherFaults = named(ev, 'faultInjected')
    .filter((e) => !armed.has(`${e.epoch}:${e.event.data.faultId}`))
    .map((e) => ({ ...firing(e), faultId: e.event.data.faultId, kind: e.event.data.kind }));
  const ok = input.failures.length === 0 && !input.base.interrupted;
  return {
    ok,
    ...input.base,
    emulated: {
      start: input.nights.length > 0 ? taiIso(input.nights[0]!.startMs) : '',
      end: input.nights.length > 0 ? taiIso(input.nights.at(-1)!.endMs) : '',
    },
    nights,
    commands: { sent: rec.commands.length, acks, expectedFailures: input.expectedFailures },
    images: { taken: readout.length, started: named(ev, 'startIntegration').length, names: readout.map((r) => r.event.data.imageName) },
    files: {
      expected: reports.reduce((s, r) => s + r.event.data.expected, 0),
      written: reports.reduce((s, r) => s + r.event.data.written, 0),
      missing: reports.reduce((s, r) => s + r.event.data.missingAfterResend, 0),
      pending: telemetry.filter((t) => !reported.has(imageKey(t.epoch, t.event.data.imageName))).map((t) => t.event.data.imageName),
    },
    notifications: { ...input.notifications, failedEvents: rec.byName.get('notificationFailed') ?? 0 },
    faults,
    otherFaults,
    failures: input.failures,
    events: {
      total: [...rec.byName.values()].reduce((a, b) => a + b, 0),
      byName: Object.fromEntries([...rec.byName.entries()].sort(([a], [b]) => a.localeCompare(b))),
      gaps: rec.controls.filter((c) => c.kind === 'gap').length,
      fellBehind: rec.controls.filter((c) => c.kind === 'fellBehind').length,
    },
  };
}

function firing(e: Named<'faultInjected'>): FaultFiring {
  const d = e.event.data;
  return { tai: taiIso(d.private_sndStamp * 1000), imageName: d.imageName, detector: d.detector, amp: d.amp, detail: d.detail };
}

function faultSummary(f: FaultEntry, rec: Recorder): FaultSummary {
  const base = { night: f.night, step: f.step, id: f.id ?? null, kind: f.spec.kind, spec: f.spec };
  if (f.id === undefined) return { ...base, fired: 0, firings: [], showedUp: [], error: f.error ?? 'not armed' };
  const after = rec.events.filter((e) => e.epoch === f.epoch && e.n > f.n);
  const fired = named(after, 'faultInjected').filter((e) => e.event.data.faultId === f.id);
  const shown: string[] = [];
  const once = (s: string): void => {
    if (!shown.includes(s)) shown.push(s);
  };
  for (const e of fired) {
    const d = e.event.data;
    once(`faultInjected${d.imageName ? ` ${d.imageName}` : ''}${d.detector ? ` ${d.detector}` : ''}: ${d.detail}`);
  }
  if (fired.length === 0) return { ...base, fired: 0, firings: [], showedUp: ['not fired'] };
  const first = fired[0]!.n;
  if (named(after, 'logMessage').some((e) => e.event.data.message.includes(`fault ${f.id} (`))) once('logMessage WARNING');
  const later = after.filter((e) => e.n > first);
  if (f.spec.kind === 'cscFault') {
    const code = named(later, 'errorCode').find((e) => e.event.data.errorCode !== 0);
    if (code) once(`errorCode ${code.event.data.errorCode}: ${code.event.data.errorReport}`);
    if (named(later, 'summaryState').some((e) => e.event.data.summaryState === 3)) once('summaryState FAULT');
  }
  if (f.spec.kind === 'notReady') {
    const nr = named(after, 'notReadyToTakeImage')[0];
    if (nr) once('notReadyToTakeImage');
    if (nr && named(after, 'readyToTakeImage').some((e) => e.n > nr.n)) once('readyToTakeImage (ended)');
  }
  // Commands running when it fired, or refused because of it, that did not complete.
  for (const c of rec.commands) {
    if (c.epoch !== f.epoch || !c.ack || c.ack.ack === AckCode.COMPLETE) continue;
    const inFlight = c.n < first && (c.ackN ?? 0) > first;
    const refusedNotReady = f.spec.kind === 'notReady' && c.n > f.n && /not ready/i.test(c.ack.result);
    if (inFlight || refusedNotReady) once(`${c.command} ${ackName(c.ack.ack)}: ${c.ack.result}`);
  }
  const images = new Set(fired.map((e) => e.event.data.imageName).filter((x) => x !== ''));
  for (const r of named(after, 'fileTransferPerImageSummary')) {
    const d = r.event.data;
    if (images.has(d.obsId) && d.missingAfterResend > 0) {
      const missing = (JSON.parse(d.metaData || '{}') as { missing?: string[] }).missing ?? [];
      once(`fileTransferPerImageSummary ${d.obsId}: ${d.written} of ${d.expected} files${missing.length ? ` (missing ${missing.join(', ')})` : ''}`);
    }
  }
  return { ...base, fired: fired.length, firings: fired.map(firing), showedUp: shown };
}

/** The human-readable summary: a few aligned lines, then OK or FAILED. */
export function formatSummary(s: RehearsalSummary): string {
  const lines: string[] = [];
  lines.push(
    `rehearsal ${s.name} (${s.scenario}): ${s.csc} (${s.camera}), ${s.started ? 'started in-process' : 'running server'} at ${s.url}, time scale ${s.timeScale}`,
  );
  for (const n of s.nights) {
    lines.push(`night ${n.night}   day_obs ${n.dayObs}: ${n.images} images, ${n.filesWritten}/${n.filesExpected} files (${n.start} .. ${n.end} TAI)`);
  }
  const acks = Object.entries(s.commands.acks).map(([k, v]) => `${v} ${k}`).join(', ');
  lines.push(`commands  ${s.commands.sent} sent${acks ? `: ${acks}` : ''}${s.commands.expectedFailures ? ` (${s.commands.expectedFailures} not COMPLETE as expected)` : ''}`);
  lines.push(
    `images    ${s.images.taken} taken; files ${s.files.written}/${s.files.expected} written` +
      `${s.files.missing ? ` (${s.files.missing} missing)` : ''}${s.files.pending.length ? `, ${s.files.pending.length} image(s) never reported` : ''}; ` +
      `notifications ${s.notifications.delivered} delivered, ${s.notifications.failed} failed`,
  );
  lines.push(`faults    ${s.faults.length} armed${s.otherFaults.length ? `, ${s.otherFaults.length} other firing(s)` : ''}`);
  for (const f of s.faults) {
    lines.push(`  ${f.id ?? '-'} ${f.kind} (night ${f.night} ${f.step}): ${f.error ? `not armed: ${f.error}` : `fired ${f.fired}x`}`);
    for (const x of f.showedUp) lines.push(`      ${x}`);
  }
  lines.push(`failures  ${s.failures.length === 0 ? 'none' : s.failures.length}`);
  for (const f of s.failures) lines.push(`  night ${f.night} ${f.step}${f.command ? ` ${f.command}` : ''}: expected ${f.expected}, got ${f.outcome}: ${f.message}`);
  lines.push(`events    ${s.events.total} recorded${s.events.gaps || s.events.fellBehind ? ` (${s.events.gaps} gaps, ${s.events.fellBehind} fell behind)` : ''} -> ${s.record}`);
  lines.push(`${s.ok ? 'OK' : s.interrupted ? 'INTERRUPTED' : 'FAILED'} in ${s.wallSeconds.toFixed(1)} s wall${s.emulated.start ? ` (emulated ${s.emulated.start} .. ${s.emulated.end} TAI)` : ''}`);
  return `${lines.join('\n')}\n`;
}
