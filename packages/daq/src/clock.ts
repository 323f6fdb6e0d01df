/**
 * Emulated time. Everything the emulator paces (shutter, readout, heartbeat, filter moves) sleeps on a `Clock`, so
 * tests can drive it exactly and rehearsals can run faster than real time.
 *
 * Times are TAI milliseconds since 1970-01-01T00:00:00 TAI (unix ms + 37 s), the scale of every camera timestamp.
 */

/** TAI - UTC, constant since 2017-01-01. */
export const TAI_MINUS_UTC_MS = 37_000;

export interface Clock {
  /** 1 = real time, N = N times faster, 0 = sleeps return at once (as fast as the machine goes). */
  readonly timeScale: number;
  /** Emulated now, TAI ms. */
  now(): number;
  /** Resolve once emulated time reaches `taiMs`; rejects with the signal's reason when aborted. */
  sleepUntil(taiMs: number, signal?: AbortSignal): Promise<void>;
  /** Sleep `ms` of emulated time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class AbortedError extends Error {
  constructor(message = 'aborted') {
    super(message);
    this.name = 'AbortedError';
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortedError(String(signal.reason ?? 'aborted'));
}

/**
 * Wall-clock time, optionally sped up. Emulated time runs `timeScale` times faster than the wall from the moment the
 * clock is made, so event timestamps stay consistent with the emulated durations (a 2 s readout is 2 s apart in the
 * events even when it took 100 ms of wall time). With timeScale 0 emulated time is the wall time and sleeps return
 * on the next macrotask.
 */
export class RealClock implements Clock {
  private readonly wallStart = performance.now();
  private readonly taiStart: number;

  constructor(
    readonly timeScale = 1,
    /** Emulated start instant (TAI ms); defaults to the current wall time. */
    start?: number,
  ) {
    if (!Number.isFinite(timeScale) || timeScale < 0) throw new RangeError(`time scale must be >= 0, got ${timeScale}`);
    this.taiStart = start ?? Date.now() + TAI_MINUS_UTC_MS;
  }

  now(): number {
    const elapsed = performance.now() - this.wallStart;
    return this.taiStart + (this.timeScale === 0 ? elapsed : elapsed * this.timeScale);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.now() + ms, signal);
  }

  sleepUntil(taiMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        reject(abortReason(signal!));
      };
      // Re-arm until the target is reached: setTimeout may fire a little early, and sleeping toward an absolute
      // target keeps a long sequence from accumulating drift.
      const arm = (): void => {
        const remaining = taiMs - this.now();
        if (remaining <= 0 || this.timeScale === 0) {
          signal?.removeEventListener('abort', onAbort);
          if (this.timeScale === 0) setImmediate(resolve);
          else resolve();
          return;
        }
        // Clamp: Node fires delays above 2^31-1 ms at once; an endless sleep (a hung readout) re-arms instead.
        timer = setTimeout(arm, Math.min(2 ** 30, Math.max(0, remaining / this.timeScale)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }
}

interface FakeTimer {
  due: number;
  order: number;
  resolve: () => void;
}

/** Let pending promise continuations and I/O callbacks run, so woken tasks can reach their next sleep. */
async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that only moves when told to. `advance` fires timers in due order and lets the woken code run before the
 * next one, so a sequence of sleeps lands on exact timestamps.
 */
export class FakeClock implements Clock {
  readonly timeScale = 1;
  private current: number;
  private timers: FakeTimer[] = [];
  private counter = 0;

  constructor(start = Date.UTC(2025, 9, 16, 3, 0, 0) + TAI_MINUS_UTC_MS) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.current + ms, signal);
  }

  sleepUntil(taiMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer: FakeTimer = {
        due: Math.max(taiMs, this.current),
        order: this.counter++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Number of pending sleeps. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the next sleep ends, if any. */
  nextDue(): number | undefined {
    let best: number | undefined;
    for (const t of this.timers) if (best === undefined || t.due < best) best = t.due;
    return best;
  }

  /** Move time forward by `ms`, firing every sleep that ends on the way in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.popDue(target);
      if (!next) break;
      this.current = next.due;
      next.resolve();
      await settle();
    }
    if (target > this.current) this.current = target;
    await settle();
  }

  /**
   * Advance in steps of at most `stepMs` until `done()` holds, at most `limitMs` of emulated time, giving real I/O a
   * millisecond of wall time between steps. Returns false when the limit was reached first.
   */
  async runUntil(done: () => boolean, limitMs = 3_600_000, stepMs = 100): Promise<boolean> {
    const end = this.current + limitMs;
    while (!done()) {
      if (this.current >= end) return false;
      const next = this.nextDue();
      await this.advanceTo(next !== undefined && next < this.current + stepMs ? next : this.current + stepMs);
      await new Promise((r) => setTimeout(r, 1));
    }
    return true;
  }

  private popDue(target: number): FakeTimer | undefined {
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i]!;
      if (t.due > target) continue;
      const b = best >= 0 ? this.timers[best]! : undefined;
      if (!b || t.due < b.due || (t.due === b.due && t.order < b.order)) best = i;
    }
    if (best < 0) return undefined;
    return this.timers.splice(best, 1)[0];
  }
}
