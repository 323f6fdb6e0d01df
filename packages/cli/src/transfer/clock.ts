/**
 * Time for the link emulator, injectable: the real clock for the CLI and the timing proof, a virtual one for
 * tests that check the arithmetic of rates, latencies and retransmissions without waiting for them.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface LinkClock {
  /** Milliseconds since the Unix epoch (fractional allowed). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Wall time; performance.now() keeps sub-millisecond pacing monotonic across clock adjustments. */
export const realClock: LinkClock = (() => {
  const origin = Date.now() - performance.now();
  return {
    now: () => origin + performance.now(),
    sleep: async (ms: number) => {
      if (ms > 0) await delay(ms);
    },
  };
})();

/** A clock that only moves when slept on: every sleep returns at once, advanced by exactly what was asked. */
export class VirtualClock implements LinkClock {
  private t: number;
  /** Total time slept, ms. */
  slept = 0;

  constructor(startMs = Date.UTC(2025, 9, 16, 12, 0, 0)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.t += ms;
    this.slept += ms;
  }

  /** Let time pass outside a sleep (e.g. disk I/O in a test). */
  advance(ms: number): void {
    this.t += ms;
  }
}
