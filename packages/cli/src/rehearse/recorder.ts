/**
 * The rehearsal's recording: one JSON object per line, in the order things happened as seen from the rehearsal,
 * numbered (`n`), each with the emulator's TAI time (`tai`, ISO without zone, as the headers write it) and the wall
 * time (`wall`, UTC ISO). Kinds: `rehearsal` (first line), `night`, `step`, `command`, `event`, `ack`, `error`,
 * `wait`, `fault`, `faultArmed`, `faultsCleared`, `note`, `stream` (gap or fell behind), `summary` (last line).
 *
 * Events come from the emulator's stream as they arrive; an `ack` line (the HTTP answer to a command) is written only
 * once the stream has delivered every event published before that answer, so a command's events (its ackcmds, its
 * image cycle) always precede its ack line.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Tai } from '@daqsim/core';
import type { Ack, AnyDaqEvent, FaultSpec, StreamControl } from '@daqsim/daq';
import { UsageError } from '../shared/output.js';
import type { Target } from './target.js';

export interface Where {
  night: number;
  /** Emulator generation: 1, then +1 at each restart (sequence numbers and ids restart with it). */
  epoch: number;
}

export interface RetainedEvent extends Where {
  n: number;
  event: AnyDaqEvent;
}

export interface CommandEntry extends Where {
  n: number;
  step: string;
  command: string;
  params: Record<string, unknown>;
  /** Final ack, when one came. */
  ack?: Ack;
  ackN?: number;
  /** HTTP or transport error instead of an ack. */
  error?: string;
}

export interface FaultEntry extends Where {
  n: number;
  step: string;
  spec: FaultSpec;
  id?: string;
  error?: string;
}

/** TAI ms -> ISO TAI with milliseconds, no zone. */
export function taiIso(ms: number): string {
  return Tai.fromMs(Math.round(ms)).toIso();
}

export class Recorder {
  readonly events: RetainedEvent[] = [];
  readonly commands: CommandEntry[] = [];
  readonly faults: FaultEntry[] = [];
  readonly byName = new Map<string, number>();
  readonly controls: StreamControl[] = [];
  where: Where = { night: 0, epoch: 1 };
  /** Highest sequence number delivered in the current epoch. */
  lastSeq = 0;
  private n = 0;
  private waiters = new Set<() => void>();
  private pending: Promise<void> = Promise.resolve();
  private writeError: unknown;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  static async open(path: string): Promise<Recorder> {
    try {
      await mkdir(dirname(path), { recursive: true });
      return new Recorder(path, await open(path, 'w'));
    } catch (e) {
      throw new UsageError(`cannot write the recording ${path}: ${e instanceof Error ? e.message : String(e)}`, 'record');
    }
  }

  /** Append a line; returns its number. `tai` is given as TAI ms. */
  write(kind: string, taiMs: number, fields: Record<string, unknown>): number {
    const n = ++this.n;
    const line = `${JSON.stringify({ n, kind, tai: taiIso(taiMs), wall: new Date().toISOString(), ...fields })}\n`;
    // Appends are chained so lines land in order; the first error is kept and thrown at close.
    this.pending = this.pending.then(
      () => this.file.write(line).then(() => undefined),
      () => undefined,
    );
    this.pending.catch((e: unknown) => (this.writeError ??= e));
    return n;
  }

  /** One event from the stream (after `recordAfter`): written, counted, kept for the summary (not heartbeats). */
  onEvent(e: AnyDaqEvent): void {
    const tai = e.data.private_sndStamp * 1000;
    const n = this.write('event', tai, { night: this.where.night, seq: e.seq, name: e.name, data: e.data });
    this.lastSeq = e.seq;
    this.byName.set(e.name, (this.byName.get(e.name) ?? 0) + 1);
    if (e.name !== 'heartbeat') this.events.push({ n, ...this.where, event: e });
    for (const w of this.waiters) w();
  }

  onControl(c: StreamControl, taiMs: number): void {
    this.controls.push(c);
    const { kind, ...rest } = c;
    this.write('stream', taiMs, { night: this.where.night, control: kind, ...rest });
  }

  /** Wait (wall time, bounded) until `done()` holds, re-checking on every event and every 50 ms. */
  async until(done: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      if (performance.now() >= deadline || signal?.aborted) return done();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(t);
          this.waiters.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, Math.min(50, Math.max(1, deadline - performance.now())));
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** A new emulator (restart): sequence numbers and command ids start again. */
  newEpoch(): void {
    this.where = { ...this.where, epoch: this.where.epoch + 1 };
    this.lastSeq = 0;
  }

  async close(): Promise<void> {
    await this.pending;
    await this.file.close();
    if (this.writeError) throw this.writeError;
  }
}

/**
 * Follow the target's event stream into the recorder until stopped. Events up to `target.recordAfter` are not
 * recorded; the last of them only anchors a remote clock.
 */
export function tap(target: Target, recorder: Recorder, transport: 'sse' | 'ws'): { stop(): Promise<void>; anchored(): boolean } {
  const ctl = new AbortController();
  const after = target.recordAfter;
  let anchored = after === 0;
  const loop = (async () => {
    for await (const e of target.client.events({
      since: Math.max(0, after - 1),
      transport,
      signal: ctl.signal,
      onControl: (c) => recorder.onControl(c, target.clock.now()),
    })) {
      target.clock.observe(e.data.private_sndStamp * 1000);
      anchored = true;
      if (e.seq > after) recorder.onEvent(e);
    }
  })().catch((e: unknown) => {
    if (!ctl.signal.aborted) recorder.write('stream', target.clock.now(), { night: recorder.where.night, control: 'error', message: e instanceof Error ? e.message : String(e) });
  });
  return {
    stop: async () => {
      ctl.abort();
      await loop;
    },
    anchored: () => anchored,
  };
}
