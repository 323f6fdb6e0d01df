/**
 * Reading FITS files: headers of every HDU, random access to one HDU (earlier HDUs' headers are read to find it,
 * their data never), image data into the matching typed array, and transparent decompression of tile-compressed
 * images. Every size is checked against the bytes that exist before anything is allocated, so a hostile or
 * truncated file gives a FitsError naming the HDU and byte offset instead of a hang or a huge allocation.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_LENGTH, CARD_LENGTH, Header, parseHeader } from './header.js';
import { FitsError } from './errors.js';
import { OnesComplementSum, addSums } from './checksum.js';
import { type Bitpix, type ImageData, fromBigEndian, isBitpix } from './image-data.js';
import { decompressImageHdu, isCompressedImageHeader } from './tiled.js';

/** Where bytes come from: a buffer in memory or a file read with positional reads. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: async () => undefined,
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  const fh: FileHandle = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    read: async (offset, length) => {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? buf : buf.subarray(0, done);
    },
    close: () => fh.close(),
  };
}

export type HduKind = 'primary' | 'image' | 'compressed-image' | 'bintable' | 'table' | 'other';

export interface HduInfo {
  index: number;
  kind: HduKind;
  header: Header;
  /** Byte offset of the header's first card. */
  headerOffset: number;
  headerLength: number;
  dataOffset: number;
  /** Data bytes the header declares (without padding). */
  dataLength: number;
}

export interface ImageHdu {
  index: number;
  /** The image header: for a compressed HDU, the header of the image it holds (ZBITPIX -> BITPIX, ...). */
  header: Header;
  data: ImageData;
  /** [NAXIS1, NAXIS2, ...] */
  shape: number[];
  compressed: boolean;
}

export interface ChecksumReport {
  /** 'ok', 'bad', or 'missing' when the keyword is absent. */
  checksum: 'ok' | 'bad' | 'missing';
  datasum: 'ok' | 'bad' | 'missing';
}

/** Header blocks a single HDU may have before we call the file hostile (about 36 000 cards). */
const MAX_HEADER_BLOCKS = 1000;

function hduKind(h: Header, index: number): HduKind {
  if (index === 0) return 'primary';
  const x = h.get('XTENSION');
  if (x === 'IMAGE') return 'image';
  if (x === 'BINTABLE') return isCompressedImageHeader(h) ? 'compressed-image' : 'bintable';
  if (x === 'TABLE') return 'table';
  return 'other';
}

function requireInt(h: Header, key: string, where: { hdu: number; offset: number }, min: number, max: number): number {
  const c = h.card(key);
  if (c === undefined) throw new FitsError('MISSING_KEYWORD', `mandatory keyword ${key} is missing`, { ...where, keyword: key });
  if (c.type !== 'int' || typeof c.value !== 'number' || c.value < min || c.value > max) {
    throw new FitsError('BAD_HEADER', `${key} must be an integer in [${min}, ${max}]`, { ...where, keyword: key });
  }
  return c.value;
}

/** Declared size of an HDU's data in bytes, validated. */
function dataLengthOf(h: Header, index: number, offset: number): number {
  const where = { hdu: index, offset };
  if (index === 0) {
    if (h.list()[0]?.key !== 'SIMPLE' || h.get('SIMPLE') !== true) {
      throw new FitsError('BAD_HEADER', 'not a FITS file: the first card is not SIMPLE = T', { ...where, keyword: 'SIMPLE' });
    }
  } else if (typeof h.get('XTENSION') !== 'string' || h.list()[0]?.key !== 'XTENSION') {
    throw new FitsError('BAD_HEADER', 'extension header does not start with XTENSION', { ...where, keyword: 'XTENSION' });
  }
  const bitpix = requireInt(h, 'BITPIX', where, -64, 64);
  if (!isBitpix(bitpix)) throw new FitsError('BAD_HEADER', `invalid BITPIX ${bitpix}`, { ...where, keyword: 'BITPIX' });
  const naxis = requireInt(h, 'NAXIS', where, 0, 999);
  if (naxis === 0) {
    return 0;
  }
  let n = 1;
  for (let i = 1; i <= naxis; i++) n *= requireInt(h, `NAXIS${i}`, where, 0, Number.MAX_SAFE_INTEGER);
  const pcount = index === 0 ? 0 : requireInt(h, 'PCOUNT', where, 0, Number.MAX_SAFE_INTEGER);
  const gcount = index === 0 ? 1 : requireInt(h, 'GCOUNT', where, 0, Number.MAX_SAFE_INTEGER);
  const len = (Math.abs(bitpix) / 8) * gcount * (pcount + n);
  if (!Number.isSafeInteger(len)) throw new FitsError('BAD_HEADER', 'declared data size is absurd', where);
  return len;
}

function paddedLength(n: number): number {
  return Math.ceil(n / BLOCK_LENGTH) * BLOCK_LENGTH;
}

/** A FITS file opened for reading. */
export class FitsFile {
  private readonly infos: HduInfo[] = [];
  private scannedAll = false;
  private readonly rawHeaders = new Map<number, Uint8Array>();

  private constructor(private readonly source: ByteSource) {}

  static async open(path: string): Promise<FitsFile> {
    return new FitsFile(await fileSource(path));
  }

  static fromBytes(bytes: Uint8Array): FitsFile {
    return new FitsFile(memorySource(bytes));
  }

  get size(): number {
    return this.source.size;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** Read the header at `offset`, growing the read block by block until END. */
  private async readHeaderAt(offset: number, index: number): Promise<{ header: Header; length: number; raw: Uint8Array }> {
    let blocks = 1;
    for (;;) {
      if (offset + blocks * BLOCK_LENGTH > this.source.size) {
        const avail = this.source.size - offset;
        const raw = await this.source.read(offset, avail);
        try {
          const { header, byteLength } = parseHeader(raw);
          if (byteLength > avail) {
            // END found but the header's last block is incomplete: accept what cfitsio accepts only if whole.
            throw new FitsError('TRUNCATED', 'file ends inside the last header block', { offset: this.source.size });
          }
          return { header, length: byteLength, raw: raw.subarray(0, byteLength) };
        } catch (e) {
          if (e instanceof FitsError) {
            if (e.code === 'TRUNCATED') {
              throw new FitsError('TRUNCATED', 'file ends inside a header (no END card)', { hdu: index, offset: this.source.size });
            }
            throw e.locate(index, offset);
          }
          throw e;
        }
      }
      const raw = await this.source.read(offset, blocks * BLOCK_LENGTH);
      // Only parse once the END card is present, to keep the scan linear.
      if (hasEndCard(raw, (blocks - 1) * BLOCK_LENGTH)) {
        try {
          const { header, byteLength } = parseHeader(raw);
          return { header, length: byteLength, raw: raw.subarray(0, byteLength) };
        } catch (e) {
          throw e instanceof FitsError ? e.locate(index, offset) : e;
        }
      }
      if (blocks >= MAX_HEADER_BLOCKS) {
        throw new FitsError('BAD_HEADER', `no END card in the first ${MAX_HEADER_BLOCKS} header blocks`, { hdu: index, offset });
      }
      blocks++;
    }
  }

  /** Make sure HDU `index` has been located; returns false when the file has fewer HDUs. */
  private async scanTo(index: number): Promise<boolean> {
    while (this.infos.length <= index) {
      if (this.scannedAll) return false;
      const i = this.infos.length;
      const prev = this.infos[i - 1];
      const offset = prev ? prev.dataOffset + paddedLength(prev.dataLength) : 0;
      if (i > 0 && offset >= this.source.size) {
        if (offset > this.source.size) {
          // A file cut inside the last HDU's padding looks complete but may have lost whole HDUs after it.
          throw new FitsError('TRUNCATED', 'file ends inside the padding of the last data unit', { hdu: i - 1, offset: this.source.size });
        }
        this.scannedAll = true;
        return false;
      }
      if (i > 0) {
        // Trailing zero padding after the last HDU (some writers leave it) is not another HDU.
        const probe = await this.source.read(offset, Math.min(BLOCK_LENGTH, this.source.size - offset));
        if (probe.every((b) => b === 0)) {
          this.scannedAll = true;
          return false;
        }
      }
      if (i === 0 && this.source.size < BLOCK_LENGTH) {
        throw new FitsError('TRUNCATED', `file of ${this.source.size} bytes is shorter than one FITS block`, { hdu: 0, offset: 0 });
      }
      const { header, length, raw } = await this.readHeaderAt(offset, i);
      const dataOffset = offset + length;
      const dataLength = dataLengthOf(header, i, offset);
      if (dataOffset + dataLength > this.source.size) {
        throw new FitsError(
          'TRUNCATED',
          `data unit declares ${dataLength} bytes but only ${Math.max(0, this.source.size - dataOffset)} remain`,
          { hdu: i, offset: dataOffset },
        );
      }
      this.rawHeaders.set(i, raw);
      this.infos.push({ index: i, kind: hduKind(header, i), header, headerOffset: offset, headerLength: length, dataOffset, dataLength });
    }
    return true;
  }

  /** Number of HDUs (reads every header). */
  async hduCount(): Promise<number> {
    let i = this.infos.length;
    while (await this.scanTo(i)) i++;
    return this.infos.length;
  }

  /** Location and header of one HDU. */
  async info(index: number): Promise<HduInfo> {
    if (!Number.isInteger(index) || index < 0 || !(await this.scanTo(index))) {
      throw new FitsError('USAGE', `no HDU ${index} in this file (it has ${await this.hduCount()})`);
    }
    return this.infos[index]!;
  }

  async header(index: number): Promise<Header> {
    return (await this.info(index)).header;
  }

  /** Headers of every HDU. */
  async headers(): Promise<Header[]> {
    const n = await this.hduCount();
    return this.infos.slice(0, n).map((x) => x.header);
  }

  /** Index of the first HDU with this EXTNAME, or -1. */
  async findExtension(extname: string): Promise<number> {
    const n = await this.hduCount();
    for (let i = 0; i < n; i++) if (this.infos[i]!.header.get('EXTNAME') === extname) return i;
    return -1;
  }

  /** Raw data bytes of an HDU (unpadded). */
  async dataBytes(index: number): Promise<Uint8Array> {
    const inf = await this.info(index);
    return this.source.read(inf.dataOffset, inf.dataLength);
  }

  /** Read an image HDU (primary, IMAGE, or tile-compressed image) into a typed array. */
  async readImage(index: number): Promise<ImageHdu> {
    const inf = await this.info(index);
    if (inf.kind === 'compressed-image') {
      const bytes = await this.dataBytes(index);
      try {
        const { header, data, shape } = decompressImageHdu(inf.header, bytes);
        return { index, header, data, shape, compressed: true };
      } catch (e) {
        throw e instanceof FitsError ? e.locate(index, inf.dataOffset) : e;
      }
    }
    if (inf.kind !== 'primary' && inf.kind !== 'image') {
      throw new FitsError('UNSUPPORTED', `HDU ${index} is a ${inf.kind}, not an image`, { hdu: index });
    }
    const h = inf.header;
    const bitpix = h.getInt('BITPIX') as Bitpix;
    const naxis = h.getInt('NAXIS') ?? 0;
    const shape: number[] = [];
    for (let i = 1; i <= naxis; i++) shape.push(h.getInt(`NAXIS${i}`)!);
    const count = naxis === 0 ? 0 : shape.reduce((a, b) => a * b, 1);
    const bzero = h.getNumber('BZERO') ?? 0;
    const bscale = h.getNumber('BSCALE') ?? 1;
    const unsigned16 = bitpix === 16 && bzero === 32768 && bscale === 1;
    const bytes = await this.source.read(inf.dataOffset, count * (Math.abs(bitpix) / 8));
    return { index, header: h, data: fromBigEndian(bytes, bitpix, count, unsigned16), shape, compressed: false };
  }

  /** Check CHECKSUM (whole HDU sums to -0) and DATASUM (data unit sum) of one HDU. */
  async verifyChecksums(index: number): Promise<ChecksumReport> {
    const inf = await this.info(index);
    const raw = this.rawHeaders.get(index)!;
    const dataSum = new OnesComplementSum();
    const padded = Math.min(paddedLength(inf.dataLength), this.source.size - inf.dataOffset);
    const CHUNK = 1 << 24;
    for (let o = 0; o < padded; o += CHUNK) dataSum.update(await this.source.read(inf.dataOffset + o, Math.min(CHUNK, padded - o)));
    const ds = dataSum.value;
    const declared = inf.header.get('DATASUM');
    const datasum = declared === undefined ? 'missing' : String(declared) === String(ds) ? 'ok' : 'bad';
    let checksum: ChecksumReport['checksum'] = 'missing';
    if (inf.header.has('CHECKSUM')) {
      const total = addSums(new OnesComplementSum().update(raw).value, ds);
      checksum = total === 0xffffffff || total === 0 ? 'ok' : 'bad';
    }
    return { checksum, datasum };
  }
}

function hasEndCard(raw: Uint8Array, from: number): boolean {
  for (let o = from; o + CARD_LENGTH <= raw.length; o += CARD_LENGTH) {
    if (raw[o] === 0x45 && raw[o + 1] === 0x4e && raw[o + 2] === 0x44) {
      let blank = true;
      for (let k = 3; k < CARD_LENGTH; k++) {
        if (raw[o + k] !== 0x20) {
          blank = false;
          break;
        }
      }
      if (blank) return true;
    }
  }
  return false;
}

/** Convenience: every HDU of an in-memory file, images decoded (non-image HDUs give their header only). */
export async function readFits(bytes: Uint8Array): Promise<Array<ImageHdu | { index: number; header: Header; kind: HduKind }>> {
  const f = FitsFile.fromBytes(bytes);
  const n = await f.hduCount();
  const out: Array<ImageHdu | { index: number; header: Header; kind: HduKind }> = [];
  for (let i = 0; i < n; i++) {
    const inf = await f.info(i);
    if (inf.kind === 'primary' || inf.kind === 'image' || inf.kind === 'compressed-image') out.push(await f.readImage(i));
    else out.push({ index: i, header: inf.header, kind: inf.kind });
  }
  return out;
}
