/**
 * The memory one thread renders amps in, and the kernels that fill it. The kernels are WebAssembly with 128-bit
 * SIMD (assembly/synth.ts, built to wasm/synth.wasm), or their float32-exact JavaScript reference
 * (kernels-ref.ts): the two give identical bits, so which one ran never shows in a file.
 *
 * Layout (byte offsets, 16-aligned): the 65536-entry normal table, then per amp
 * shape: the expected-signal buffer for one band of rows (rows `stride` = width + 4 floats apart, the 4 floats before
 * each row kept at zero so serial CTI sees no charge ahead of the first pixel), one row of normal deviates, the
 * per-row bias offsets, the fringe columns and rows, and the band's raw output rows.
 */
import { readFileSync } from 'node:fs';
import { type KernelFunctions, referenceKernels } from './kernels-ref.js';
import { normalTable } from './normal-table.js';

export type KernelKind = 'wasm' | 'js';

const PAGE = 65536;
const TABLE_PTR = 0;
const SHAPES_PTR = 65536 * 4;
/** Largest memory the module accepts (its import declares 65536 pages, the whole 32-bit space). */
const MAX_PAGES = 65536;

/**
 * Bytes a workspace needs below the outputs when it renders into a memory it shares with them (`region`): the
 * tables and one band of any amp up to 1024 × 4096 pixels, with fringes.
 */
export const WORKSPACE_BYTES = 2 ** 20;

const align = (n: number): number => (n + 15) & ~15;

// The few WebAssembly JS-API members used here (the Node 20 typings do not declare the global).
/** A WebAssembly.Memory; the kernels import theirs, and it is always shared (its buffer a SharedArrayBuffer). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A shared memory of `bytes` (rounded up to whole pages) that never grows: outputs and workspaces in one. */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_PAGES) throw new RangeError(`a synthesis memory of ${bytes} bytes exceeds the 4 GiB WebAssembly limit`);
  return new WA.Memory({ initial: pages, maximum: pages, shared: true });
}

let wasmModule: object | null | undefined;

/** The compiled kernels, or null if the binary is missing or this runtime lacks SIMD (then the reference runs). */
function loadWasm(): object | null {
  if (wasmModule !== undefined) return wasmModule;
  try {
    // src/synth/kernels.ts and dist/synth/kernels.js both sit two levels below the package root.
    wasmModule = new WA.Module(readFileSync(new URL('../../wasm/synth.wasm', import.meta.url)));
  } catch {
    wasmModule = null;
  }
  return wasmModule;
}

/** The kernel kind a new workspace uses: DAQSIM_KERNELS=js forces the reference; otherwise WebAssembly if it loads. */
export function defaultKernelKind(): KernelKind {
  if (process.env['DAQSIM_KERNELS'] === 'js') return 'js';
  return loadWasm() ? 'wasm' : 'js';
}

/** Buffer offsets for one amp shape. */
export interface AmpLayout {
  width: number;
  height: number;
  rawWidth: number;
  rawHeight: number;
  waves: number;
  /** Rows the signal and output buffers hold: an amp is rendered a band of rows at a time. */
  band: number;
  stride: number;
  /** First data float of the band's row 0 (after its zero pad). */
  mean: number;
  z: number;
  rowOffset: number;
  cosCol: number[];
  sinCol: number[];
  rcRow: number[];
  rsRow: number[];
  out: number;
  end: number;
}

function layoutFor(base: number, width: number, height: number, rawWidth: number, rawHeight: number, waves: number, band: number): AmpLayout {
  const stride = width + 4;
  let p = base + SHAPES_PTR;
  const take = (bytes: number): number => {
    const at = p;
    p = align(p + bytes);
    return at;
  };
  const mean = take((band * stride + 8) * 4) + 16;
  const z = take((rawWidth + 16) * 4);
  const rowOffset = take(rawHeight * 4);
  const cosCol: number[] = [];
  const sinCol: number[] = [];
  const rcRow: number[] = [];
  const rsRow: number[] = [];
  for (let k = 0; k < waves; k++) {
    cosCol.push(take(width * 4));
    sinCol.push(take(width * 4));
    rcRow.push(take(height * 4));
    rsRow.push(take(height * 4));
  }
  const out = take(rawWidth * band * 4);
  return { width, height, rawWidth, rawHeight, waves, band, stride, mean, z, rowOffset, cosCol, sinCol, rcRow, rsRow, out, end: p };
}

/**
 * A thread's rendering memory and kernels; reused across amps. By default it owns its memory and grows it when a
 * larger amp comes. Given a `region` of a shared memory instead, it works in the WORKSPACE_BYTES from
 * `region.base` and never grows: the pool's workers render that way, straight into output buffers that live in
 * the same memory (renderAmp writes an amp in place when its output is a view of the workspace's memory), so no
 * amp is copied on its way out of the kernels.
 */
export class AmpWorkspace {
  readonly kind: KernelKind;
  readonly kernels: KernelFunctions;
  /** Byte offset of this workspace in its memory. */
  readonly base: number;
  private readonly memory: WasmMemory;
  private readonly fixed: boolean;
  private layoutCache: AmpLayout | null = null;
  private f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);

  constructor(kind: KernelKind = defaultKernelKind(), region?: { memory: WasmMemory; base: number }) {
    const module = kind === 'wasm' ? loadWasm() : null;
    if (kind === 'wasm' && !module) throw new Error('the WebAssembly synthesis kernels (wasm/synth.wasm) are not available');
    this.kind = kind;
    this.base = region?.base ?? 0;
    this.fixed = region !== undefined;
    if (region && region.memory.buffer.byteLength < this.base + WORKSPACE_BYTES) {
      throw new RangeError(`workspace region at ${this.base} does not fit in a memory of ${region.memory.buffer.byteLength} bytes`);
    }
    // The reference kernels run over the same kind of memory, so both kinds lay out and grow alike.
    this.memory = region?.memory ?? new WA.Memory({ initial: Math.ceil(SHAPES_PTR / PAGE), maximum: MAX_PAGES, shared: true });
    if (module) {
      this.kernels = new WA.Instance(module, { env: { memory: this.memory } }).exports as KernelFunctions;
    } else {
      this.kernels = referenceKernels(() => this.buffer);
    }
    this.grow(this.base + SHAPES_PTR);
    this.f32.set(normalTable(), (this.base + TABLE_PTR) >> 2);
  }

  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }

  get tablePtr(): number {
    return this.base + TABLE_PTR;
  }

  private grow(bytes: number): void {
    if (this.fixed) {
      if (bytes > this.base + WORKSPACE_BYTES) throw new RangeError(`an amp needs ${bytes - this.base} bytes of workspace, more than the ${WORKSPACE_BYTES} a shared region has`);
    } else {
      const have = this.memory.buffer.byteLength;
      if (have < bytes) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    }
    if (this.f32.buffer !== this.buffer) {
      this.f32 = new Float32Array(this.buffer);
      this.i32 = new Int32Array(this.buffer);
    }
  }

  /**
   * The layout for an amp shape rendered `band` rows at a time (default: the whole amp at once), growing the memory
   * if needed; views taken before this call may be stale.
   */
  layout(width: number, height: number, rawWidth: number, rawHeight: number, waves: number, band = rawHeight): AmpLayout {
    const c = this.layoutCache;
    if (c && c.width === width && c.height === height && c.rawWidth === rawWidth && c.rawHeight === rawHeight && c.waves === waves && c.band === band) {
      return c;
    }
    const l = layoutFor(this.base, width, height, rawWidth, rawHeight, waves, band);
    this.grow(l.end);
    this.layoutCache = l;
    return l;
  }

  /** Float32 view of the whole memory (index = byte offset / 4). */
  get floats(): Float32Array<ArrayBufferLike> {
    if (this.f32.buffer !== this.buffer) this.grow(0);
    return this.f32;
  }

  /** Int32 view of the whole memory (index = byte offset / 4). */
  get ints(): Int32Array<ArrayBufferLike> {
    if (this.i32.buffer !== this.buffer) this.grow(0);
    return this.i32;
  }

  /** Whether `a` is a view of this workspace's memory clear of the workspace itself (the kernels can write it). */
  holds(a: Int32Array): boolean {
    // Only a fixed region: an owned memory may grow, and growth would leave the caller's view behind.
    if (!this.fixed || a.buffer !== this.buffer) return false;
    return a.byteOffset >= this.base + WORKSPACE_BYTES || a.byteOffset + a.byteLength <= this.base;
  }
}

let threadDefault: AmpWorkspace | null = null;

/** This thread's workspace of the default kind, created on first use (one per worker, reused for every amp). */
export function threadWorkspace(): AmpWorkspace {
  threadDefault ??= new AmpWorkspace();
  return threadDefault;
}
