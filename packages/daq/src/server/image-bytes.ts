/**
 * One amplifier as a raw binary array for clients that do not want FITS, in the layout of ASCOM Alpaca's ImageBytes
 * (Alpaca API Reference §8), served as `application/imagebytes`:
 *
 *   bytes  0-3   MetadataVersion          int32 LE = 1
 *   bytes  4-7   ErrorNumber              int32 LE (0)
 *   bytes  8-11  ClientTransactionID      uint32 LE (echoed from ?ClientTransactionID=, else 0)
 *   bytes 12-15  ServerTransactionID      uint32 LE (counts up per response)
 *   bytes 16-19  DataStart                int32 LE = 44
 *   bytes 20-23  ImageElementType         int32 LE = 2 (Int32)
 *   bytes 24-27  TransmissionElementType  int32 LE = 2 (Int32)
 *   bytes 28-31  Rank                     int32 LE = 2
 *   bytes 32-35  Dimension1               int32 LE = NumX (NAXIS1, columns in readout order)
 *   bytes 36-39  Dimension2               int32 LE = NumY (NAXIS2, rows)
 *   bytes 40-43  Dimension3               int32 LE = 0
 *   bytes 44-    pixels, int32 little-endian, Alpaca order Array[NumX, NumY]: Y varies fastest, i.e. column by
 *                column (element (x, y) at index x*NumY + y). numpy: frombuffer(body[44:], '<i4').reshape(NumX, NumY).T
 *                gives the usual [row, column] image.
 */

export const IMAGE_BYTES_HEADER = 44;
export const ELEMENT_INT32 = 2;

/** Encode an int32 image given in FITS order (x fastest) as an ImageBytes body. */
export function encodeImageBytes(data: Int32Array, numX: number, numY: number, ids: { client: number; server: number }): Buffer {
  if (data.length !== numX * numY) throw new RangeError(`image of ${data.length} pixels is not ${numX} x ${numY}`);
  const out = Buffer.allocUnsafe(IMAGE_BYTES_HEADER + data.length * 4);
  const head = [1, 0, ids.client >>> 0, ids.server >>> 0, IMAGE_BYTES_HEADER, ELEMENT_INT32, ELEMENT_INT32, 2, numX, numY, 0];
  head.forEach((v, i) => out.writeUInt32LE(v >>> 0, i * 4));
  const body = new DataView(out.buffer, out.byteOffset + IMAGE_BYTES_HEADER, data.length * 4);
  let o = 0;
  for (let x = 0; x < numX; x++) {
    for (let y = 0; y < numY; y++) {
      body.setInt32(o, data[y * numX + x]!, true);
      o += 4;
    }
  }
  return out;
}

export interface DecodedImageBytes {
  metadataVersion: number;
  errorNumber: number;
  clientTransactionId: number;
  serverTransactionId: number;
  numX: number;
  numY: number;
  /** Back in FITS order (x fastest). */
  data: Int32Array;
}

export function decodeImageBytes(buf: Uint8Array): DecodedImageBytes {
  if (buf.length < IMAGE_BYTES_HEADER) throw new RangeError('ImageBytes body shorter than its header');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u = (i: number): number => v.getUint32(i * 4, true);
  const dataStart = u(4);
  const numX = u(8);
  const numY = u(9);
  if (u(5) !== ELEMENT_INT32 || u(6) !== ELEMENT_INT32) throw new RangeError('only Int32 ImageBytes are decoded');
  if (buf.length < dataStart + numX * numY * 4) throw new RangeError('ImageBytes body shorter than its dimensions');
  const data = new Int32Array(numX * numY);
  let o = dataStart;
  for (let x = 0; x < numX; x++) {
    for (let y = 0; y < numY; y++) {
      data[y * numX + x] = v.getInt32(o, true);
      o += 4;
    }
  }
  return { metadataVersion: u(0), errorNumber: u(1), clientTransactionId: u(2), serverTransactionId: u(3), numX, numY, data };
}
