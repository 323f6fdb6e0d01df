/**
 * A pool of worker threads rendering amps into shared memory. A job is a CCD (or part of one); idle workers take
 * the next job, so several CCDs in flight keep every core busy. Each CCD's output is one shared WebAssembly memory
 * that holds the kernels' workspaces and the amps: a worker instantiates the kernels on it and they write every amp
 * in place (copying amps out of a private kernel memory cost ~13 ms of a ~80 ms CCD). Memories are recycled through
 * `release`, so a long night allocates a bounded set of them. They are shared, not transferred: a transferred
 * 75 MB ArrayBuffer is re-registered as external memory in the receiving thread each time, and that pressure made
 * the worker's garbage collector run hard enough to double the time per CCD.
 * Results do not depend on the pool size or on which worker took which job: that is the determinism contract.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Card } from '@daqsim/fits';
import { getCamera, getDetector } from '../cameras/registry.js';
import { ccdGeometry } from './adapter.js';
import type { AmpTruth } from './render-amp.js';
import { WORKSPACE_BYTES, type WasmMemory, sharedMemory } from './kernels.js';
import { type PackedSceneTruth, renderAmps, sceneTruth, type SceneTruth, prepareCcd, unpackSceneTruth } from './render-ccd.js';
import type { ExposurePlan } from './types.js';

export interface WorkerRequest {
  id: number;
  plan: ExposurePlan;
  detector: string;
  amps: number[];
  /**
   * The CCD's memory, shared with the worker: the kernels run in the workspace region at byte `workspace` and
   * write each amp at its offset.
   */
  memory: WasmMemory;
  workspace: number;
  offsets: number[];
  pixels: number;
  /** [rawWidth, rawHeight] of each amp. */
  shape: [number, number];
  wantScene: boolean;
  /** Also Rice-compress each amp in the worker, with this EXTNAME per amp (compression is the other hot loop). */
  compress?: { extnames: string[] };
}

/** An amp already compressed by a worker: the BINTABLE header cards and the table + heap bytes. */
export interface CompressedAmp {
  cards: Card[];
  data: Uint8Array;
}

export interface WorkerReply {
  id: number;
  compressed?: CompressedAmp[];
  truth?: AmpTruth[];
  scene?: PackedSceneTruth;
  error?: string;
}

/** A rendered CCD: one raw buffer per amp in HDU order, and what it was rendered with. */
export interface RenderedCcd {
  detector: string;
  /** Raw amp pixels (rawWidth × rawHeight, readout order), views on `buffer`. */
  amps: Int32Array[];
  /** [rawWidth, rawHeight] of every amp. */
  shape: [number, number];
  truth: { amps: AmpTruth[]; scene: SceneTruth };
  /** Present when rendered with `compress`: each amp as a RICE_1 tile-compressed HDU, in HDU order. */
  compressed?: CompressedAmp[];
  /** The memory behind `amps`; hand it back with SynthesisPool.release when done. */
  buffer: ArrayBufferLike;
}

/**
 * A job is a whole CCD: its scene (catalog query, stamps, bleed trails) is then built by one worker only.
 * Exposures have many CCDs, so the pool stays busy. The last job of a burst (or a lone CCD, whose latency then
 * halves) is cut in two when it is dispatched (see `pump`), so each CCD's memory has two workspace regions.
 */
const WORKSPACE_REGIONS = 2;

interface Job {
  req: WorkerRequest;
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
  /** May be cut into two halves at dispatch. */
  splittable: boolean;
}

/** One reply for a job rendered in parts (in amp order). */
function mergeReplies(id: number, parts: WorkerReply[]): WorkerReply {
  const compressed = parts.every((p) => p.compressed) ? parts.flatMap((p) => p.compressed!) : undefined;
  const scene = parts.find((p) => p.scene)?.scene;
  return { id, truth: parts.flatMap((p) => p.truth ?? []), ...(compressed ? { compressed } : {}), ...(scene ? { scene } : {}) };
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

function startWorker(): Worker {
  const { url, fromSource } = workerUrl();
  // From sources the worker resolves workspace packages to their TypeScript too, like the tests and tsx do.
  // A larger young generation: a scene allocates thousands of short-lived objects, and the worker default made
  // scavenges dominate scene building (measured ~4x slower than on the main thread).
  const resourceLimits = { maxYoungGenerationSizeMb: 64 };
  return new Worker(url, fromSource ? { execArgv: ['--conditions=daqsim-source'], resourceLimits } : { resourceLimits });
}

function workerUrl(): { url: URL; fromSource: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource
    ? { url: new URL('./worker-bootstrap.mjs', import.meta.url), fromSource }
    : { url: new URL('./worker.js', import.meta.url), fromSource };
}

export class SynthesisPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly free = new Map<number, WasmMemory[]>();
  private readonly memoryOf = new WeakMap<ArrayBufferLike, WasmMemory>();
  private nextId = 1;
  private pumpQueued = false;
  private closed = false;
  private retainedBytes = 0;
  /** Memory kept for reuse by `release` (default 1 GiB: a ComCam raft's nine CCDs are 680 MB). */
  readonly retainBytes: number;
  /** Jobs sent to workers, and how many whole-CCD jobs were cut in two at the end of a burst. */
  readonly stats = { jobs: 0, splits: 0 };

  constructor(size = Math.max(1, Math.min(availableParallelism(), 8)), opts: { retainBytes?: number } = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.retainBytes = opts.retainBytes ?? 2 ** 30;
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      const slot: Slot = { worker, job: null };
      worker.on('message', (reply: WorkerReply) => this.finish(slot, reply));
      worker.on('error', (err) => this.fail(slot, err));
      worker.unref();
      this.slots.push(slot);
    }
  }

  private finish(slot: Slot, reply: WorkerReply): void {
    const job = slot.job;
    slot.job = null;
    if (job) {
      if (reply.error) job.reject(new Error(`synthesis worker failed: ${reply.error}`));
      else job.resolve(reply);
    }
    this.pump();
  }

  private fail(slot: Slot, err: Error): void {
    const job = slot.job;
    slot.job = null;
    job?.reject(err);
    // Replace a crashed worker so the pool keeps its size.
    if (!this.closed) {
      const i = this.slots.indexOf(slot);
      const worker = startWorker();
      const fresh: Slot = { worker, job: null };
      worker.on('message', (reply: WorkerReply) => this.finish(fresh, reply));
      worker.on('error', (e) => this.fail(fresh, e));
      worker.unref();
      this.slots[i] = fresh;
    }
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      let job = this.queue.shift()!;
      // The last queued job of a burst (a raft's ninth CCD on two workers): cut it in two, so the next worker to
      // come free takes the other half instead of idling while this one renders a whole CCD. Both halves write
      // into the job's buffer; the second worker builds the scene again, a fraction of a CCD's time.
      if (this.queue.length === 0 && job.splittable && this.slots.length > 1 && job.req.amps.length >= 2) job = this.splitJob(job);
      slot.job = job;
      this.stats.jobs++;
      slot.worker.ref();
      slot.worker.postMessage(job.req);
    }
    for (const slot of this.slots) if (!slot.job) slot.worker.unref();
  }

  /** Queue the second half of `job` first in line and return its first half; the job resolves when both have. */
  private splitJob(job: Job): Job {
    const { req } = job;
    this.stats.splits++;
    const k = Math.ceil(req.amps.length / 2);
    const replies: WorkerReply[] = [];
    let pending = 2;
    const half = (i: 0 | 1): Job => {
      const [a, b] = i === 0 ? [0, k] : [k, req.amps.length];
      return {
        req: {
          ...req,
          id: this.nextId++,
          amps: req.amps.slice(a, b),
          offsets: req.offsets.slice(a, b),
          // Each half needs its own workspace region (WORKSPACE_REGIONS).
          workspace: req.workspace + i * WORKSPACE_BYTES,
          wantScene: req.wantScene && i === 0,
          ...(req.compress ? { compress: { extnames: req.compress.extnames.slice(a, b) } } : {}),
        },
        resolve: (r) => {
          replies[i] = r;
          if (--pending === 0) job.resolve(mergeReplies(req.id, replies));
        },
        reject: (e) => {
          if (pending > 0) job.reject(e);
          pending = -1;
        },
        splittable: false,
      };
    };
    this.queue.unshift(half(1));
    return half(0);
  }

  private submit(req: WorkerRequest): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new Error('the synthesis pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject, splittable: true });
      // Dispatch once the caller's synchronous burst is queued (a raft's nine renderCcd calls): dispatching at
      // once made the first CCD look like the last of its burst, and cut it in two for nothing.
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  private acquire(bytes: number): WasmMemory {
    const list = this.free.get(Math.ceil(bytes / 65536) * 65536);
    const reused = list?.pop();
    if (reused) {
      this.retainedBytes -= reused.buffer.byteLength;
      return reused;
    }
    const memory = sharedMemory(bytes);
    this.memoryOf.set(memory.buffer, memory);
    return memory;
  }

  /**
   * Return a rendered CCD's memory for reuse. Its amp arrays must not be used afterwards.
   * Up to `retainBytes` are kept: a fresh 75 MB buffer costs more in first-touch page faults than rendering into it
   * (measured 3x slower per CCD on this kind of VM), so a whole exposure in flight should find its buffers here.
   */
  release(ccd: RenderedCcd): void {
    const memory = this.memoryOf.get(ccd.buffer);
    if (!memory) return;
    const bytes = memory.buffer.byteLength;
    if (this.retainedBytes + bytes > this.retainBytes) return;
    const list = this.free.get(bytes) ?? [];
    if (list.includes(memory)) return;
    list.push(memory);
    this.free.set(bytes, list);
    this.retainedBytes += bytes;
  }

  /** Render every amp of a detector. */
  async renderCcd(plan: ExposurePlan, detector: string, opts: { compress?: boolean } = {}): Promise<RenderedCcd> {
    // Geometry is cheap to derive here and validates the detector name before any worker sees it.
    const det = getDetector(getCamera(plan.camera), detector);
    const ccd = ccdGeometry(det);
    const n = ccd.amps.length;
    const [w, h] = [ccd.amps[0]!.rawWidth, ccd.amps[0]!.rawHeight];
    const pixels = w * h;
    // One memory per CCD: the workspace regions, then every amp in HDU order.
    const ampsAt = WORKSPACE_REGIONS * WORKSPACE_BYTES;
    const memory = this.acquire(ampsAt + n * pixels * 4);
    const buffer = memory.buffer;
    const amps = Array.from({ length: n }, (_, a) => a);
    const reply = await this.submit({
      id: this.nextId++,
      plan,
      detector,
      amps,
      memory,
      workspace: 0,
      offsets: amps.map((a) => ampsAt + a * pixels * 4),
      pixels,
      shape: [w, h],
      wantScene: true,
      ...(opts.compress ? { compress: { extnames: det.amps.map((a) => a.extname) } } : {}),
    });
    return {
      detector,
      amps: amps.map((a) => new Int32Array(buffer, ampsAt + a * pixels * 4, pixels)),
      shape: [w, h],
      truth: lazyTruth(reply.truth ?? [], reply.scene!),
      ...(reply.compressed ? { compressed: reply.compressed } : {}),
      buffer,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the synthesis pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** A truth record whose scene sources become objects when first read (most renders never read them). */
function lazyTruth(amps: AmpTruth[], packed: PackedSceneTruth): RenderedCcd['truth'] {
  let scene: SceneTruth | null = null;
  return {
    amps,
    get scene(): SceneTruth {
      scene ??= unpackSceneTruth(packed);
      return scene;
    },
  };
}

/** Render a CCD in the calling thread (no workers): the reference the pool must equal bit for bit. */
export function renderCcdInThread(plan: ExposurePlan, detector: string): RenderedCcd {
  const { ccd } = prepareCcd(plan, detector);
  const [w, h] = [ccd.amps[0]!.rawWidth, ccd.amps[0]!.rawHeight];
  const buffer = new ArrayBuffer(ccd.amps.length * w * h * 4);
  const amps = ccd.amps.map((_, a) => new Int32Array(buffer, a * w * h * 4, w * h));
  const truth = renderAmps(plan, detector, ccd.amps.map((_, a) => a), amps);
  return { detector, amps, shape: [w, h], truth: { amps: truth, scene: sceneTruth(plan, detector) }, buffer };
}
