/**
 * Runs a scenario against an emulator: nights of steps, each command recorded with its acks and every event the
 * stream delivers, then a summary.
 *
 * Nights and day_obs: a night's images carry the day_obs of the emulator's clock, which the rehearsal moves to the
 * next day_obs before each night after the first, as the scenario's `between` says:
 * - `wait` (any emulator) lets that clock run to the next day_obs rollover (12:00 TAI for the Rubin cameras, 00:00
 *   for DC2) plus a margin: (time left) / timeScale of wall time. Correct everywhere, and what a real rehearsal does,
 *   but at a high time scale a night's emulated length is mostly the wall time its commands take multiplied by the
 *   scale, so a loaded machine can run a night past the rollover (the next night then starts at once, noted).
 * - `skip` (in-process) jumps the emulator's clock to one day after the previous night began: same time of night,
 *   next day_obs, no wall time spent; the event stream and sequence numbers carry on.
 * - `restart` (in-process) closes the emulator and starts a new one there on the same store; its event sequence
 *   numbers and command ids restart (`epoch` in the recording and summary).
 */
import { addDays, dayObsStart } from '@daqsim/core';
import { HttpError, dayObsAt, describeCamera, type Ack, type CommandName, type CommandParamMap, type DaqClient, type StateName } from '@daqsim/daq';
import { Recorder, taiIso, tap } from './recorder.js';
import type { Expectation, Scenario, Step, TargetState } from './scenario.js';
import { countSteps } from './scenario.js';
import { ackName, summarize, type FailureSummary, type NightRecord, type RehearsalSummary } from './summary.js';
import { connect, startInProcess, type Target } from './target.js';

export interface RehearsalOptions {
  /** Where the JSONL recording goes. */
  record: string;
  transport?: 'sse' | 'ws';
  /** Stop at the first unexpected outcome (default: carry on and report them all). */
  failFast?: boolean;
  /** Wall seconds to wait at the end of a night for images whose files are not yet reported [60]. */
  settle?: number;
  /** Wall milliseconds to wait for the stream to deliver the events published before a command's ack [10000]. */
  ackWait?: number;
  /** Bearer token when the scenario gives none (default $DAQSIM_TOKEN). */
  token?: string;
  signal?: AbortSignal;
  onStep?: (done: number, total: number, label: string) => void;
  /** Human notices (long waits, overruns); stderr in the CLI. */
  onNotice?: (message: string) => void;
}

type Outcome = string;

interface NotifyCounts {
  enqueued: number;
  delivered: number;
  failed: number;
  queued: number;
}

const RANK: Record<TargetState, number> = { OFFLINE: 0, STANDBY: 1, DISABLED: 2, ENABLED: 3 };
const UP: Partial<Record<StateName, CommandName>> = { OFFLINE: 'enterControl', STANDBY: 'start', DISABLED: 'enable' };
const DOWN: Partial<Record<StateName, CommandName>> = { ENABLED: 'disable', DISABLED: 'standby', STANDBY: 'exitControl' };

/** The next summary-state command from `from` toward `to` (FAULT recovers through standby, as salobj requires). */
export function nextStateCommand(from: StateName, to: TargetState): CommandName | undefined {
  if (from === 'FAULT') return 'standby';
  if (from === to) return undefined;
  return RANK[from] < RANK[to] ? UP[from] : DOWN[from];
}

/** Send any command; the step parsers checked `params` against the command's ts_xml parameters. */
function sendCommand(client: DaqClient, name: CommandName, params: Record<string, unknown>): Promise<Ack> {
  return client.command(name as 'generic', params as CommandParamMap['generic']);
}

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

class Run {
  readonly failures: FailureSummary[] = [];
  expectedFailures = 0;
  stopped = false;
  interrupted = false;
  private lastFaultId: string | undefined;
  private stepsDone = 0;
  private notify: NotifyCounts = { enqueued: 0, delivered: 0, failed: 0, queued: 0 };
  private notifyBase: NotifyCounts = { enqueued: 0, delivered: 0, failed: 0, queued: 0 };
  readonly nights: NightRecord[] = [];
  private stream: { stop(): Promise<void>; anchored(): boolean } | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly opts: RehearsalOptions,
    readonly recorder: Recorder,
    public target: Target,
    private readonly totalSteps: number,
  ) {}

  get where(): { night: number } {
    return { night: this.recorder.where.night };
  }

  now(): number {
    return this.target.clock.now();
  }

  async begin(): Promise<void> {
    const stream = tap(this.target, this.recorder, this.opts.transport ?? 'sse');
    this.stream = stream;
    const s = await this.target.client.state();
    const c = s.notifications as Partial<NotifyCounts>;
    this.notifyBase = { enqueued: c.enqueued ?? 0, delivered: c.delivered ?? 0, failed: c.failed ?? 0, queued: 0 };
    // A remote clock is anchored on the first event the stream brings (the last one the server held).
    if (!stream.anchored()) await this.recorder.until(() => stream.anchored(), 2000);
    this.target.go();
  }

  // ------------------------------------------------------------------ outcomes

  private judge(step: Step & { expect: Expectation }, outcome: Outcome, command: string | undefined, message: string): void {
    const ok = step.expect === 'ANY' ? outcome !== 'ERROR' : outcome === step.expect;
    this.recorder.write('step', this.now(), { ...this.where, step: step.at, type: step.type, phase: 'end', expected: step.expect, outcome, ok });
    if (ok) {
      if (outcome !== 'COMPLETE') this.expectedFailures++;
      return;
    }
    this.failures.push({ night: this.where.night, step: step.at, ...(command ? { command } : {}), expected: step.expect, outcome, message });
    if (this.opts.failFast) this.stopped = true;
  }

  private fail(step: string, message: string, command?: string): void {
    this.failures.push({ night: this.where.night, step, ...(command ? { command } : {}), expected: 'COMPLETE', outcome: 'ERROR', message });
    if (this.opts.failFast) this.stopped = true;
  }

  /** Send a command and record it, the stream's acks, and the final ack; returns the outcome name. */
  private async command(step: string, name: CommandName, params: Record<string, unknown>): Promise<{ outcome: Outcome; message: string }> {
    const rec = this.recorder;
    const n = rec.write('command', this.now(), { ...this.where, step, command: name, params });
    const entry: (typeof rec.commands)[number] = { n, ...rec.where, step, command: name, params };
    rec.commands.push(entry);
    let ack: Ack;
    try {
      ack = await sendCommand(this.target.client, name, params);
    } catch (e) {
      entry.error = errorMessage(e);
      rec.write('error', this.now(), { ...this.where, step, command: name, status: e instanceof HttpError ? e.status : null, message: entry.error });
      return { outcome: 'ERROR', message: entry.error };
    }
    // Every event published before the answer (the command's ackcmds and image cycle included) goes first.
    try {
      const seq = await this.target.eventSeq();
      const wait = this.opts.ackWait ?? 10_000;
      if (!(await rec.until(() => rec.lastSeq >= seq, wait))) this.notice(`the event stream fell behind: event ${seq} not delivered within ${wait / 1000} s of the ${name} ack`);
    } catch (e) {
      this.notice(`could not read the event sequence number: ${errorMessage(e)}`);
    }
    entry.ack = ack;
    entry.ackN = rec.write('ack', this.now(), { ...this.where, step, command: name, cmdId: ack.cmdId, ack: ack.ack, code: ackName(ack.ack), result: ack.result, error: ack.error, timeout: ack.timeout });
    return { outcome: ackName(ack.ack), message: ack.result };
  }

  private notice(message: string): void {
    this.recorder.write('note', this.now(), { ...this.where, message });
    this.opts.onNotice?.(message);
  }

  // ------------------------------------------------------------------ steps

  async runSteps(steps: readonly Step[], iteration: number[] = []): Promise<void> {
    for (const step of steps) {
      if (this.stopped || this.opts.signal?.aborted) return;
      if (step.type === 'repeat') {
        for (let i = 1; i <= step.count && !this.stopped && !this.opts.signal?.aborted; i++) await this.runSteps(step.steps, [...iteration, i]);
        continue;
      }
      this.recorder.write('step', this.now(), {
        ...this.where,
        step: step.at,
        type: step.type,
        phase: 'begin',
        ...(iteration.length ? { repeat: iteration } : {}),
        ...(step.note !== undefined ? { note: step.note } : {}),
      });
      await this.runStep(step);
      this.opts.onStep?.(++this.stepsDone, this.totalSteps, `night ${this.where.night} ${step.at} ${step.type}`);
    }
  }

  private async runStep(step: Exclude<Step, { type: 'repeat' }>): Promise<void> {
    const client = this.target.client;
    switch (step.type) {
      case 'state': {
        const r = await this.walk(step.at, step.state);
        this.judge(step, r.outcome, r.command, r.message);
        return;
      }
      case 'takeImages': {
        const r = await this.command(step.at, 'takeImages', { ...step.params });
        this.judge(step, r.outcome, 'takeImages', r.message);
        return;
      }
      case 'setFilter': {
        const r = await this.command(step.at, 'setFilter', { name: step.filter });
        this.judge(step, r.outcome, 'setFilter', r.message);
        return;
      }
      case 'command': {
        const r = await this.command(step.at, step.command, step.params);
        this.judge(step, r.outcome, step.command, r.message);
        return;
      }
      case 'wait': {
        const ms = step.seconds * 1000;
        this.recorder.write('wait', this.now(), { ...this.where, step: step.at, seconds: step.seconds, until: taiIso(this.now() + ms) });
        await this.target.clock.sleep(ms, this.opts.signal);
        return;
      }
      case 'fault': {
        // Files are written after their image's telemetry, in the background: let the ones already taken land, so
        // a file fault hits the images the scenario takes next, not a straggler from before.
        await this.settle();
        const rec = this.recorder;
        const n = rec.write('fault', this.now(), { ...this.where, step: step.at, spec: step.spec });
        const entry: (typeof rec.faults)[number] = { n, ...rec.where, step: step.at, spec: step.spec };
        rec.faults.push(entry);
        try {
          const armed = await client.armFault(step.spec);
          entry.id = armed.id;
          this.lastFaultId = armed.id;
          rec.write('faultArmed', this.now(), { ...this.where, step: step.at, fault: armed });
        } catch (e) {
          entry.error = errorMessage(e);
          rec.write('error', this.now(), { ...this.where, step: step.at, command: 'armFault', status: e instanceof HttpError ? e.status : null, message: entry.error });
          this.fail(step.at, entry.error, 'armFault');
        }
        return;
      }
      case 'clearFaults': {
        const id = step.which === 'last' ? this.lastFaultId : undefined;
        if (step.which === 'last' && id === undefined) {
          this.notice(`${step.at}: no fault armed yet, nothing to clear`);
          return;
        }
        try {
          const r = await client.clearFaults(id);
          this.recorder.write('faultsCleared', this.now(), { ...this.where, step: step.at, ...(id ? { id } : {}), cleared: r.cleared });
        } catch (e) {
          // A fault that fired its count has disarmed itself: nothing left to clear is not a failure.
          if (e instanceof HttpError && e.status === 404) this.recorder.write('faultsCleared', this.now(), { ...this.where, step: step.at, id, cleared: 0 });
          else this.fail(step.at, errorMessage(e), 'clearFaults');
        }
        return;
      }
    }
  }

  /** Walk the summary-state machine to `to`, one command at a time; stops at the first command that does not complete. */
  private async walk(step: string, to: TargetState): Promise<{ outcome: Outcome; command?: string; message: string }> {
    for (let i = 0; i < 8; i++) {
      let from: StateName;
      try {
        from = (await this.target.client.state()).summaryState;
      } catch (e) {
        return { outcome: 'ERROR', message: errorMessage(e) };
      }
      const name = nextStateCommand(from, to);
      if (name === undefined) return { outcome: 'COMPLETE', message: `in ${to}` };
      const r = await this.command(step, name, {});
      if (r.outcome !== 'COMPLETE') return { ...r, command: name };
    }
    return { outcome: 'ERROR', message: `did not reach ${to} in 8 commands` };
  }

  // ------------------------------------------------------------------ nights

  async beginNight(night: number): Promise<void> {
    this.recorder.where = { ...this.recorder.where, night };
    const camera = describeCamera(this.scenario.camera);
    const dayObs = dayObsAt(camera, this.now());
    this.nights.push({ night, dayObs, epoch: this.recorder.where.epoch, startMs: this.now(), endMs: this.now() });
    this.recorder.write('night', this.now(), { night, phase: 'begin', dayObs, epoch: this.recorder.where.epoch });
  }

  async endNight(): Promise<void> {
    await this.settle();
    const n = this.nights.at(-1)!;
    n.endMs = this.now();
    this.recorder.write('night', this.now(), { night: n.night, phase: 'end', dayObs: n.dayObs, epoch: n.epoch });
  }

  /** Wait (bounded) until every image of this epoch that finished its telemetry has its files reported. */
  private async settle(): Promise<void> {
    const rec = this.recorder;
    const epoch = rec.where.epoch;
    const unreported = (): string[] => {
      const done = new Set<string>();
      const read: string[] = [];
      for (const e of rec.events) {
        if (e.epoch !== epoch) continue;
        if (e.event.name === 'fileTransferPerImageSummary') done.add(e.event.data.obsId);
        else if (e.event.name === 'endOfImageTelemetry') read.push(e.event.data.imageName);
      }
      return read.filter((x) => !done.has(x));
    };
    const ok = await rec.until(() => unreported().length === 0, (this.opts.settle ?? 60) * 1000, this.opts.signal);
    if (!ok && !this.opts.signal?.aborted) this.notice(`files of ${unreported().join(', ')} not reported within ${this.opts.settle ?? 60} s`);
  }

  /** Move the emulator to the next day_obs (see the module comment). */
  async advanceDay(night: number): Promise<void> {
    const prev = this.nights.at(-1)!;
    const camera = describeCamera(this.scenario.camera);
    if (this.scenario.between !== 'wait') {
      // skip and restart: the same time of night, one day later (the next day_obs by construction).
      const at = prev.startMs + 86_400_000;
      if (this.now() >= at) {
        this.notice(`night ${night - 1} lasted more than a day of emulated time; night ${night} starts at once`);
        return;
      }
      if (this.scenario.between === 'restart') return this.restart(night, at);
      this.recorder.write('skip', this.now(), { night: night - 1, to: taiIso(at) });
      this.target.skipTo!(at);
      return;
    }
    const clock = this.target.clock;
    const rollover = dayObsStart(addDays(prev.dayObs, 1), camera.dayObsOffsetHours).ms;
    // A remote clock is an estimate: keep a margin of its likely error (stream latency times the time scale).
    const margin = 1000 + (this.target.started ? 0 : 200 * Math.max(1, clock.timeScale));
    const target = rollover + margin;
    const now = this.now();
    if (dayObsAt(camera, now) > prev.dayObs) {
      this.notice(`night ${night - 1} ran past the day_obs rollover (${taiIso(rollover)} TAI); night ${night} starts at once`);
      return;
    }
    const wallS = clock.timeScale === 0 ? (target - now) / 1000 : (target - now) / 1000 / clock.timeScale;
    this.recorder.write('wait', now, { night: night - 1, reason: 'next day_obs', until: taiIso(target), wallSeconds: Number(wallS.toFixed(3)) });
    if (wallS > 60) this.notice(`waiting ${(wallS / 3600).toFixed(2)} h of wall time for the next day_obs (${taiIso(rollover)} TAI at time scale ${clock.timeScale})`);
    for (let i = 0; i < 20 && this.now() < target && !this.opts.signal?.aborted; i++) {
      const left = target - this.now();
      // At time scale 0 emulated time is the wall's: the emulator's own sleeps would return at once.
      if (clock.timeScale === 0) await new Promise((r) => setTimeout(r, Math.min(left, 2 ** 30)));
      else await clock.sleep(left, this.opts.signal);
    }
  }

  private async restart(night: number, startMs: number): Promise<void> {
    await this.finishEpoch();
    await this.target.close();
    this.recorder.write('note', this.now(), { night: night - 1, message: `restarting the emulator at ${taiIso(startMs)} TAI for night ${night}` });
    this.target = await startInProcess({ ...this.scenario.start!, startTime: taiIso(startMs) });
    this.recorder.newEpoch();
    await this.begin();
  }

  /** Collect what only the server knows, make sure the recording has every event published so far, stop the stream. */
  async finishEpoch(): Promise<void> {
    try {
      const s = await this.target.client.state();
      const c = s.notifications as unknown as NotifyCounts;
      this.notify.enqueued += c.enqueued - this.notifyBase.enqueued;
      this.notify.delivered += c.delivered - this.notifyBase.delivered;
      this.notify.failed += c.failed - this.notifyBase.failed;
      this.notify.queued = c.queued;
      await this.recorder.until(() => this.recorder.lastSeq >= s.eventSeq, 5000);
    } catch (e) {
      this.notice(`could not read the final state: ${errorMessage(e)}`);
    }
    await this.stream?.stop();
    this.stream = undefined;
  }

  get notifications(): NotifyCounts {
    return { ...this.notify };
  }
}

/** Run a validated scenario; resolves with the summary (also the recording's last line). */
export async function runRehearsal(scenario: Scenario, opts: RehearsalOptions): Promise<RehearsalSummary> {
  const t0 = performance.now();
  const target = scenario.start
    ? await startInProcess(scenario.start)
    : await connect(scenario.server!.url, scenario.csc, scenario.camera, scenario.server!.token ?? opts.token ?? process.env.DAQSIM_TOKEN);
  let recorder: Recorder;
  try {
    recorder = await Recorder.open(opts.record);
  } catch (e) {
    await target.close();
    throw e;
  }
  const run = new Run(scenario, opts, recorder, target, scenario.nights * countSteps(scenario.steps));
  const onAbort = (): void => {
    run.interrupted = true;
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    recorder.write('rehearsal', run.now(), {
      scenario: scenario.source,
      name: scenario.name,
      camera: scenario.camera,
      csc: scenario.csc,
      url: target.url,
      started: target.started,
      timeScale: target.clock.timeScale,
      nights: scenario.nights,
      between: scenario.between,
    });
    await run.begin();
    for (let night = 1; night <= scenario.nights && !run.stopped && !opts.signal?.aborted; night++) {
      if (night > 1) await run.advanceDay(night);
      if (opts.signal?.aborted) break;
      await run.beginNight(night);
      await run.runSteps(scenario.steps);
      await run.endNight();
    }
    if (run.interrupted) recorder.write('note', run.now(), { night: recorder.where.night, message: 'interrupted' });
    await run.finishEpoch();
    const summary = summarize({
      base: {
        scenario: scenario.source,
        name: scenario.name,
        camera: scenario.camera,
        csc: scenario.csc,
        url: run.target.url,
        started: run.target.started,
        timeScale: run.target.clock.timeScale,
        between: scenario.between,
        record: recorder.path,
        interrupted: run.interrupted,
        wallSeconds: (performance.now() - t0) / 1000,
      },
      recorder,
      nights: run.nights,
      failures: run.failures,
      expectedFailures: run.expectedFailures,
      notifications: run.notifications,
    });
    recorder.write('summary', run.now(), { summary });
    return summary;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await run.target.close();
    await recorder.close();
  }
}
