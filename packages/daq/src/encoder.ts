/**
 * Encoding CCD files (FITS + RICE_1) off the event loop. A LATISS CCD takes 100-300 ms to encode; done on the main
 * thread it would delay the paced events by that much, so `WorkerEncoder` runs `encodeFits` in worker threads.
 * HDU headers travel as card lists; pixel arrays on SharedArrayBuffers are shared, others are transferred (the
 * caller must not use them afterwards). `InlineEncoder` encodes in place, for tests and tiny files.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeFits, type Card, type HduSpec } from '@daqsim/fits';

export interface FitsEncoder {
  encode(hdus: readonly HduSpec[]): Promise<Uint8Array>;
  close(): Promise<void>;
}

export class InlineEncoder implements FitsEncoder {
  async encode(hdus: readonly HduSpec[]): Promise<Uint8Array> {
    return encodeFits(hdus);
  }
  async close(): Promise<void> {}
}

/** An HDU as posted to an encoder worker. */
export interface WireHdu {
  cards: Card[] | undefined;
  data: HduSpec['data'];
  shape: readonly number[] | undefined;
  compress: HduSpec['compress'];
  /** An HDU encoded already (compressed by the synthesis workers): its header cards and bytes. */
  prepared?: { cards: Card[]; data: Uint8Array };
}

export interface EncodeRequest {
  id: number;
  hdus: WireHdu[];
}

export interface EncodeReply {
  id: number;
  bytes?: Uint8Array;
  error?: string;
}

function workerUrl(): { url: URL; execArgv: string[] } {
  // From TypeScript sources (tests, tsx) a bootstrap registers tsx and resolves workspace packages to their sources.
  return import.meta.url.endsWith('.ts')
    ? { url: new URL('./encode-worker-bootstrap.mjs', import.meta.url), execArgv: ['--conditions=daqsim-source'] }
    : { url: new URL('./encode-worker.js', import.meta.url), execArgv: [] };
}

interface Pending {
  req: EncodeRequest;
  transfer: ArrayBuffer[];
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | undefined;
}

export class WorkerEncoder implements FitsEncoder {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, Math.min(availableParallelism() - 1, 4))) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const { url, execArgv } = workerUrl();
    const slot: Slot = { worker: new Worker(url, { execArgv }), job: undefined };
    slot.worker.on('message', (r: EncodeReply) => {
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        if (r.bytes) job.resolve(r.bytes);
        else job.reject(new Error(`FITS encoder: ${r.error ?? 'no output'}`));
      }
      this.pump();
    });
    slot.worker.on('error', (e) => {
      const job = slot.job;
      slot.job = undefined;
      job?.reject(e);
      // Keep the pool at its size when a worker dies.
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
      this.pump();
    });
    slot.worker.unref();
    return slot;
  }

  encode(hdus: readonly HduSpec[]): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('the FITS encoder is closed'));
    const transfer = new Set<ArrayBuffer>();
    const wire: WireHdu[] = hdus.map((h) => {
      if (h.data && !(h.data.buffer instanceof SharedArrayBuffer)) transfer.add(h.data.buffer as ArrayBuffer);
      if (h.prepared && !(h.prepared.data.buffer instanceof SharedArrayBuffer)) transfer.add(h.prepared.data.buffer as ArrayBuffer);
      return {
        cards: h.header?.list(),
        data: h.data,
        shape: h.shape,
        compress: h.compress,
        ...(h.prepared ? { prepared: { cards: h.prepared.header.list(), data: h.prepared.data } } : {}),
      };
    });
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, hdus: wire }, transfer: [...transfer], resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.req, job.transfer);
    }
    for (const slot of this.slots) if (!slot.job) slot.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('the FITS encoder is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
