/**
 * The emulator a rehearsal drives: a running server reached by URL, or one started in-process. Either way the
 * rehearsal sees a `DaqClient` and an `EmulatedClock`, the emulator's own time (TAI ms), which paces waits and the
 * day_obs rollover between nights and timestamps the commands and acks in the recording.
 */
import {
  AbortedError,
  DaqClient,
  HttpError,
  TAI_MINUS_UTC_MS,
  parseIsoTai,
  startServer,
  type Clock,
  type CscName,
  type DaqConfig,
  type RunningServer,
} from '@daqsim/daq';
import { UsageError } from '../shared/output.js';

export interface EmulatedClock {
  /** 1 = real time, N = N times faster, 0 = as fast as possible (emulated time then runs with the wall). */
  readonly timeScale: number;
  /** Emulated now, TAI ms. */
  now(): number;
  /** Sleep `ms` of emulated time (returns at once at time scale 0, as the emulator's own sleeps do). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** An event was just received with this send time (TAI ms): a remote clock re-anchors on it. */
  observe(taiMs: number): void;
}

export interface Target {
  client: DaqClient;
  url: string;
  csc: CscName;
  clock: EmulatedClock;
  /** Started by the rehearsal (closed by it too). */
  started: boolean;
  /** The event sequence number to record after: 0 for an emulator we started (its start-up events count). */
  recordAfter: number;
  /** The sequence number of the last event published so far. */
  eventSeq(): Promise<number>;
  /** Let emulated time run (an in-process emulator's clock is held at its start instant until the rehearsal begins). */
  go(): void;
  /** Jump emulated time forward (in-process emulators only). */
  skipTo?(taiMs: number): void;
  close(): Promise<void>;
}

const wallSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', done);
      clearTimeout(t);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * The clock of a server in another process, estimated: anchored on the send time of the latest event received and
 * run forward at the server's time scale. Off by the stream's latency times the time scale (milliseconds at real
 * time, seconds at 1000x), which is why night changes keep a margin.
 */
export class RemoteClock implements EmulatedClock {
  private anchorTai: number;
  private anchorWall = performance.now();

  constructor(
    readonly timeScale: number,
    start = Date.now() + TAI_MINUS_UTC_MS,
  ) {
    this.anchorTai = start;
  }

  private get rate(): number {
    return this.timeScale === 0 ? 1 : this.timeScale;
  }

  now(): number {
    return this.anchorTai + (performance.now() - this.anchorWall) * this.rate;
  }

  observe(taiMs: number): void {
    this.anchorTai = taiMs;
    this.anchorWall = performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.timeScale === 0 ? Promise.resolve() : wallSleep(ms / this.timeScale, signal);
  }
}

/** Connect to a running emulator and check it emulates the scenario's camera. */
export async function connect(url: string, csc: CscName, camera: string, token: string | undefined): Promise<Target> {
  const client = new DaqClient({ baseUrl: url, csc, ...(token ? { token } : {}) });
  let state: Awaited<ReturnType<DaqClient['state']>>;
  try {
    state = await client.state();
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) throw new UsageError(`${url} serves no ${csc}: the scenario's camera is ${camera}`, 'camera');
    throw new Error(`cannot reach the emulator at ${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`, { cause: e });
  }
  if (state.camera !== camera) throw new UsageError(`${url} emulates ${state.camera}, the scenario's camera is ${camera}`, 'camera');
  const clock = new RemoteClock(state.timeScale);
  return {
    client,
    url: client.baseUrl,
    csc,
    clock,
    started: false,
    // The event before the first recorded one anchors the remote clock (see Recorder).
    recordAfter: state.eventSeq,
    eventSeq: async () => (await client.state()).eventSeq,
    go: () => undefined,
    close: async () => undefined,
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortedError(String(signal.reason ?? 'aborted'));
}

/**
 * The in-process emulator's clock: the emulator's RealClock (emulated time runs `timeScale` times faster than the
 * wall; at 0 sleeps return at once) with two additions a rehearsal needs.
 * - It is held at its start instant until `go()`: starting the server (workers, routes) takes a wall second or
 *   two, which at 600x would otherwise spend the first half hour of the scenario's night. Sleeps wait for it.
 * - `jumpTo()` moves emulated time forward at once (`between: skip`), waking every pending sleep in due order to
 *   re-check its deadline, as if the time had passed with nothing happening.
 */
export class RehearsalClock implements Clock {
  private wallStart: number | undefined;
  private skipped = 0;
  private readonly base: number;
  /** Pending sleeps: their re-check function and deadline. */
  private readonly sleepers = new Map<() => void, number>();

  constructor(
    readonly timeScale: number,
    /** Emulated start instant (TAI ms); default: the wall time at construction. */
    start?: number,
  ) {
    if (!Number.isFinite(timeScale) || timeScale < 0) throw new RangeError(`time scale must be >= 0, got ${timeScale}`);
    this.base = start ?? Date.now() + TAI_MINUS_UTC_MS;
  }

  get running(): boolean {
    return this.wallStart !== undefined;
  }

  go(): void {
    if (this.wallStart !== undefined) return;
    this.wallStart = performance.now();
    this.wake();
  }

  now(): number {
    if (this.wallStart === undefined) return this.base + this.skipped;
    const elapsed = performance.now() - this.wallStart;
    return this.base + this.skipped + (this.timeScale === 0 ? elapsed : elapsed * this.timeScale);
  }

  /** Move emulated time forward to `taiMs` (never back). */
  jumpTo(taiMs: number): void {
    const by = taiMs - this.now();
    if (by <= 0) return;
    this.skipped += by;
    this.wake();
  }

  private wake(): void {
    for (const [check] of [...this.sleepers].sort((a, b) => a[1] - b[1])) check();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.now() + ms, signal);
  }

  sleepUntil(taiMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        finish();
        reject(abortReason(signal!));
      };
      // Re-armed toward the absolute deadline (timers fire early, time may jump); held until go().
      const check = (): void => {
        clearTimeout(timer);
        if (this.wallStart === undefined) return;
        const remaining = taiMs - this.now();
        if (remaining <= 0 || this.timeScale === 0) {
          finish();
          if (this.timeScale === 0) setImmediate(resolve);
          else resolve();
          return;
        }
        // Node fires delays above 2^31-1 ms at once; an endless sleep (a hung readout) re-arms instead.
        timer = setTimeout(check, Math.min(2 ** 30, remaining / this.timeScale));
      };
      this.sleepers.set(check, taiMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }
}

/** Start an emulator in this process on a RehearsalClock (held until `go()`); the rehearsal reads that exact clock. */
export async function startInProcess(config: DaqConfig): Promise<Target & { server: RunningServer }> {
  const emuClock = new RehearsalClock(config.timeScale, config.startTime !== null ? parseIsoTai(config.startTime) : undefined);
  let server: RunningServer;
  try {
    server = await startServer(config, { clock: emuClock }, { logger: false });
  } catch (e) {
    throw new Error(`cannot start the emulator: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const { emulator } = server;
  const clock: EmulatedClock = {
    timeScale: emuClock.timeScale,
    now: () => emuClock.now(),
    sleep: async (ms, signal) => {
      try {
        await emuClock.sleep(ms, signal);
      } catch {
        // Aborted: the rehearsal is stopping; the caller checks its signal.
      }
    },
    observe: () => undefined,
  };
  return {
    server,
    go: () => emuClock.go(),
    skipTo: (taiMs) => emuClock.jumpTo(taiMs),
    client: new DaqClient({ baseUrl: server.url, csc: emulator.profile.csc }),
    url: server.url,
    csc: emulator.profile.csc,
    clock,
    started: true,
    recordAfter: 0,
    eventSeq: async () => emulator.events.lastSeq,
    close: () => server.close(),
  };
}
