/**
 * The per-pixel passes of amp rendering in plain JavaScript, one pixel at a time, with every operation rounded to
 * float32 exactly as the WebAssembly kernels (assembly/synth.ts) compute it lane by lane. It is the specification
 * the SIMD code is tested against (bit for bit), and the fallback where WebAssembly SIMD is unavailable.
 * Arguments are the kernels' own: byte offsets into one memory, float parameters rounded to float32 on entry.
 */
import { hash32 } from './rng.js';

const f = Math.fround;

export interface KernelFunctions {
  smoothAmp(
    mean: number, stride: number, w: number, h: number, r0: number, r1: number, light: number, i00: number, i10: number, i01: number, i11: number,
    ps: number, pc: number, dark: number, k0: number, k1: number,
  ): void;
  fringeAmp(mean: number, stride: number, w: number, h: number, cosCol: number, sinCol: number, rcRow: number, rsRow: number, a: number): void;
  readoutAmp(
    out: number, mean: number, stride: number, z: number, rowOffset: number, table: number,
    rw: number, w: number, h: number, r0: number, r1: number, x0: number, nk0: number, nk1: number,
    bias: number, d: number, shot: number, rnE2: number, fullWell: number, nl: number, invGain: number, rnAdu: number, sat: number,
  ): void;
  stampAdd(
    mean: number, stride: number, w: number, h: number, r0: number, r1: number, ccdX0: number, ccdY0: number, flipX: number, flipY: number,
    sx: number, sy: number, radius: number, inv: number, scale: number,
  ): void;
  stampSum(sx: number, sy: number, radius: number, inv: number): number;
}

/** Clamp to [0, sat], then round half to even through 1.5 * 2^23, as the kernels do. */
function digitize(v: number, sat: number): number {
  v = v < 0 ? 0 : v;
  v = sat < v ? sat : v;
  return f(v + 12582912) - 12582912;
}

/** Reference kernels over `memory()` (re-read on every call: the memory may have been replaced by growth). */
export function referenceKernels(memory: () => ArrayBufferLike): KernelFunctions {
  let buf: ArrayBufferLike | null = null;
  let F: Float32Array<ArrayBufferLike> = new Float32Array(0);
  let I: Int32Array<ArrayBufferLike> = new Int32Array(0);
  const views = (): void => {
    const b = memory();
    if (b !== buf) {
      buf = b;
      F = new Float32Array(b);
      I = new Int32Array(b);
    }
  };
  return {
    smoothAmp(mean, stride, w, h, r0, r1, light, i00, i10, i01, i11, ps, pc, dark, k0, k1) {
      views();
      [light, i00, i10, i01, i11, ps, pc, dark] = [light, i00, i10, i01, i11, ps, pc, dark].map(f) as typeof light[];
      const wordsPerRow = (w + 1) >> 1;
      const hm1 = h > 1 ? h - 1 : 1;
      const wm1 = w > 1 ? w - 1 : 1;
      for (let ry = r0; ry < r1; ry++) {
        const row = (mean >> 2) + (ry - r0) * stride;
        const t = h > 1 ? f(ry / hm1) : 0;
        const left = f(i00 + f(t * f(i01 - i00)));
        const right = f(i10 + f(t * f(i11 - i10)));
        const step = w > 1 ? f(f(right - left) / wm1) : 0;
        const ll = f(light * left);
        const ls = f(light * step);
        const a0 = f(f(ll * pc) + dark);
        const da = f(ls * pc);
        const b0 = f(ll * ps);
        const db = f(ls * ps);
        const c0 = ry * wordsPerRow;
        for (let dx = 0; dx < w; dx++) {
          const hk = hash32(k0 | 0, k1 | 0, (c0 + (dx >> 1)) >>> 0);
          const half = (hk >>> ((dx & 1) << 4)) & 0xffff;
          const sum = (half & 0xff) + (half >>> 8);
          F[row + dx] = f(f(a0 + f(dx * da)) + f(f(b0 + f(dx * db)) * sum));
        }
      }
    },

    fringeAmp(mean, stride, w, h, cosCol, sinCol, rcRow, rsRow, a) {
      views();
      a = f(a);
      for (let ry = 0; ry < h; ry++) {
        const row = (mean >> 2) + ry * stride;
        const rc = F[(rcRow >> 2) + ry]!;
        const rs = F[(rsRow >> 2) + ry]!;
        for (let dx = 0; dx < w; dx++) {
          const v = f(f(F[(cosCol >> 2) + dx]! * rc) - f(F[(sinCol >> 2) + dx]! * rs));
          F[row + dx] = f(F[row + dx]! + f(a * v));
        }
      }
    },

    readoutAmp(out, mean, stride, z, rowOffset, table, rw, w, h, r0, r1, x0, nk0, nk1, bias, d, shot, rnE2, fullWell, nl, invGain, rnAdu, sat) {
      views();
      [bias, d, shot, rnE2, fullWell, nl, invGain, rnAdu] = [bias, d, shot, rnE2, fullWell, nl, invGain, rnAdu].map(f) as typeof bias[];
      const keep = f(1 - d);
      const d2 = f(d * d);
      const d3 = f(d2 * d);
      const pow0 = [d, d2, d3, f(d3 * d)];
      const Z = z >> 2;
      const T = table >> 2;
      for (let ry = r0; ry < r1; ry++) {
        const orow = (out >> 2) + (ry - r0) * rw;
        const c0 = (ry * rw) >>> 1;
        for (let rx = 0; rx < rw; rx += 2) {
          const hk = hash32(nk0 | 0, nk1 | 0, c0 + (rx >> 1));
          F[Z + rx] = F[T + (hk & 0xffff)]!;
          F[Z + rx + 1] = F[T + (hk >>> 16)]!;
        }
        const rb = f(bias + F[(rowOffset >> 2) + ry]!);
        const noiseOnly = (from: number, to: number): void => {
          for (let rx = from; rx < to; rx++) I[orow + rx] = digitize(f(rb + f(rnAdu * F[Z + rx]!)), sat);
        };
        if (ry >= h) {
          noiseOnly(0, rw);
          continue;
        }
        noiseOnly(0, x0);
        const mrow = (mean >> 2) + (ry - r0) * stride;
        for (let j = 0; j < w; j++) {
          const m = f(f(keep * F[mrow + j]!) + f(d * F[mrow + j - 1]!));
          const sigma = f(Math.sqrt(f(f(shot * (m < 0 ? 0 : m)) + rnE2)));
          let e = f(m + f(sigma * F[Z + x0 + j]!));
          e = fullWell < e ? fullWell : e;
          e = f(e - f(f(nl * e) * e));
          I[orow + x0 + j] = digitize(f(rb + f(e * invGain)), sat);
        }
        const qLast = w > 0 ? F[mrow + w - 1]! : 0;
        const pw = [...pow0];
        for (let rx = x0 + w, l = 0; rx < rw; rx++, l++) {
          if (l === 4) {
            for (let k = 0; k < 4; k++) pw[k] = f(pw[k]! * pow0[3]!);
            l = 0;
          }
          const m = f(qLast * pw[l]!);
          const e = f(m + f(f(Math.sqrt(f(f(shot * m) + rnE2))) * F[Z + rx]!));
          I[orow + rx] = digitize(f(rb + f(e * invGain)), sat);
        }
      }
    },

    stampAdd(mean, stride, w, h, r0, r1, ccdX0, ccdY0, flipX, flipY, sx, sy, radius, inv, scale) {
      views();
      inv = f(inv);
      scale = f(scale);
      const r2 = radius * radius;
      const yA = Math.max(Math.ceil(sy - radius), flipY ? ccdY0 + h - r1 : ccdY0 + r0);
      const yB = Math.min(Math.floor(sy + radius), flipY ? ccdY0 + h - 1 - r0 : ccdY0 + r1 - 1);
      for (let cy = yA; cy <= yB; cy++) {
        const dy = cy - sy;
        const hw = Math.sqrt(Math.max(0, r2 - dy * dy));
        const xA = Math.max(Math.ceil(sx - hw), ccdX0);
        const xB = Math.min(Math.floor(sx + hw), ccdX0 + w - 1);
        if (xA > xB) continue;
        const n = xB - xA + 1;
        const dx0 = f(xA - sx);
        const dy2 = f(dy * dy);
        const ly = cy - ccdY0;
        const row = (mean >> 2) + ((flipY ? h - 1 - ly : ly) - r0) * stride;
        const lx0 = xA - ccdX0;
        const first = flipX ? w - 1 - lx0 - (n - 1) : lx0;
        for (let m = 0; m < n; m++) {
          const dx = f(dx0 + (flipX ? n - 1 - m : m));
          const t = f(1 + f(f(f(dx * dx) + dy2) * inv));
          F[row + first + m] = f(F[row + first + m]! + f(scale / f(f(f(f(t * t) * t)) * f(Math.sqrt(t)))));
        }
      }
    },

    stampSum(sx, sy, radius, inv) {
      inv = f(inv);
      const r2 = radius * radius;
      let total = 0;
      for (let cy = Math.ceil(sy - radius); cy <= Math.floor(sy + radius); cy++) {
        const dy = cy - sy;
        const hw = Math.sqrt(Math.max(0, r2 - dy * dy));
        const xA = Math.ceil(sx - hw);
        const n = Math.floor(sx + hw) - xA + 1;
        if (n <= 0) continue;
        const dx0 = f(xA - sx);
        const dy2 = f(dy * dy);
        const profile = (k: number): number => {
          const dx = f(dx0 + k);
          const t = f(1 + f(f(f(dx * dx) + dy2) * inv));
          return f(1 / f(f(f(t * t) * t) * f(Math.sqrt(t))));
        };
        // Four float32 lanes over whole groups of four, reduced pairwise, then the tail in order (as the kernel).
        const acc = [0, 0, 0, 0];
        let m = 0;
        for (; m + 4 <= n; m += 4) for (let l = 0; l < 4; l++) acc[l] = f(acc[l]! + profile(m + l));
        let row = f(f(acc[0]! + acc[1]!) + f(acc[2]! + acc[3]!));
        for (; m < n; m++) row = f(row + profile(m));
        total += row;
      }
      return total;
    },
  };
}
