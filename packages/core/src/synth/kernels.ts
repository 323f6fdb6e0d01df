/**
 * The memory one thread renders amps in, and the kernels that fill it. The kernels are WebAssembly with 128-bit
 * SIMD (assembly/synth.ts, built to wasm/synth.wasm), or their float32-exact JavaScript reference
 * (kernels-ref.ts): the two give identical bits, so which one ran never shows in a file.
 *
 * Layout (byte offsets, 16-aligned): the 65536-entry normal table, the 256-entry pixel-response table, then per amp
 * shape: the expected-signal buffer for one band of rows (rows `stride` = width + 4 floats apart, the 4 floats before
 * each row kept at zero so serial CTI sees no charge ahead of the first pixel), one row of normal deviates, the
 * per-row bias offsets, the fringe columns and rows, and the band's raw output rows.
 */
import { readFileSync } from 'node:fs';
import { type KernelFunctions, referenceKernels } from './kernels-ref.js';
import { normalTable, normalTable8 } from './normal-table.js';

export type KernelKind = 'wasm' | 'js';

const PAGE = 65536;
const TABLE_PTR = 0;
const T8_PTR = 65536 * 4;
const SHAPES_PTR = T8_PTR + 256 * 4;

const align = (n: number): number => (n + 15) & ~15;

// The few WebAssembly JS-API members used here (the Node 20 typings do not declare the global).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

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

function layoutFor(width: number, height: number, rawWidth: number, rawHeight: number, waves: number, band: number): AmpLayout {
  const stride = width + 4;
  let p = SHAPES_PTR;
  const take = (bytes: number): number => {
    const at = p;
    p = align(p + bytes);
    return at;
  };
  const mean = take((band * stride + 8) * 4) + 16;
  const z = take((rawWidth + 8) * 4);
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

/** One thread's rendering memory and kernels; reused across amps, grown when a larger amp comes. */
export class AmpWorkspace {
  readonly kind: KernelKind;
  readonly kernels: KernelFunctions;
  private readonly wasmMemory: WasmMemory | null;
  private plainMemory: ArrayBuffer;
  private layoutCache: AmpLayout | null = null;
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);

  constructor(kind: KernelKind = defaultKernelKind()) {
    const module = kind === 'wasm' ? loadWasm() : null;
    if (kind === 'wasm' && !module) throw new Error('the WebAssembly synthesis kernels (wasm/synth.wasm) are not available');
    this.kind = kind;
    this.plainMemory = new ArrayBuffer(SHAPES_PTR);
    if (module) {
      const instance = new WA.Instance(module, {});
      const exports = instance.exports as KernelFunctions & { memory: WasmMemory };
      this.wasmMemory = exports.memory;
      this.kernels = exports;
    } else {
      this.wasmMemory = null;
      this.kernels = referenceKernels(() => this.plainMemory);
    }
    this.grow(SHAPES_PTR);
    this.f32.set(normalTable(), TABLE_PTR >> 2);
    this.f32.set(normalTable8(), T8_PTR >> 2);
  }

  get buffer(): ArrayBuffer {
    return this.wasmMemory ? this.wasmMemory.buffer : this.plainMemory;
  }

  get tablePtr(): number {
    return TABLE_PTR;
  }

  get table8Ptr(): number {
    return T8_PTR;
  }

  private grow(bytes: number): void {
    if (this.wasmMemory) {
      const have = this.wasmMemory.buffer.byteLength;
      if (have < bytes) this.wasmMemory.grow(Math.ceil((bytes - have) / PAGE));
    } else if (this.plainMemory.byteLength < bytes) {
      const next = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
      new Uint8Array(next).set(new Uint8Array(this.plainMemory));
      this.plainMemory = next;
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
    const l = layoutFor(width, height, rawWidth, rawHeight, waves, band);
    this.grow(l.end);
    this.layoutCache = l;
    return l;
  }

  /** Float32 view of the whole memory (index = byte offset / 4). */
  get floats(): Float32Array {
    if (this.f32.buffer !== this.buffer) this.grow(0);
    return this.f32;
  }

  /** Int32 view of the whole memory (index = byte offset / 4). */
  get ints(): Int32Array {
    if (this.i32.buffer !== this.buffer) this.grow(0);
    return this.i32;
  }
}

let threadDefault: AmpWorkspace | null = null;

/** This thread's workspace of the default kind, created on first use (one per worker, reused for every amp). */
export function threadWorkspace(): AmpWorkspace {
  threadDefault ??= new AmpWorkspace();
  return threadDefault;
}
