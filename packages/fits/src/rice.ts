/**
 * The RICE_1 codec of the FITS tiled-image convention, bit-compatible with cfitsio (fpack/funpack, astropy).
 *
 * Stream layout (MSB-first bit stream, zero-padded to a whole byte at the end):
 *   - the first pixel, raw, in `bytepix` bytes big-endian;
 *   - then, per block of `blockSize` pixels (the last block may be short), a code of FS_BITS bits:
 *       0            all differences in the block are zero (nothing else is written),
 *       FS_MAX + 1   "high entropy": every mapped difference written raw in 8*bytepix bits,
 *       fs + 1       Rice code with split fs: each mapped difference v as (v >> fs) zero bits, a one bit,
 *                    then the low fs bits of v.
 * Differences are taken between neighbouring pixels modulo 2^(8*bytepix) (the first difference is zero) and
 * mapped to unsigned by the zigzag rule (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...).
 *
 * fs is chosen per block exactly as cfitsio does, from the mean mapped difference, so our output is
 * byte-identical to cfitsio's for the same pixels, block size and bytepix.
 *
 * Everything here works on 32-bit integer arithmetic (`| 0`, `>>>`), which wraps exactly like the C code
 * does on two's-complement machines, so int32 extremes round-trip.
 */
import { FitsError } from './errors.js';

export type RiceBytepix = 1 | 2 | 4;

/** Arrays the encoder reads: the low 8*bytepix bits of each element are coded. */
export type RiceInput = Int32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** Arrays the decoder writes. */
export type RiceOutput = Int32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** Largest block size accepted; real files use 16 or 32. Bounding it bounds how many pixels a byte can claim. */
export const RICE_MAX_BLOCK_SIZE = 64;

/** Bits of the per-block code, by bytepix (index 1, 2, 4). */
const FS_BITS = [0, 3, 4, 0, 5] as const;
/** Largest Rice split; one more than this is the code for a raw (high-entropy) block. */
const FS_MAX = [0, 6, 14, 0, 25] as const;

function checkParams(bytepix: number, blockSize: number): void {
  if (bytepix !== 1 && bytepix !== 2 && bytepix !== 4) {
    throw new FitsError('USAGE', `RICE_1 bytepix must be 1, 2 or 4, not ${bytepix}`);
  }
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > RICE_MAX_BLOCK_SIZE) {
    throw new FitsError('USAGE', `RICE_1 block size must be an integer 1..${RICE_MAX_BLOCK_SIZE}, not ${blockSize}`);
  }
}

/**
 * An upper bound on the encoded size of `nPixels` pixels: the scratch `riceEncode` needs.
 *
 * Why this holds: a raw block costs FS_BITS + 8*bytepix bits per pixel. A Rice block with split fs costs
 * fs + 1 bits per pixel plus the unary parts, whose sum is at most sum(v) / 2^fs; the rule that picks fs
 * makes 2^fs at least (sum(v) - n/2 - 1) / 2n, so the unary parts total at most 2.5n + 1 bits. With
 * fs <= FS_MAX - 1 that is at most (FS_MAX + 2.5) bits per pixel, below 8*bytepix + 1 for every bytepix.
 */
export function riceMaxBytes(nPixels: number, bytepix: RiceBytepix, blockSize = 32): number {
  checkParams(bytepix, blockSize);
  const blocks = Math.ceil(nPixels / blockSize);
  const bits = blocks * (FS_BITS[bytepix] + 1) + nPixels * (8 * bytepix + 1);
  return bytepix + Math.ceil(bits / 8) + 8;
}

/** Zigzag-mapped differences of one block; grown on demand, never inside the pixel loops. */
let diffScratch = new Int32Array(RICE_MAX_BLOCK_SIZE);

/**
 * Rice-encode one tile. `bias` is subtracted from every pixel before coding (modulo 2^(8*bytepix)); because
 * only differences follow the first pixel, that changes only the first value written. It is how unsigned
 * 16-bit data is stored with BZERO = 32768: pass a Uint16Array and bias 32768.
 *
 * `out` must hold at least `riceMaxBytes(src.length, bytepix, blockSize)` bytes. Returns the bytes written.
 */
export function riceEncode(
  src: RiceInput,
  bytepix: RiceBytepix,
  blockSize: number,
  out: Uint8Array,
  bias = 0,
): number {
  checkParams(bytepix, blockSize);
  const n = src.length;
  if (n === 0) throw new FitsError('USAGE', 'cannot Rice-encode an empty tile');
  const need = riceMaxBytes(n, bytepix, blockSize);
  if (out.length < need) {
    throw new FitsError('USAGE', `Rice output buffer holds ${out.length} bytes; ${need} needed for ${n} pixels`);
  }
  if (diffScratch.length < blockSize) diffScratch = new Int32Array(blockSize);
  const diff = diffScratch;
  const fsBits = FS_BITS[bytepix];
  const fsMax = FS_MAX[bytepix];
  // Differences are wrapped to 8*bytepix bits by shifting them up to the sign bit and back.
  const wrap = 32 - 8 * bytepix;

  // The first value, raw and big-endian.
  const first = (src[0]! - bias) | 0;
  if (bytepix === 4) {
    out[0] = first >>> 24;
    out[1] = first >>> 16;
    out[2] = first >>> 8;
    out[3] = first;
  } else if (bytepix === 2) {
    out[0] = first >>> 8;
    out[1] = first;
  } else {
    out[0] = first;
  }
  let o: number = bytepix;

  // Bit accumulator: the low `nb` bits of `acc` are pending output, at most 32 of them and fewer than 8 at
  // every block code; bits above them are stale and get shifted out, and the byte stores below keep only
  // the low 8 bits of what they are given, so no masking is needed.
  let acc = 0;
  let nb = 0;
  let last = src[0]! | 0;

  for (let start = 0; start < n; start += blockSize) {
    const end = start + blockSize < n ? start + blockSize : n;
    const len = end - start;

    // Mapped differences and their sum. The sum is a double: 32 mapped int32 differences overflow 32 bits.
    let sum = 0;
    if (wrap === 0) {
      for (let j = start; j < end; j++) {
        const x = src[j]! | 0;
        const d = (x - last) | 0;
        last = x;
        const z = (d << 1) ^ (d >> 31);
        diff[j - start] = z;
        sum += z >>> 0;
      }
    } else {
      for (let j = start; j < end; j++) {
        const x = src[j]! | 0;
        const d = ((x - last) << wrap) >> wrap;
        last = x;
        const z = (d << 1) ^ (d >> 31);
        diff[j - start] = z;
        sum += z;
      }
    }

    // cfitsio's choice of split: fs = bit length of floor(max(0, (sum - floor(len/2) - 1) / len)) >> 1.
    let dpsum = (sum - (len >> 1) - 1) / len;
    if (dpsum < 0) dpsum = 0;
    const psum = (dpsum >>> 0) >>> 1;
    const fs = 32 - Math.clz32(psum);

    if (fs >= fsMax) {
      // High entropy: code fsMax + 1, then each mapped difference raw.
      acc = (acc << fsBits) | (fsMax + 1);
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[o++] = acc >>> nb;
      }
      const bbits = 8 * bytepix;
      for (let j = 0; j < len; j++) {
        const v = diff[j]!;
        if (bbits === 32) {
          // 32 bits do not fit beside 7 pending bits; write them as two halves.
          acc = (acc << 16) | (v >>> 16);
          nb += 16;
          while (nb >= 8) {
            nb -= 8;
            out[o++] = acc >>> nb;
          }
          acc = (acc << 16) | (v & 0xffff);
          nb += 16;
        } else {
          acc = (acc << bbits) | v;
          nb += bbits;
        }
        while (nb >= 8) {
          nb -= 8;
          out[o++] = acc >>> nb;
        }
      }
    } else if (fs === 0 && sum === 0) {
      // Low entropy: every difference is zero; the code alone says so.
      acc <<= fsBits;
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[o++] = acc >>> nb;
      }
    } else {
      acc = (acc << fsBits) | (fs + 1);
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[o++] = acc >>> nb;
      }
      const lowMask = (1 << fs) - 1;
      const one = 1 << fs;
      const fs1 = fs + 1;
      // A code of `top` zeros, a one and fs low bits is usually a few bits long. Up to 25 bits it is added to
      // the accumulator with one shift-or; whole bytes are written out only when the next code would not fit
      // in 32 bits, which saves a flush test on most pixels.
      const fastTop = 24 - fs;
      for (let j = 0; j < len; j++) {
        const v = diff[j]!;
        const top = v >>> fs;
        if (top <= fastTop) {
          const k = top + fs1;
          if (nb + k > 32) {
            while (nb >= 8) {
              nb -= 8;
              out[o++] = acc >>> nb;
            }
          }
          acc = (acc << k) | one | (v & lowMask);
          nb += k;
        } else {
          // A long run of zeros (an outlier difference): push it out at most 24 bits at a time.
          while (nb >= 8) {
            nb -= 8;
            out[o++] = acc >>> nb;
          }
          let z = top;
          while (z > 0) {
            const t = z < 24 ? z : 24;
            acc <<= t;
            nb += t;
            z -= t;
            while (nb >= 8) {
              nb -= 8;
              out[o++] = acc >>> nb;
            }
          }
          acc = (acc << fs1) | one | (v & lowMask);
          nb += fs1;
        }
      }
      // Back to fewer than 8 pending bits, which the code writes above rely on.
      while (nb >= 8) {
        nb -= 8;
        out[o++] = acc >>> nb;
      }
    }
  }
  // Flush the last partial byte, zero-padded on the right.
  if (nb > 0) out[o++] = acc << (8 - nb);
  return o;
}

function truncated(at: number): FitsError {
  return new FitsError('BAD_COMPRESSION', 'Rice stream ends before all pixels are decoded', { offset: at });
}

/**
 * Decode `nPixels` pixels of one Rice-coded tile into `out[0 .. nPixels)`. `bias` is added to every pixel
 * (modulo 2^(8*bytepix)); see `riceEncode`. When `out`'s elements are wider than bytepix, values are
 * sign-extended from 16 bits (bytepix 2) or read as unsigned bytes (bytepix 1), as cfitsio does.
 *
 * Throws FitsError 'BAD_COMPRESSION' (offset = byte position in `bytes`) for a truncated stream or an
 * invalid block code; reads only inside `bytes` and writes only `out[0 .. nPixels)`. Unused trailing bytes
 * are accepted, as cfitsio accepts them.
 */
export function riceDecode(
  bytes: Uint8Array,
  bytepix: RiceBytepix,
  blockSize: number,
  out: RiceOutput,
  nPixels: number,
  bias = 0,
): void {
  checkParams(bytepix, blockSize);
  if (!Number.isInteger(nPixels) || nPixels < 0 || nPixels > out.length) {
    throw new FitsError('USAGE', `cannot decode ${nPixels} pixels into an array of ${out.length}`);
  }
  if (nPixels === 0) return;
  const len = bytes.length;
  if (len < bytepix) throw truncated(len);
  const fsBits = FS_BITS[bytepix];
  const fsMax = FS_MAX[bytepix];
  const rawCode = fsMax + 1;

  let first: number;
  if (bytepix === 4) first = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  else if (bytepix === 2) first = (bytes[0]! << 8) | bytes[1]!;
  else first = bytes[0]!;
  // Pixels are carried in 32-bit arithmetic; only their low 8*bytepix bits mean anything until the end.
  let last = (first + bias) | 0;

  let c = bytepix;
  // Bit reader: `b` holds `nb` unread bits in its low bits, and nothing above them.
  let b = 0;
  let nb = 0;
  let i = 0;
  while (i < nPixels) {
    while (nb < fsBits) {
      if (c >= len) throw truncated(c);
      b = (b << 8) | bytes[c++]!;
      nb += 8;
    }
    nb -= fsBits;
    const code = b >>> nb;
    b &= (1 << nb) - 1;
    const imax = i + blockSize < nPixels ? i + blockSize : nPixels;

    if (code === 0) {
      for (; i < imax; i++) out[i] = last;
    } else if (code === rawCode) {
      const bbits = 8 * bytepix;
      for (; i < imax; i++) {
        let v: number;
        if (bbits === 32) {
          // Two 16-bit halves, so the reader never holds more than 31 bits.
          while (nb < 16) {
            if (c >= len) throw truncated(c);
            b = (b << 8) | bytes[c++]!;
            nb += 8;
          }
          nb -= 16;
          const hi = b >>> nb;
          b &= (1 << nb) - 1;
          while (nb < 16) {
            if (c >= len) throw truncated(c);
            b = (b << 8) | bytes[c++]!;
            nb += 8;
          }
          nb -= 16;
          v = (hi << 16) | (b >>> nb);
          b &= (1 << nb) - 1;
        } else {
          while (nb < bbits) {
            if (c >= len) throw truncated(c);
            b = (b << 8) | bytes[c++]!;
            nb += 8;
          }
          nb -= bbits;
          v = b >>> nb;
          b &= (1 << nb) - 1;
        }
        last = (last + ((v >>> 1) ^ -(v & 1))) | 0;
        out[i] = last;
      }
    } else if (code > rawCode) {
      // Only reachable with bytepix 4, where 5 code bits allow 27..31.
      throw new FitsError('BAD_COMPRESSION', `invalid Rice block code ${code} (largest is ${rawCode})`, {
        offset: c - 1,
      });
    } else {
      const fs = code - 1;
      for (; i < imax; i++) {
        // Unary part: count zero bits up to the terminating one.
        let nzero = 0;
        // Top the reader up to at least 24 bits (while bytes remain) so that the usual short code needs no
        // further reads below; the loops after this only run for long codes or at the end of the stream.
        if (nb < 24) {
          while (nb < 24 && c < len) {
            b = (b << 8) | bytes[c++]!;
            nb += 8;
          }
        }
        while (b === 0) {
          nzero += nb;
          if (c >= len) throw truncated(c);
          b = bytes[c++]!;
          nb = 8;
        }
        const lz = Math.clz32(b) - (32 - nb);
        nzero += lz;
        nb -= lz + 1;
        b ^= 1 << nb;
        // The fs low bits.
        while (nb < fs) {
          if (c >= len) throw truncated(c);
          b = (b << 8) | bytes[c++]!;
          nb += 8;
        }
        nb -= fs;
        const v = (nzero << fs) | (b >>> nb);
        b &= (1 << nb) - 1;
        last = (last + ((v >>> 1) ^ -(v & 1))) | 0;
        out[i] = last;
      }
    }
  }

  // Typed-array stores already wrap to the element width; only a wider element needs the value widened.
  const width = out.BYTES_PER_ELEMENT;
  if (width > bytepix) {
    if (bytepix === 2) for (let k = 0; k < nPixels; k++) out[k] = (out[k]! << 16) >> 16;
    else for (let k = 0; k < nPixels; k++) out[k] = out[k]! & 0xff;
  }
}
