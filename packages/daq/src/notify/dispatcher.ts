/**
 * Delivers arrival notifications to every target, in order per target, retrying with exponential backoff. A
 * notification that still fails after the last attempt is kept in `failures` (and reported through `onFailure`,
 * which the emulator turns into a notificationFailed event): nothing is dropped silently, and `retryFailed()`
 * sends the kept ones again.
 */
import type { BucketNotification } from './bucket-event.js';
import type { NotificationTarget } from './targets.js';

export interface RetryPolicy {
  /** Attempts per notification and target, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 };

export interface DeliveryFailure {
  target: string;
  bucket: string;
  key: string;
  attempts: number;
  error: string;
  notification: BucketNotification;
}

export interface DispatcherOptions {
  retry?: Partial<RetryPolicy>;
  /** Backoff sleep; wall time by default (retries concern real endpoints, not emulated time). */
  sleep?: (ms: number) => Promise<void>;
  onFailure?: (failure: DeliveryFailure) => void;
  onDelivered?: (target: string, notification: BucketNotification) => void;
}

/** Failures kept for inspection and retry; older ones beyond this are counted but their bodies dropped. */
const MAX_KEPT_FAILURES = 10_000;

interface Lane {
  target: NotificationTarget;
  queue: BucketNotification[];
  running: Promise<void> | undefined;
}

export class NotificationDispatcher {
  private readonly lanes: Lane[];
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly failures: DeliveryFailure[] = [];
  /** `retried`: attempts after a first one failed. */
  private counts = { enqueued: 0, delivered: 0, failed: 0, retried: 0 };
  private readonly deliveryListeners = new Set<(target: string, notification: BucketNotification) => void>();

  constructor(
    targets: readonly NotificationTarget[],
    private readonly opts: DispatcherOptions = {},
  ) {
    this.lanes = targets.map((target) => ({ target, queue: [], running: undefined }));
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get targetNames(): string[] {
    return this.lanes.map((l) => l.target.name);
  }

  /** Queue a notification for every target. */
  enqueue(notification: BucketNotification): void {
    for (const lane of this.lanes) {
      lane.queue.push(notification);
      this.counts.enqueued++;
      lane.running ??= this.drain(lane).finally(() => (lane.running = undefined));
    }
  }

  /** Resolves when every queue is empty. */
  async idle(): Promise<void> {
    while (this.lanes.some((l) => l.running)) await Promise.all(this.lanes.map((l) => l.running));
  }

  /** Also tell `listener` of every delivery (the dashboard times notifications with it); returns the unsubscribe. */
  onDelivery(listener: (target: string, notification: BucketNotification) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  stats(): { enqueued: number; delivered: number; failed: number; retried: number; queued: number; targets: string[] } {
    return { ...this.counts, queued: this.lanes.reduce((n, l) => n + l.queue.length, 0), targets: this.targetNames };
  }

  /** Send the notifications that exhausted their retries again (to the targets that failed them). */
  retryFailed(): number {
    const again = this.failures.splice(0);
    for (const f of again) {
      const lane = this.lanes.find((l) => l.target.name === f.target);
      if (!lane) continue;
      lane.queue.push(f.notification);
      lane.running ??= this.drain(lane).finally(() => (lane.running = undefined));
    }
    return again.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.target.close?.()));
  }

  private async drain(lane: Lane): Promise<void> {
    for (;;) {
      const n = lane.queue.shift();
      if (!n) return;
      await this.deliverWithRetry(lane.target, n);
    }
  }

  private async deliverWithRetry(target: NotificationTarget, n: BucketNotification): Promise<void> {
    let lastError = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      try {
        await target.deliver(n);
        this.counts.delivered++;
        this.opts.onDelivered?.(target.name, n);
        for (const l of this.deliveryListeners) {
          try {
            l(target.name, n);
          } catch {
            // An observer's bug must not count as a failed delivery (and trigger a resend).
          }
        }
        return;
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
        if (attempt < this.retry.attempts) {
          this.counts.retried++;
          await this.sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    }
    this.counts.failed++;
    const rec = n.Records[0];
    const failure: DeliveryFailure = {
      target: target.name,
      bucket: rec?.s3.bucket.name ?? '',
      key: rec?.s3.object.key ?? '',
      attempts: this.retry.attempts,
      error: lastError,
      notification: n,
    };
    if (this.failures.length >= MAX_KEPT_FAILURES) this.failures.shift();
    this.failures.push(failure);
    this.opts.onFailure?.(failure);
  }
}
