/**
 * Copy a night from one store to another at a bounded rate: the summit-to-data-facility hop of `daqsim transfer`.
 * Works between any two `Store`s (bucket to bucket, directory to bucket, bucket to directory). Sidecars go before
 * their FITS file, because the FITS notification is what wakes the ingest side and it reads the sidecar first.
 */
import type { Store } from '../store.js';
import { Slots, sleep } from './retry.js';

export interface CopyOptions {
  /** Only keys under this prefix (default: all). */
  prefix?: string;
  /** Bytes per second at most (default unlimited). */
  rateLimit?: number;
  /** Objects in flight (default 4). */
  concurrency?: number;
  /** Skip objects the destination already has with the same size (default true). */
  skipExisting?: boolean;
  onObject?: (o: { key: string; size: number; skipped: boolean }) => void;
}

export interface CopySummary {
  objects: number;
  bytes: number;
  skipped: number;
  seconds: number;
  /** Achieved rate in MB/s (10^6 bytes). */
  mbPerSecond: number;
}

/**
 * Paces a shared byte budget: take(n) returns once the bytes taken so far, n included, fit under the rate since
 * the first take, so a copy never averages more than the limit.
 */
class Pacer {
  private next = -1;
  constructor(private readonly bytesPerSecond: number) {}
  async take(n: number): Promise<void> {
    const now = performance.now();
    this.next = Math.max(now, this.next) + (n / this.bytesPerSecond) * 1000;
    const wait = this.next - now;
    if (wait > 0) await sleep(wait);
  }
}

function sidecarFirst(a: string, b: string): number {
  const stem = (k: string): string => k.replace(/\.(json|fits(\.fz)?)$/, '');
  const sa = stem(a);
  const sb = stem(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  const rank = (k: string): number => (k.endsWith('.json') ? 0 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function copyStore(src: Store, dst: Store, opts: CopyOptions = {}): Promise<CopySummary> {
  const t0 = performance.now();
  const prefix = opts.prefix ?? '';
  const objects = (await src.list(prefix)).sort((a, b) => sidecarFirst(a.key, b.key));
  const have = opts.skipExisting === false ? new Map<string, number>() : new Map((await dst.list(prefix)).map((o) => [o.key, o.size]));
  const pacer = opts.rateLimit !== undefined && opts.rateLimit > 0 ? new Pacer(opts.rateLimit) : undefined;
  const slots = new Slots(opts.concurrency ?? 4);
  let bytes = 0;
  let copied = 0;
  let skipped = 0;
  // A FITS file waits for its sidecar's copy to finish, even with several objects in flight.
  const sidecarDone = new Map<string, Promise<void>>();
  await Promise.all(
    objects.map(async (o) => {
      if (have.get(o.key) === o.size) {
        skipped++;
        opts.onObject?.({ key: o.key, size: o.size, skipped: true });
        return;
      }
      const stem = o.key.replace(/\.(json|fits(\.fz)?)$/, '');
      const before = o.key.endsWith('.json') ? undefined : sidecarDone.get(stem);
      const job = (async () => {
        if (before) await before.catch(() => undefined);
        await slots.run(async () => {
          const r = await src.get(o.key);
          if (!r) return; // deleted since listing
          const data = await r.bytes();
          if (pacer) await pacer.take(data.length);
          await dst.put(o.key, data);
          bytes += data.length;
          copied++;
          opts.onObject?.({ key: o.key, size: data.length, skipped: false });
        });
      })();
      if (o.key.endsWith('.json')) sidecarDone.set(stem, job);
      await job;
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { objects: copied, bytes, skipped, seconds, mbPerSecond: seconds > 0 ? bytes / 1e6 / seconds : 0 };
}

/** `copyStore` under the name the issue gives the bucket-to-bucket hop. */
export const copyBucket = copyStore;
