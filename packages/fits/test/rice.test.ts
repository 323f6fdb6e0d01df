import { describe, expect, it } from 'vitest';
import { FitsError } from '../src/errors.js';
import { type RiceBytepix, type RiceInput, type RiceOutput, riceDecode, riceEncode, riceMaxBytes } from '../src/rice.js';
import { gaussian, mulberry32 as prng } from '../../../test/support/random.js';

function encode(src: RiceInput, bytepix: RiceBytepix, blockSize = 32, bias = 0): Uint8Array {
  const out = new Uint8Array(riceMaxBytes(src.length, bytepix, blockSize));
  const n = riceEncode(src, bytepix, blockSize, out, bias);
  return out.slice(0, n);
}

function roundTrip(src: RiceInput, bytepix: RiceBytepix, blockSize = 32, bias = 0): Uint8Array {
  const bytes = encode(src, bytepix, blockSize, bias);
  const Ctor = src.constructor as new (n: number) => RiceOutput;
  // One spare element holding a sentinel: the decoder must not write past nPixels.
  const out = new Ctor(src.length + 1);
  out[src.length] = 77;
  riceDecode(bytes, bytepix, blockSize, out, src.length, bias);
  expect(Array.from(out.subarray(0, src.length))).toEqual(Array.from(src));
  expect(out[src.length]).toBe(77);
  return bytes;
}

function expectBadCompression(f: () => void): FitsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    expect((e as FitsError).code).toBe('BAD_COMPRESSION');
    return e as FitsError;
  }
  throw new Error('expected a BAD_COMPRESSION error');
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

describe('riceEncode / riceDecode round trip', () => {
  it('int32 noise (sigma 7 around 20000), every block length and block size', () => {
    const rnd = prng(1);
    for (const n of [1, 2, 31, 32, 33, 63, 64, 65, 576, 1000]) {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = Math.round(20000 + 7 * gaussian(rnd));
      for (const bs of [16, 32, 1, 7, 64]) roundTrip(a, 4, bs);
    }
  });

  it('int32 extremes: alternating, wrapping differences, random full-range values', () => {
    const alt = new Int32Array(100).map((_, i) => (i % 2 === 0 ? I32_MIN : I32_MAX));
    roundTrip(alt, 4);
    roundTrip(new Int32Array([I32_MAX, I32_MIN, 0, I32_MIN, I32_MIN, I32_MAX, -1, 1, I32_MAX]), 4);
    const rnd = prng(2);
    const full = new Int32Array(999).map(() => (rnd() * 4294967296) | 0);
    roundTrip(full, 4);
    // A single huge step inside a quiet block: the long-zero-run path of the encoder.
    const step = new Int32Array(64).fill(5);
    step[40] = 5 + (1 << 20);
    roundTrip(step, 4);
    for (let k = 0; k < 31; k++) {
      const s = new Int32Array(40).fill(0);
      s[10] = 2 ** k;
      s[11] = -(2 ** k);
      roundTrip(s, 4);
    }
  });

  it('constant tiles use one low-entropy code per block', () => {
    for (const v of [0, 20000, I32_MIN, I32_MAX, -1]) {
      const bytes = roundTrip(new Int32Array(64).fill(v), 4);
      // 4 bytes of first value + two 5-bit zero codes = 10 bits -> 2 bytes.
      expect(bytes.length).toBe(6);
    }
    expect(Array.from(encode(new Int32Array([0x01020304]), 4))).toEqual([1, 2, 3, 4, 0]);
    expect(Array.from(encode(new Int16Array([-2]), 2))).toEqual([0xff, 0xfe, 0]);
    expect(Array.from(encode(new Uint8Array([200]), 1))).toEqual([200, 0]);
  });

  it('known bit pattern: differences 0,0,1,-1,2 with split 0', () => {
    // First value 10; mapped differences 0, 0, 2, 1, 4 (zigzag); sum 7 over 5 -> dpsum 0.8 -> fs 0, code 1.
    // Bits: 00001 (code), then each v as v zeros and a one: 1 1 001 01 00001, zero-padded.
    const bytes = encode(new Int32Array([10, 10, 11, 10, 12]), 4);
    expect(Array.from(bytes)).toEqual([0, 0, 0, 10, 0b00001110, 0b01010000, 0b10000000]);
  });

  it('int16 and uint16 extremes and noise', () => {
    const rnd = prng(3);
    const s = new Int16Array(300).map(() => (rnd() * 65536) | 0);
    s[0] = -32768;
    s[1] = 32767;
    s[2] = -32768;
    roundTrip(s, 2);
    roundTrip(new Int16Array(70).map((_, i) => (i % 2 ? -32768 : 32767)), 2);
    roundTrip(new Int16Array(50).map(() => Math.round(20000 + 7 * gaussian(rnd))), 2);
    const u = new Uint16Array(300).map(() => (rnd() * 65536) >>> 0);
    u[0] = 65535;
    u[1] = 0;
    for (const bias of [0, 32768]) {
      roundTrip(u, 2, 32, bias);
      roundTrip(new Uint16Array(40).map((_, i) => (i % 3 ? 65535 : 0)), 2, 32, bias);
      roundTrip(new Uint16Array(33).fill(60000), 2, 16, bias);
    }
  });

  it('the unsigned-16 bias changes only the first value written', () => {
    const u = new Uint16Array([60000, 60001, 59990, 60000]);
    const plain = encode(u, 2);
    const biased = encode(u, 2, 32, 32768);
    expect(biased[0]).toBe(plain[0]! ^ 0x80);
    expect(Array.from(biased.subarray(1))).toEqual(Array.from(plain.subarray(1)));
    // What is stored is the value minus 32768, as a signed 16-bit number.
    expect((biased[0]! << 8) | biased[1]!).toBe((60000 - 32768) & 0xffff);
  });

  it('uint8 and int8', () => {
    const rnd = prng(4);
    roundTrip(new Uint8Array(257).map(() => (rnd() * 256) >>> 0), 1);
    roundTrip(new Uint8Array(64).map((_, i) => (i % 2 ? 255 : 0)), 1);
    roundTrip(new Uint8Array([255]), 1);
    roundTrip(new Int8Array(100).map(() => (rnd() * 256) | 0), 1);
    roundTrip(new Uint8Array(96).map(() => 100 + Math.round(3 * gaussian(rnd))), 1, 16);
  });

  it('narrow bytepix into a wider array: int32 values coded as 16 bits come back sign-extended', () => {
    const a = new Int32Array([-5, 300, -32768, 32767, 0]);
    const bytes = encode(a, 2);
    const out = new Int32Array(5);
    riceDecode(bytes, 2, 32, out, 5);
    expect(Array.from(out)).toEqual(Array.from(a));
    const b = new Int32Array([0, 255, 17]);
    const out8 = new Int32Array(3);
    riceDecode(encode(b, 1), 1, 32, out8, 3);
    expect(Array.from(out8)).toEqual([0, 255, 17]);
  });

  it('never exceeds riceMaxBytes, even on worst-case data', () => {
    const rnd = prng(5);
    for (const bp of [1, 2, 4] as const) {
      for (const bs of [1, 16, 32, 64]) {
        const n = 513;
        const worst = new Int32Array(n).map(() => (rnd() * 4294967296) | 0);
        // Mostly small differences with one large one per block pushes Rice coding past raw size.
        const spiky = new Int32Array(n).map((_, i) => (i % bs === 3 ? 1 << (8 * bp - 2) : i % 2));
        for (const a of [worst, spiky]) {
          // Encode into a roomier buffer, so that the bound itself is what is tested.
          const bound = riceMaxBytes(n, bp, bs);
          const len = riceEncode(a, bp, bs, new Uint8Array(bound * 2));
          expect(len).toBeLessThanOrEqual(bound);
        }
      }
    }
  });
});

describe('riceDecode on malformed input', () => {
  const rnd = prng(6);
  const noise = new Int32Array(200).map(() => Math.round(1000 + 50 * gaussian(rnd)));
  noise[100] = I32_MAX;

  it('every truncation of a valid stream throws BAD_COMPRESSION', () => {
    for (const [bp, src] of [
      [4, noise],
      [2, new Int16Array(noise)],
      [1, new Uint8Array(noise)],
    ] as const) {
      const bytes = encode(src, bp);
      const out = new Int32Array(src.length);
      for (let k = 0; k < bytes.length; k++) {
        const e = expectBadCompression(() => riceDecode(bytes.subarray(0, k), bp, 32, out, src.length));
        expect(e.offset).toBeLessThanOrEqual(k);
      }
    }
  });

  it('an invalid block code throws', () => {
    // bytepix 4: 5-bit codes 27..31 mean nothing.
    const e = expectBadCompression(() => riceDecode(new Uint8Array([0, 0, 0, 1, 0xf8, 0, 0]), 4, 32, new Int32Array(4), 4));
    expect(e.message).toMatch(/block code 31/);
  });

  it('random garbage either decodes or throws FitsError, never writes out of bounds', () => {
    const r = prng(7);
    for (let trial = 0; trial < 3000; trial++) {
      const bp = ([1, 2, 4] as const)[trial % 3]!;
      const len = 1 + Math.floor(r() * 40);
      const bytes = new Uint8Array(len).map(() => (r() * 256) >>> 0);
      if (trial % 5 === 0) bytes.fill(0, Math.min(len, bp)); // long zero runs
      const n = 1 + Math.floor(r() * 300);
      const out = new Int32Array(n + 4).fill(-99);
      try {
        riceDecode(bytes, bp, 32, out, n);
      } catch (e) {
        expect(e).toBeInstanceOf(FitsError);
        expect((e as FitsError).code).toBe('BAD_COMPRESSION');
      }
      expect(Array.from(out.subarray(n))).toEqual([-99, -99, -99, -99]);
    }
  });

  it('rejects bad parameters with USAGE', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as FitsError).code;
      }
      return undefined;
    };
    expect(code(() => riceEncode(new Int32Array(100), 4, 32, new Uint8Array(10)))).toBe('USAGE');
    expect(code(() => riceEncode(new Int32Array(0), 4, 32, new Uint8Array(10)))).toBe('USAGE');
    expect(code(() => riceEncode(new Int32Array(1), 3 as RiceBytepix, 32, new Uint8Array(100)))).toBe('USAGE');
    expect(code(() => riceEncode(new Int32Array(1), 4, 0, new Uint8Array(100)))).toBe('USAGE');
    expect(code(() => riceEncode(new Int32Array(1), 4, 4096, new Uint8Array(100)))).toBe('USAGE');
    expect(code(() => riceDecode(new Uint8Array(10), 4, 32, new Int32Array(2), 3))).toBe('USAGE');
  });
});
