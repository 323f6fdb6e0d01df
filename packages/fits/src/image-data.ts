/**
 * Mapping between JavaScript typed arrays and FITS image data: BITPIX, the BZERO offset for unsigned 16-bit
 * data, and big-endian byte order on disk.
 */
import { FitsError } from './errors.js';

export type ImageData = Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

export interface DataKind {
  bitpix: Bitpix;
  /** BZERO to write (32768 for unsigned 16-bit), or undefined for none. */
  bzero?: number;
  bytesPerPixel: number;
}

export function dataKind(data: ImageData): DataKind {
  if (data instanceof Uint8Array) return { bitpix: 8, bytesPerPixel: 1 };
  if (data instanceof Int16Array) return { bitpix: 16, bytesPerPixel: 2 };
  if (data instanceof Uint16Array) return { bitpix: 16, bzero: 32768, bytesPerPixel: 2 };
  if (data instanceof Int32Array) return { bitpix: 32, bytesPerPixel: 4 };
  if (data instanceof BigInt64Array) return { bitpix: 64, bytesPerPixel: 8 };
  if (data instanceof Float32Array) return { bitpix: -32, bytesPerPixel: 4 };
  if (data instanceof Float64Array) return { bitpix: -64, bytesPerPixel: 8 };
  throw new FitsError('USAGE', 'image data must be a Uint8, Int16, Uint16, Int32, BigInt64, Float32 or Float64 array');
}

export function isBitpix(v: number): v is Bitpix {
  return v === 8 || v === 16 || v === 32 || v === 64 || v === -32 || v === -64;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Write `src` as big-endian FITS bytes into `dst` (which must hold src.length * bytesPerPixel bytes).
 * Unsigned 16-bit values are stored with the -32768 offset that BZERO = 32768 undoes.
 * Allocates nothing: the copy is made into dst and swapped there with Buffer's native byte swap.
 */
export function toBigEndian(src: ImageData, dst: Uint8Array): void {
  const n = src.byteLength;
  if (dst.byteLength < n) throw new FitsError('USAGE', 'destination buffer too small');
  dst.set(new Uint8Array(src.buffer, src.byteOffset, n));
  const out = Buffer.from(dst.buffer, dst.byteOffset, n);
  const bpp = src.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN) {
    if (bpp === 2) out.swap16();
    else if (bpp === 4) out.swap32();
    else if (bpp === 8) out.swap64();
  }
  if (src instanceof Uint16Array) {
    // Flip the sign bit: v - 32768 in two's complement, big-endian so the high byte comes first.
    for (let i = 0; i < n; i += 2) out[i] = out[i]! ^ 0x80;
  }
}

/** Allocate a typed array for `count` pixels of a BITPIX (uint16 when bzero is 32768 with BITPIX 16). */
export function allocImage(bitpix: Bitpix, count: number, unsigned16 = false): ImageData {
  switch (bitpix) {
    case 8:
      return new Uint8Array(count);
    case 16:
      return unsigned16 ? new Uint16Array(count) : new Int16Array(count);
    case 32:
      return new Int32Array(count);
    case 64:
      return new BigInt64Array(count);
    case -32:
      return new Float32Array(count);
    case -64:
      return new Float64Array(count);
  }
}

/**
 * Read big-endian FITS bytes into a native typed array of the matching type. For unsigned 16-bit the BZERO
 * offset is applied; other BZERO/BSCALE values are left to the caller (the raw stored values are returned).
 */
export function fromBigEndian(bytes: Uint8Array, bitpix: Bitpix, count: number, unsigned16 = false): ImageData {
  const out = allocImage(bitpix, count, unsigned16);
  const n = out.byteLength;
  if (bytes.byteLength < n) throw new FitsError('TRUNCATED', 'not enough data bytes for the image');
  const view = new Uint8Array(out.buffer, out.byteOffset, n);
  view.set(bytes.subarray(0, n));
  const buf = Buffer.from(out.buffer, out.byteOffset, n);
  const bpp = out.BYTES_PER_ELEMENT;
  if (unsigned16 && bitpix === 16) {
    for (let i = 0; i < n; i += 2) buf[i] = buf[i]! ^ 0x80;
  }
  if (LITTLE_ENDIAN) {
    if (bpp === 2) buf.swap16();
    else if (bpp === 4) buf.swap32();
    else if (bpp === 8) buf.swap64();
  }
  return out;
}
