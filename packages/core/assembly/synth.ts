// The per-pixel passes of amp rendering, in AssemblyScript compiled to WebAssembly with 128-bit SIMD
// (`pnpm --filter @daqsim/core build:wasm`). The JavaScript twin in src/synth/kernels-ref.ts does the same
// arithmetic one pixel at a time with Math.fround; tests require the two to agree bit for bit.
//
// Everything is float32 (IEEE, round to nearest, no fused multiply-add), so the bits are the same on every machine
// and at every SIMD width. Pointers are byte offsets into this module's memory; the JavaScript side lays the
// buffers out (src/synth/kernels.ts).

// The counter hash of src/synth/rng.ts (two keyed rounds of lowbias32), four counters at a time.
// @ts-ignore: decorator
@inline
function round4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x21f0aaad));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x735a2d97));
  return v128.xor(x, i32x4.shr_u(x, 15));
}

// @ts-ignore: decorator
@inline
function hash4(k0: v128, k1: v128, c: v128): v128 {
  return round4(i32x4.add(round4(v128.xor(c, k0)), k1));
}

// @ts-ignore: decorator
@inline
function round1(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x21f0aaad;
  x ^= x >>> 15;
  x *= 0x735a2d97;
  return x ^ (x >>> 15);
}

// @ts-ignore: decorator
@inline
function hash1(k0: u32, k1: u32, c: u32): u32 {
  return round1(round1(c ^ k0) + k1);
}

const LANES = i32x4(0, 1, 2, 3);

/**
 * Pass A: the smooth expected signal of rows [r0, r1) of one amp [e-] (data section, readout order; row r0 at
 * `mean`, rows `stride` floats apart). Rows are rendered a band at a time so the buffer stays in the core's cache.
 * Per pixel: light · il · (1 + prnu · r) + dark, with il = left + dx · step bilinear over the amp and r the pixel
 * response deviate: the sum s of two random bytes (triangular, 0..510), so r = (s − 255) / 104.5. The caller
 * passes ps = prnu / 104.5 and pc = 1 − 255 · ps, and each row is the line A + B · s with
 *   A = light · left · pc + dark + dx · light · step · pc,   B = light · left · ps + dx · light · step · ps.
 * One hash word serves two pixels (row r uses counters r · ceil(w / 2) + dx / 2, bytes 0-1 and 2-3), and the
 * bytes are summed and widened in vector registers: no table lookups.
 */
export function smoothAmp(
  mean: usize, stride: i32, w: i32, h: i32, r0: i32, r1: i32, light: f32, i00: f32, i10: f32, i01: f32, i11: f32,
  ps: f32, pc: f32, dark: f32, k0: u32, k1: u32,
): void {
  const wordsPerRow = (w + 1) >> 1;
  const vk0 = i32x4.splat(k0);
  const vk1 = i32x4.splat(k1);
  const lanesF = f32x4(0, 1, 2, 3);
  const four = f32x4.splat(4);
  const eight = f32x4.splat(8);
  const step4 = i32x4.splat(4);
  const hm1: f32 = h > 1 ? <f32>(h - 1) : 1;
  const wm1: f32 = w > 1 ? <f32>(w - 1) : 1;
  for (let ry = r0; ry < r1; ry++) {
    const row = mean + (<usize>(ry - r0) * <usize>stride << 2);
    const t: f32 = h > 1 ? <f32>ry / hm1 : 0;
    const left: f32 = i00 + t * (i01 - i00);
    const right: f32 = i10 + t * (i11 - i10);
    const step: f32 = w > 1 ? (right - left) / wm1 : 0;
    const ll: f32 = light * left;
    const ls: f32 = light * step;
    const a0: f32 = ll * pc + dark;
    const da: f32 = ls * pc;
    const b0: f32 = ll * ps;
    const db: f32 = ls * ps;
    const va0 = f32x4.splat(a0);
    const vda = f32x4.splat(da);
    const vb0 = f32x4.splat(b0);
    const vdb = f32x4.splat(db);
    const c0 = <u32>ry * <u32>wordsPerRow;
    let dx = 0;
    // 8 pixels per hash vector; counters and column indices advance as vectors (exact: small integers).
    let cv = i32x4.add(i32x4.splat(c0), LANES);
    let x = lanesF;
    for (; dx + 8 <= w; dx += 8) {
      const hv = hash4(vk0, vk1, cv);
      cv = i32x4.add(cv, step4);
      const sums = i16x8.extadd_pairwise_i8x16_u(hv);
      const sLo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(sums));
      const sHi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(sums));
      const o = row + (<usize>dx << 2);
      const x4 = f32x4.add(x, four);
      v128.store(o, f32x4.add(f32x4.add(va0, f32x4.mul(x, vda)), f32x4.mul(f32x4.add(vb0, f32x4.mul(x, vdb)), sLo)));
      v128.store(o + 16, f32x4.add(f32x4.add(va0, f32x4.mul(x4, vda)), f32x4.mul(f32x4.add(vb0, f32x4.mul(x4, vdb)), sHi)));
      x = f32x4.add(x, eight);
    }
    for (; dx < w; dx++) {
      const hk = hash1(k0, k1, c0 + <u32>(dx >> 1));
      const half = (hk >>> (<u32>(dx & 1) << 4)) & 0xffff;
      const sum: f32 = <f32>((half & 0xff) + (half >>> 8));
      const xf = <f32>dx;
      store<f32>(row + (<usize>dx << 2), (a0 + xf * da) + (b0 + xf * db) * sum);
    }
  }
}

/** Pass A, fringes: mean[row][dx] += a · (cos[dx] · rc[row] − sin[dx] · rs[row]) for one wave. */
export function fringeAmp(mean: usize, stride: i32, w: i32, h: i32, cosCol: usize, sinCol: usize, rcRow: usize, rsRow: usize, a: f32): void {
  const va = f32x4.splat(a);
  for (let ry = 0; ry < h; ry++) {
    const row = mean + (<usize>ry * <usize>stride << 2);
    const rc = load<f32>(rcRow + (<usize>ry << 2));
    const rs = load<f32>(rsRow + (<usize>ry << 2));
    const vrc = f32x4.splat(rc);
    const vrs = f32x4.splat(rs);
    let dx = 0;
    for (; dx + 4 <= w; dx += 4) {
      const o = <usize>dx << 2;
      const f = f32x4.sub(f32x4.mul(v128.load(cosCol + o), vrc), f32x4.mul(v128.load(sinCol + o), vrs));
      v128.store(row + o, f32x4.add(v128.load(row + o), f32x4.mul(va, f)));
    }
    for (; dx < w; dx++) {
      const o = <usize>dx << 2;
      const f: f32 = load<f32>(cosCol + o) * rc - load<f32>(sinCol + o) * rs;
      store<f32>(row + o, load<f32>(row + o) + a * f);
    }
  }
}

/** Eight deviates from one hash vector: lanes a, b give pixels 0-3 (low, high halves), lanes c, d pixels 4-7. */
// @ts-ignore: decorator
@inline
function normal8(o: usize, hv: v128, table: usize): void {
  const a = i32x4.extract_lane(hv, 0);
  const b = i32x4.extract_lane(hv, 1);
  const c = i32x4.extract_lane(hv, 2);
  const d = i32x4.extract_lane(hv, 3);
  let lo = f32x4.splat(0);
  lo = v128.load32_lane(table + ((a & 0xffff) << 2), lo, 0);
  lo = v128.load32_lane(table + ((a >>> 16) << 2), lo, 1);
  lo = v128.load32_lane(table + ((b & 0xffff) << 2), lo, 2);
  lo = v128.load32_lane(table + ((b >>> 16) << 2), lo, 3);
  let hi = f32x4.splat(0);
  hi = v128.load32_lane(table + ((c & 0xffff) << 2), hi, 0);
  hi = v128.load32_lane(table + ((c >>> 16) << 2), hi, 1);
  hi = v128.load32_lane(table + ((d & 0xffff) << 2), hi, 2);
  hi = v128.load32_lane(table + ((d >>> 16) << 2), hi, 3);
  v128.store(o, lo);
  v128.store(o + 16, hi);
}

/**
 * Standard normal deviates for one raw row from the 65536-entry table: pair counter c gives pixels 2c' and
 * 2c' + 1 (low and high 16 bits). Sixteen pixels per step, the counters carried as a vector: V8 rebuilds vector
 * constants and splats at every use, so fewer steps and no per-step splat cost less. Writes ceil(rw / 16) · 16
 * values; the caller leaves room.
 */
// @ts-ignore: decorator
@inline
function normalRow(z: usize, rw: i32, counter0: u32, table: usize, vk0: v128, vk1: v128): void {
  let cv = i32x4.add(i32x4.splat(counter0), LANES);
  const step = i32x4.splat(4);
  for (let rx = 0; rx < rw; rx += 16) {
    const h0 = hash4(vk0, vk1, cv);
    cv = i32x4.add(cv, step);
    const h1 = hash4(vk0, vk1, cv);
    cv = i32x4.add(cv, step);
    const o = z + (<usize>rx << 2);
    normal8(o, h0, table);
    normal8(o + 32, h1, table);
  }
}

/** Pixels without charge: rb + rnAdu · z, digitized. */
// @ts-ignore: decorator
@inline
function electronics(out: usize, z: usize, from: i32, to: i32, rb: f32, rnAdu: f32, sat: i32): void {
  const vrb = f32x4.splat(rb);
  const vrn = f32x4.splat(rnAdu);
  let rx = from;
  for (; rx + 4 <= to; rx += 4) {
    const o = <usize>rx << 2;
    v128.store(out + o, digitize4(f32x4.add(vrb, f32x4.mul(vrn, v128.load(z + o))), sat));
  }
  for (; rx < to; rx++) {
    const o = <usize>rx << 2;
    store<i32>(out + o, digitize(rb + rnAdu * load<f32>(z + o), sat));
  }
}

// Digitization: clamp to [0, sat], then round half to even by the 1.5 * 2^23 trick (exact for |v| < 2^22): two
// plain min/max and an add, where a saturating float-to-int conversion costs V8 a fix-up sequence per vector.
const MAGIC: f32 = 12582912;
const MAGIC_BITS: i32 = 0x4b400000;

// @ts-ignore: decorator
@inline
function digitize(v: f32, sat: i32): i32 {
  const satf = <f32>sat;
  v = v < 0 ? 0 : v;
  v = satf < v ? satf : v;
  return reinterpret<i32>(v + MAGIC) - MAGIC_BITS;
}

// @ts-ignore: decorator
@inline
function digitize4(v: v128, sat: i32): v128 {
  v = f32x4.pmin(f32x4.splat(<f32>sat), f32x4.pmax(f32x4.splat(0), v));
  return i32x4.sub(f32x4.add(v, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
}

/**
 * Pass C: read out raw rows [r0, r1) of the amp (row r0 of the band at `out`, and at `mean` if it is a data row). For data pixels, serial CTI as a two-tap filter m = keep · q + d · q_prev (the row's
 * pad float before the data is zero), shot + read noise sqrt(shot · max(m, 0) + rnE2) · z, full well, nonlinearity
 * e − nl · e · e, gain, bias with the row's offset, digitization. The serial overscan gets the CTI trail of the
 * last data pixel; prescan and the parallel overscan get bias and read noise only.
 */
export function readoutAmp(
  out: usize, mean: usize, stride: i32, z: usize, rowOffset: usize, table: usize,
  rw: i32, w: i32, h: i32, r0: i32, r1: i32, x0: i32, nk0: u32, nk1: u32,
  bias: f32, d: f32, shot: f32, rnE2: f32, fullWell: f32, nl: f32, invGain: f32, rnAdu: f32, sat: i32,
): void {
  const vk0 = i32x4.splat(nk0);
  const vk1 = i32x4.splat(nk1);
  const keep: f32 = 1 - d;
  const vkeep = f32x4.splat(keep);
  const vd = f32x4.splat(d);
  const vshot = f32x4.splat(shot);
  const vrn2 = f32x4.splat(rnE2);
  const vfw = f32x4.splat(fullWell);
  const vnl = f32x4.splat(nl);
  const vig = f32x4.splat(invGain);
  const fzero = f32x4.splat(0);
  const d2: f32 = d * d;
  const d3: f32 = d2 * d;
  const d4: f32 = d3 * d;
  const vpow0 = f32x4(d, d2, d3, d4);
  const vd4 = f32x4.splat(d4);
  const dataEnd = x0 + w;
  for (let ry = r0; ry < r1; ry++) {
    const orow = out + (<usize>(ry - r0) * <usize>rw << 2);
    normalRow(z, rw, <u32>(ry * rw) >>> 1, table, vk0, vk1);
    const rb: f32 = bias + load<f32>(rowOffset + (<usize>ry << 2));
    if (ry >= h) {
      electronics(orow, z, 0, rw, rb, rnAdu, sat);
      continue;
    }
    electronics(orow, z, 0, x0, rb, rnAdu, sat);
    const mrow = mean + (<usize>(ry - r0) * <usize>stride << 2);
    const vrb = f32x4.splat(rb);
    let j = 0;
    for (; j + 4 <= w; j += 4) {
      const mo = mrow + (<usize>j << 2);
      const m = f32x4.add(f32x4.mul(vkeep, v128.load(mo)), f32x4.mul(vd, v128.load(mo - 4)));
      const sigma = f32x4.sqrt(f32x4.add(f32x4.mul(vshot, f32x4.pmax(m, fzero)), vrn2));
      let e = f32x4.add(m, f32x4.mul(sigma, v128.load(z + (<usize>(x0 + j) << 2))));
      e = f32x4.pmin(vfw, e);
      e = f32x4.sub(e, f32x4.mul(f32x4.mul(vnl, e), e));
      v128.store(orow + (<usize>(x0 + j) << 2), digitize4(f32x4.add(vrb, f32x4.mul(e, vig)), sat));
    }
    for (; j < w; j++) {
      const mo = mrow + (<usize>j << 2);
      const m: f32 = keep * load<f32>(mo) + d * load<f32>(mo - 4);
      const sigma: f32 = Mathf.sqrt(shot * (m < 0 ? 0 : m) + rnE2);
      let e: f32 = m + sigma * load<f32>(z + (<usize>(x0 + j) << 2));
      e = fullWell < e ? fullWell : e;
      e = e - nl * e * e;
      store<i32>(orow + (<usize>(x0 + j) << 2), digitize(rb + e * invGain, sat));
    }
    // Serial overscan: the last data pixel's charge q trails as q · d^(k+1) into overscan pixel k. The powers run
    // four lanes at a time, each lane multiplied by d^4 per step.
    const qLast: f32 = w > 0 ? load<f32>(mrow + (<usize>(w - 1) << 2)) : 0;
    const vq = f32x4.splat(qLast);
    let pw = vpow0;
    let rx = dataEnd;
    for (; rx + 4 <= rw; rx += 4) {
      const m = f32x4.mul(vq, pw);
      pw = f32x4.mul(pw, vd4);
      const e = f32x4.add(m, f32x4.mul(f32x4.sqrt(f32x4.add(f32x4.mul(vshot, m), vrn2)), v128.load(z + (<usize>rx << 2))));
      v128.store(orow + (<usize>rx << 2), digitize4(f32x4.add(vrb, f32x4.mul(e, vig)), sat));
    }
    for (let l = 0; rx < rw; rx++, l++) {
      const m: f32 = qLast * (l == 0 ? f32x4.extract_lane(pw, 0) : l == 1 ? f32x4.extract_lane(pw, 1) : f32x4.extract_lane(pw, 2));
      const e: f32 = m + Mathf.sqrt(shot * m + rnE2) * load<f32>(z + (<usize>rx << 2));
      store<i32>(orow + (<usize>rx << 2), digitize(rb + e * invGain, sat));
    }
  }
}

// @ts-ignore: decorator
@inline
function moffat4(dx: v128, dy2: v128, inv: v128, scale: v128): v128 {
  // scale · (1 + u)^-3.5 with u = r² / α²: (1 + u)^3.5 = t³ · √t, exact where a table would interpolate.
  const t = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.add(f32x4.mul(dx, dx), dy2), inv));
  return f32x4.div(scale, f32x4.mul(f32x4.mul(f32x4.mul(t, t), t), f32x4.sqrt(t)));
}

/**
 * Pass B: add a source's Moffat stamp (β = 3.5) to the part of it that falls on readout rows [r0, r1) of one amp
 * (row r0 at `mean`). (sx, sy) and `radius` are in CCD pixels; the amp's data block (w × h) starts at CCD
 * (ccdX0, ccdY0), and flipX / flipY map it to readout order.
 * Only the chord of the stamp's circle is visited on each row. `inv` = 1 / α², `scale` = electrons per unit profile.
 */
export function stampAdd(
  mean: usize, stride: i32, w: i32, h: i32, r0: i32, r1: i32, ccdX0: i32, ccdY0: i32, flipX: bool, flipY: bool,
  sx: f64, sy: f64, radius: f64, inv: f32, scale: f32,
): void {
  const r2 = radius * radius;
  // CCD rows whose readout row is in [r0, r1).
  const cyLo = flipY ? ccdY0 + h - r1 : ccdY0 + r0;
  const cyHi = flipY ? ccdY0 + h - 1 - r0 : ccdY0 + r1 - 1;
  const yA = max<i32>(<i32>Math.ceil(sy - radius), cyLo);
  const yB = min<i32>(<i32>Math.floor(sy + radius), cyHi);
  const vinv = f32x4.splat(inv);
  const vscale = f32x4.splat(scale);
  const lanesF = f32x4(0, 1, 2, 3);
  for (let cy = yA; cy <= yB; cy++) {
    const dy = <f64>cy - sy;
    const hw = Math.sqrt(max<f64>(0, r2 - dy * dy));
    const xA = max<i32>(<i32>Math.ceil(sx - hw), ccdX0);
    const xB = min<i32>(<i32>Math.floor(sx + hw), ccdX0 + w - 1);
    if (xA > xB) continue;
    const n = xB - xA + 1;
    const dx0 = <f32>(<f64>xA - sx);
    const dy2 = <f32>(dy * dy);
    const vdy2 = f32x4.splat(dy2);
    const ly = cy - ccdY0;
    const row = mean + (<usize>(((flipY ? h - 1 - ly : ly) - r0) * stride) << 2);
    const lx0 = xA - ccdX0;
    // Memory is visited in ascending order; with flipX the first address holds the stamp's last pixel (k = n - 1).
    const first = flipX ? w - 1 - lx0 - (n - 1) : lx0;
    let m = 0;
    for (; m + 4 <= n; m += 4) {
      const kv = flipX
        ? f32x4.sub(f32x4.splat(<f32>(n - 1 - m)), lanesF)
        : f32x4.add(f32x4.splat(<f32>m), lanesF);
      const p = row + (<usize>(first + m) << 2);
      v128.store(p, f32x4.add(v128.load(p), moffat4(f32x4.add(f32x4.splat(dx0), kv), vdy2, vinv, vscale)));
    }
    for (; m < n; m++) {
      const k = flipX ? n - 1 - m : m;
      const dx: f32 = dx0 + <f32>k;
      const t: f32 = 1 + (dx * dx + dy2) * inv;
      const p = row + (<usize>(first + m) << 2);
      store<f32>(p, load<f32>(p) + scale / (t * t * t * Mathf.sqrt(t)));
    }
  }
}

/**
 * The sum of the same stamp's profile over all its pixels (no amp clipping): the normalization that makes a stamp
 * hold exactly its flux. Rows are summed in float32 lanes, in a fixed order, and accumulated in float64.
 */
export function stampSum(sx: f64, sy: f64, radius: f64, inv: f32): f64 {
  const r2 = radius * radius;
  const yA = <i32>Math.ceil(sy - radius);
  const yB = <i32>Math.floor(sy + radius);
  const vinv = f32x4.splat(inv);
  const one = f32x4.splat(1);
  const lanesF = f32x4(0, 1, 2, 3);
  let total: f64 = 0;
  for (let cy = yA; cy <= yB; cy++) {
    const dy = <f64>cy - sy;
    const hw = Math.sqrt(max<f64>(0, r2 - dy * dy));
    const xA = <i32>Math.ceil(sx - hw);
    const xB = <i32>Math.floor(sx + hw);
    if (xA > xB) continue;
    const n = xB - xA + 1;
    const dx0 = <f32>(<f64>xA - sx);
    const dy2 = <f32>(dy * dy);
    const vdy2 = f32x4.splat(dy2);
    let acc = f32x4.splat(0);
    let m = 0;
    for (; m + 4 <= n; m += 4) {
      acc = f32x4.add(acc, moffat4(f32x4.add(f32x4.splat(dx0), f32x4.add(f32x4.splat(<f32>m), lanesF)), vdy2, vinv, one));
    }
    let row: f32 = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; m < n; m++) {
      const dx: f32 = dx0 + <f32>m;
      const t: f32 = 1 + (dx * dx + dy2) * inv;
      row += 1 / (t * t * t * Mathf.sqrt(t));
    }
    total += <f64>row;
  }
  return total;
}
