/**
 * Thumbnails on demand, off the event loop: a small pool of worker threads (started on the first request) decodes
 * and renders; results are cached per file and size (files never change once written), and concurrent requests
 * for the same thumbnail share one rendering. A queued job whose requesters have all gone (the page moved on to a
 * newer exposure) is dropped before it costs anything.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FitsError, type FitsErrorCode } from '@daqsim/fits';
import type { Thumbnail } from './thumbnail.js';

/** Where the worker reads the file: a path on this machine (no copy through the main thread), or the bytes. */
export type ThumbnailSource = { path: string } | { bytes: Uint8Array };

export interface ThumbnailJob {
  id: number;
  source: ThumbnailSource;
  /** core camera key and detector name. */
  camera: string;
  detector: string;
  size: number;
}

export interface ThumbnailReply {
  id: number;
  thumbnail?: Thumbnail;
  error?: string;
  fitsCode?: FitsErrorCode;
}

export interface ThumbnailRequest {
  camera: string;
  detector: string;
  size: number;
  /** Produces the source when the job starts (not before: a dropped job never reads its file). */
  source: () => Promise<ThumbnailSource>;
}

interface Pending {
  key: string;
  request: ThumbnailRequest;
  /** Requesters' signals; a requester without one always wants the result. */
  signals: Array<AbortSignal | undefined>;
  resolve: (t: Thumbnail) => void;
  reject: (e: Error) => void;
  promise: Promise<Thumbnail>;
}

interface Slot {
  worker: Worker;
  job: Pending | undefined;
  id: number;
}

function workerUrl(): { url: URL; execArgv: string[] } {
  // From TypeScript sources (tests, tsx) a bootstrap registers tsx; built code loads the compiled worker.
  return import.meta.url.endsWith('.ts')
    ? { url: new URL('./thumbnail-worker-bootstrap.mjs', import.meta.url), execArgv: ['--conditions=daqsim-source'] }
    : { url: new URL('./thumbnail-worker.js', import.meta.url), execArgv: [] };
}

export class ThumbnailService {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>();
  private readonly cache = new Map<string, Thumbnail>();
  private cacheBytes = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly workers = Math.max(1, Math.min(2, availableParallelism() - 1)),
    /** PNG bytes kept in the cache. */
    readonly cacheLimit = 32 << 20,
  ) {}

  /** The thumbnail cached under `key`, or rendered. Rejects with an AbortError if `signal` aborts first. */
  get(key: string, request: ThumbnailRequest, signal?: AbortSignal): Promise<Thumbnail> {
    if (this.closed) return Promise.reject(new Error('the thumbnail service is closed'));
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last: eviction takes from the front.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(hit);
    }
    let p = this.inFlight.get(key);
    if (p) p.signals.push(signal);
    else {
      let resolve!: (t: Thumbnail) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Thumbnail>((res, rej) => ((resolve = res), (reject = rej)));
      p = { key, request, signals: [signal], resolve, reject, promise };
      this.inFlight.set(key, p);
      this.queue.push(p);
      this.pump();
    }
    if (!signal) return p.promise;
    const shared = p.promise;
    return new Promise<Thumbnail>((resolve, reject) => {
      const onAbort = (): void => reject(new DOMException('the request went away', 'AbortError'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Cached thumbnails and their PNG bytes. */
  get cached(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.cacheBytes };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, new Error('the thumbnail service is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const { url, execArgv } = workerUrl();
    const slot: Slot = { worker: new Worker(url, { execArgv }), job: undefined, id: 0 };
    slot.worker.on('message', (r: ThumbnailReply) => {
      const job = slot.job;
      slot.job = undefined;
      if (job && r.id === slot.id) {
        if (r.thumbnail) {
          this.remember(job.key, r.thumbnail);
          this.settle(job, r.thumbnail);
        } else this.settle(job, r.fitsCode ? new FitsError(r.fitsCode, r.error ?? 'unreadable file') : new Error(`thumbnail: ${r.error ?? 'no output'}`));
      }
      this.pump();
    });
    slot.worker.on('error', (e) => {
      const job = slot.job;
      slot.job = undefined;
      if (job) this.settle(job, e);
      // Keep the pool at its size when a worker dies.
      const at = this.slots.indexOf(slot);
      if (!this.closed && at >= 0) this.slots[at] = this.spawn();
      this.pump();
    });
    slot.worker.unref();
    return slot;
  }

  private settle(p: Pending, outcome: Thumbnail | Error): void {
    this.inFlight.delete(p.key);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private remember(key: string, t: Thumbnail): void {
    this.cache.set(key, t);
    this.cacheBytes += t.png.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.cacheLimit) break;
      this.cache.delete(k);
      this.cacheBytes -= v.png.length;
    }
  }

  private pump(): void {
    if (this.closed) return;
    while (this.slots.length < this.workers && this.queue.length > this.slots.filter((s) => !s.job).length) this.slots.push(this.spawn());
    for (const slot of this.slots) {
      if (slot.job) continue;
      const p = this.nextWanted();
      if (!p) break;
      slot.job = p;
      slot.id = this.nextId++;
      slot.worker.ref();
      void this.start(slot, p);
    }
    for (const slot of this.slots) if (!slot.job) slot.worker.unref();
  }

  private nextWanted(): Pending | undefined {
    for (;;) {
      const p = this.queue.shift();
      if (!p) return undefined;
      if (p.signals.some((s) => !s?.aborted)) return p;
      this.settle(p, new DOMException('every requester went away', 'AbortError'));
    }
  }

  private async start(slot: Slot, p: Pending): Promise<void> {
    let source: ThumbnailSource;
    try {
      source = await p.request.source();
    } catch (e) {
      slot.job = undefined;
      this.settle(p, e instanceof Error ? e : new Error(String(e)));
      this.pump();
      return;
    }
    if (slot.job !== p) return;
    const job: ThumbnailJob = { id: slot.id, source, camera: p.request.camera, detector: p.request.detector, size: p.request.size };
    // Bytes are copied, not transferred: they may be a store's own (MemoryStore) buffer.
    slot.worker.postMessage(job);
  }
}
