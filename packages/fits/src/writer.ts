/**
 * Writing FITS files: a primary HDU and IMAGE (or tile-compressed image) extensions, each with CHECKSUM and
 * DATASUM, to a temporary name that is renamed into place on close, so no reader ever sees a partial file.
 *
 * Two ways in: `encodeFits` builds a whole file in memory; `FitsFileWriter` writes HDU by HDU (and an
 * uncompressed image chunk by chunk) without holding the file, patching the checksum cards when an HDU ends.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { BLOCK_LENGTH, Header, makeCard } from './header.js';
import { FitsError } from './errors.js';
import { CHECKSUM_PLACEHOLDER, OnesComplementSum, addSums, checksumOf, encodeChecksum } from './checksum.js';
import { type Bitpix, type ImageData, dataKind, toBigEndian } from './image-data.js';
import { type CompressOptions, compressImageHdu } from './tiled.js';

/** One HDU to write. The header holds only the caller's cards; structural keywords are written for it. */
export interface HduSpec {
  header?: Header;
  /** Pixels, FITS order (NAXIS1 varies fastest). Omit for a header-only HDU (NAXIS = 0). */
  data?: ImageData;
  /** [NAXIS1, NAXIS2, ...]; defaults to [data.length]. */
  shape?: readonly number[];
  /** Tile-compress this HDU (extensions with 8/16/32-bit integer data only). */
  compress?: CompressOptions | false;
  /**
   * An HDU encoded elsewhere (e.g. compressed in a worker thread): its complete header, structural keywords
   * included, and its data bytes, written as they are apart from CHECKSUM/DATASUM. `header` cards are appended.
   */
  prepared?: { header: Header; data: Uint8Array };
}

export interface WriteOptions {
  /** Write CHECKSUM and DATASUM on every HDU (default true). */
  checksum?: boolean;
}

export interface FileWriteOptions extends WriteOptions {
  /** fsync the file before renaming it into place (default false: the rename is atomic, not durable). */
  fsync?: boolean;
}

/** Keywords the writer owns; a caller's cards of these names are ignored so they cannot contradict the data. */
const STRUCTURAL = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|BZERO|BSCALE|CHECKSUM|DATASUM|TFIELDS|THEAP|END)$/;

function checkShape(shape: readonly number[], count: number | undefined, hdu: number): void {
  if (shape.length > 999) throw new FitsError('USAGE', 'NAXIS may not exceed 999', { hdu });
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new FitsError('USAGE', `bad axis length ${s}`, { hdu });
    n *= s;
  }
  if (count !== undefined && n !== count) {
    throw new FitsError('USAGE', `shape [${shape.join(', ')}] holds ${n} pixels but the data has ${count}`, { hdu });
  }
}

/** The full uncompressed image header: structural keywords, then the caller's cards. */
export function imageHeader(
  opts: { primary: boolean; bitpix: Bitpix; shape: readonly number[]; bzero?: number },
  user: Header | undefined,
): Header {
  const h = new Header();
  if (opts.primary) h.set('SIMPLE', true, 'conforms to FITS standard');
  else h.set('XTENSION', 'IMAGE', 'image extension');
  h.set('BITPIX', opts.bitpix, 'array data type');
  h.set('NAXIS', opts.shape.length, 'number of array dimensions');
  opts.shape.forEach((s, i) => h.set(`NAXIS${i + 1}`, s));
  if (opts.primary) h.set('EXTEND', true, 'FITS file may contain extensions');
  else {
    h.set('PCOUNT', 0, 'number of parameters');
    h.set('GCOUNT', 1, 'number of groups');
  }
  if (opts.bzero !== undefined) {
    h.set('BZERO', opts.bzero, 'offset data range to that of unsigned short');
    h.set('BSCALE', 1, 'default scaling factor');
  }
  appendUserCards(h, user);
  return h;
}

function appendUserCards(h: Header, user: Header | undefined): void {
  if (!user) return;
  for (const c of user.list()) {
    if (c.type !== 'commentary' && STRUCTURAL.test(c.key)) continue;
    h.push(c);
  }
}

/** A prepared HDU: its header (without checksum cards yet) and its data: bytes, or native pixels to convert. */
interface PreparedHdu {
  header: Header;
  data: Uint8Array;
  pixels?: ImageData;
}

function dataLength(p: PreparedHdu): number {
  return p.pixels ? p.pixels.byteLength : p.data.length;
}

function prepareHdu(spec: HduSpec, index: number): PreparedHdu {
  const primary = index === 0;
  if (spec.prepared) {
    if (spec.data) throw new FitsError('USAGE', 'give either data or a prepared HDU, not both', { hdu: index });
    const header = spec.prepared.header.clone();
    appendUserCards(header, spec.header);
    return { header, data: spec.prepared.data };
  }
  const data = spec.data;
  if (spec.compress) {
    if (primary) throw new FitsError('USAGE', 'the primary HDU cannot be tile-compressed; put the image in an extension', { hdu: index });
    if (!data) throw new FitsError('USAGE', 'nothing to compress: the HDU has no data', { hdu: index });
    if (!(data instanceof Uint8Array || data instanceof Int16Array || data instanceof Uint16Array || data instanceof Int32Array)) {
      throw new FitsError('UNSUPPORTED', 'only 8, 16 and 32-bit integer images can be Rice-compressed', { hdu: index });
    }
    const shape = spec.shape ?? [data.length];
    checkShape(shape, data.length, index);
    try {
      return compressImageHdu(spec.header ?? new Header(), data, shape, spec.compress);
    } catch (e) {
      throw e instanceof FitsError ? e.locate(index) : e;
    }
  }
  if (!data) {
    if (spec.shape && spec.shape.length > 0) throw new FitsError('USAGE', 'shape given without data', { hdu: index });
    return { header: imageHeader({ primary, bitpix: 8, shape: [] }, spec.header), data: new Uint8Array(0) };
  }
  const kind = dataKind(data);
  const shape = spec.shape ?? [data.length];
  checkShape(shape, data.length, index);
  const header = imageHeader(
    { primary, bitpix: kind.bitpix, shape, ...(kind.bzero !== undefined ? { bzero: kind.bzero } : {}) },
    spec.header,
  );
  // Converted to big-endian only where it is written: fresh memory costs page faults (slow on VMs), so no copy.
  return { header, data: new Uint8Array(0), pixels: data };
}

/** Add CHECKSUM/DATASUM for a data sum; returns the final header bytes. */
function sealHeader(header: Header, dataSum: number | null): Uint8Array {
  // CONTINUE is in FITS 4.0, but cfitsio's fitsverify still warns unless LONGSTRN announces it.
  const long = header.firstLongString();
  if (long !== undefined && !header.has('LONGSTRN')) {
    header.insert(long, makeCard('LONGSTRN', 'OGIP 1.0', { comment: 'The OGIP long string convention may be used' }));
  }
  if (dataSum === null) return header.toBytes();
  header.set('CHECKSUM', CHECKSUM_PLACEHOLDER, 'HDU checksum');
  header.set('DATASUM', String(dataSum), 'data unit checksum');
  const first = header.toBytes();
  const sum = addSums(checksumOf(first), dataSum);
  header.set('CHECKSUM', encodeChecksum(sum, true));
  return header.toBytes();
}

function paddedLength(n: number): number {
  return Math.ceil(n / BLOCK_LENGTH) * BLOCK_LENGTH;
}

/** Encode a whole FITS file in memory. hdus[0] is the primary HDU. */
export function encodeFits(hdus: readonly HduSpec[], opts: WriteOptions = {}): Uint8Array {
  if (hdus.length === 0) throw new FitsError('USAGE', 'a FITS file needs at least a primary HDU');
  const checksum = opts.checksum ?? true;
  const prepared = hdus.map((spec, i) => prepareHdu(spec, i));
  // Header sizes do not depend on the checksum values, so the layout is known before any data is converted.
  const headerLengths = prepared.map((p) => sealHeader(p.header.clone(), checksum ? 0 : null).length);
  const total = prepared.reduce((s, p, i) => s + headerLengths[i]! + paddedLength(dataLength(p)), 0);
  const out = new Uint8Array(total);
  let o = 0;
  prepared.forEach((p, i) => {
    const dataAt = o + headerLengths[i]!;
    const n = dataLength(p);
    const dst = out.subarray(dataAt, dataAt + n);
    // Big-endian straight into the output: no intermediate copy.
    if (p.pixels) toBigEndian(p.pixels, dst);
    else dst.set(p.data);
    const headerBytes = sealHeader(p.header, checksum ? checksumOf(dst) : null);
    out.set(headerBytes, o);
    o = dataAt + paddedLength(n);
  });
  return out;
}

/** Write a whole file atomically. */
export async function writeFits(path: string, hdus: readonly HduSpec[], opts: FileWriteOptions = {}): Promise<void> {
  const w = await FitsFileWriter.create(path, opts);
  try {
    for (const h of hdus) await w.writeHdu(h);
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** An uncompressed image HDU being written chunk by chunk. */
export interface ImageStream {
  /** Append pixels (of the HDU's type) in FITS order. */
  write(chunk: ImageData): Promise<void>;
  /** Pad the data unit and finalize CHECKSUM/DATASUM. Fails if fewer pixels were written than the shape holds. */
  end(): Promise<void>;
}

const SCRATCH_BYTES = 1 << 22;

/**
 * Writes a FITS file HDU by HDU to `<path>.tmp-<pid>-<random>` and renames it to `path` on close.
 * Not safe for concurrent use: await each call before the next.
 */
export class FitsFileWriter {
  private position = 0;
  private hduCount = 0;
  private streaming = false;
  private closed = false;
  private scratch: Uint8Array | null = null;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
    private readonly opts: FileWriteOptions,
  ) {}

  static async create(path: string, opts: FileWriteOptions = {}): Promise<FitsFileWriter> {
    const tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tempPath, 'wx');
    return new FitsFileWriter(path, tempPath, fh, opts);
  }

  get hdus(): number {
    return this.hduCount;
  }

  private check(): void {
    if (this.closed) throw new FitsError('USAGE', 'the writer is closed');
    if (this.streaming) throw new FitsError('USAGE', 'an image stream is still open; end() it first');
  }

  private async put(bytes: Uint8Array, at?: number): Promise<void> {
    let done = 0;
    const pos = at ?? this.position;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, pos + done);
      done += bytesWritten;
    }
    if (at === undefined) this.position += bytes.length;
  }

  private async pad(dataLength: number): Promise<void> {
    const extra = paddedLength(dataLength) - dataLength;
    if (extra > 0) await this.put(new Uint8Array(extra));
  }

  /** Write one whole HDU. */
  async writeHdu(spec: HduSpec): Promise<void> {
    this.check();
    const p = prepareHdu(spec, this.hduCount);
    if (p.pixels) {
      // Plain pixels go through the chunked path: big-endian in a reused scratch buffer, checksum as it goes.
      const s = await this.beginImageWithHeader(p.header, p.pixels);
      await s.write(p.pixels);
      await s.end();
      return;
    }
    const checksum = this.opts.checksum ?? true;
    const headerBytes = sealHeader(p.header, checksum ? checksumOf(p.data) : null);
    await this.put(headerBytes);
    await this.put(p.data);
    await this.pad(p.data.length);
    this.hduCount++;
  }

  /**
   * Start an uncompressed image HDU whose pixels arrive in chunks (for example amp rows as they are rendered).
   * `sample` only tells the pixel type; its contents are not written.
   */
  async beginImage(opts: { header?: Header; shape: readonly number[]; sample: ImageData }): Promise<ImageStream> {
    this.check();
    const index = this.hduCount;
    const kind = dataKind(opts.sample);
    checkShape(opts.shape, undefined, index);
    const header = imageHeader(
      {
        primary: index === 0,
        bitpix: kind.bitpix,
        shape: opts.shape,
        ...(kind.bzero !== undefined ? { bzero: kind.bzero } : {}),
      },
      opts.header,
    );
    return this.beginImageWithHeader(header, opts.sample);
  }

  /** Start an image HDU whose complete header (structural keywords included) is given. */
  private async beginImageWithHeader(header: Header, sample: ImageData): Promise<ImageStream> {
    const index = this.hduCount;
    const kind = dataKind(sample);
    const naxis = header.getInt('NAXIS') ?? 0;
    let count = naxis === 0 ? 0 : 1;
    for (let i = 1; i <= naxis; i++) count *= header.getInt(`NAXIS${i}`) ?? 0;
    const checksum = this.opts.checksum ?? true;
    const placeholder = sealHeader(header, checksum ? 0 : null);
    const headerAt = this.position;
    await this.put(placeholder);
    const expectedBytes = count * kind.bytesPerPixel;
    let written = 0;
    const sum = new OnesComplementSum();
    this.streaming = true;
    const ctor = sample.constructor;
    const stream: ImageStream = {
      write: async (chunk: ImageData): Promise<void> => {
        if (chunk.constructor !== ctor) throw new FitsError('USAGE', 'chunk type differs from the HDU type', { hdu: index });
        if (written + chunk.byteLength > expectedBytes) {
          throw new FitsError('USAGE', 'more pixels written than the shape holds', { hdu: index });
        }
        for (let off = 0; off < chunk.length; ) {
          const scratch = (this.scratch ??= new Uint8Array(SCRATCH_BYTES));
          const n = Math.min(chunk.length - off, Math.floor(scratch.length / chunk.BYTES_PER_ELEMENT));
          const part = chunk.subarray(off, off + n);
          const bytes = scratch.subarray(0, part.byteLength);
          toBigEndian(part, bytes);
          sum.update(bytes);
          await this.put(bytes);
          off += n;
        }
        written += chunk.byteLength;
      },
      end: async (): Promise<void> => {
        if (written !== expectedBytes) {
          throw new FitsError('USAGE', `image stream ended after ${written} of ${expectedBytes} bytes`, { hdu: index });
        }
        await this.pad(written);
        if (checksum) {
          // Same card count as the placeholder, so the rewritten header has the same length.
          const final = sealHeader(header, sum.value);
          if (final.length !== placeholder.length) throw new FitsError('USAGE', 'internal: header length changed');
          await this.put(final, headerAt);
        }
        this.streaming = false;
        this.hduCount++;
      },
    };
    return stream;
  }

  /** Flush, optionally fsync, and rename the temp file into place. */
  async close(): Promise<void> {
    this.check();
    if (this.hduCount === 0) throw new FitsError('USAGE', 'a FITS file needs at least a primary HDU');
    this.closed = true;
    try {
      if (this.opts.fsync) await this.fh.sync();
      await this.fh.close();
      await rename(this.tempPath, this.path);
    } catch (e) {
      await unlink(this.tempPath).catch(() => undefined);
      throw e;
    }
  }

  /** Give up: close and delete the temp file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}
