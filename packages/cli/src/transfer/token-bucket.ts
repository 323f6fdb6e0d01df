/**
 * Bandwidth shaping as a token bucket kept in time units. The link has a schedule: sending n bytes books
 * n / rate of link time, a protocol wait (the latency before a file's first byte, a retransmission timeout)
 * books its duration, and the sender sleeps until the wall clock reaches the end of what is booked. So a
 * transfer takes bytes / rate plus its waits, however the bytes are chunked and with no rounding per chunk.
 *
 * When the sender falls behind the schedule (a late timer, disk I/O, garbage collection) it may catch up by
 * sending without sleeping, but by at most `burstMs` of link time: the bucket's depth. That absorbs the
 * process's own hiccups (and lets one file's latency overlap the previous file's bookkeeping, as a pipelined
 * sender would) without ever letting a long idle period turn into a burst.
 */
import type { LinkClock } from './clock.js';

export class TokenBucket {
  /** Wall time [ms] at which everything booked so far is done. */
  private booked: number;

  constructor(
    /** Bytes per second. */
    readonly rate: number,
    /** Most link time [ms] the sender may catch up after falling behind. */
    readonly burstMs: number,
    private readonly clock: LinkClock,
  ) {
    if (!(rate > 0) || !(burstMs >= 0)) throw new RangeError('TokenBucket needs rate > 0 and burstMs >= 0');
    this.booked = clock.now();
  }

  /** Book `ms` of link time and wait until the wall clock gets there. */
  async wait(ms: number): Promise<void> {
    const now = this.clock.now();
    if (now - this.booked > this.burstMs) this.booked = now - this.burstMs;
    this.booked += Math.max(0, ms);
    if (this.booked > now) await this.clock.sleep(this.booked - now);
  }

  /** Wait until n bytes may have gone out. */
  async take(n: number): Promise<void> {
    await this.wait((n / this.rate) * 1000);
  }
}
