/**
 * @daqsim/fits: the FITS subset Rubin raws use, written and read without dependencies.
 * Headers with typed cards, image HDUs of every BITPIX, CHECKSUM/DATASUM, atomic file writes, and RICE_1
 * tile compression compatible with fpack/funpack, cfitsio and astropy.
 */
export { FitsError, type FitsErrorCode, type FitsErrorLocation } from './errors.js';
export {
  Header,
  makeCard,
  formatCard,
  formatFloat,
  parseHeader,
  validateKeyword,
  BLOCK_LENGTH,
  CARD_LENGTH,
  type Card,
  type CardType,
  type CardValue,
  type SetOptions,
} from './header.js';
export { OnesComplementSum, addSums, checksumOf, encodeChecksum, decodeChecksum } from './checksum.js';
export { type ImageData, type Bitpix, dataKind, toBigEndian, fromBigEndian } from './image-data.js';
export {
  encodeFits,
  writeFits,
  imageHeader,
  FitsFileWriter,
  type HduSpec,
  type ImageStream,
  type WriteOptions,
  type FileWriteOptions,
} from './writer.js';
export {
  FitsFile,
  readFits,
  memorySource,
  fileSource,
  type ByteSource,
  type HduInfo,
  type HduKind,
  type ImageHdu,
  type ChecksumReport,
} from './reader.js';
export {
  riceEncode,
  riceDecode,
  riceMaxBytes,
  RICE_MAX_BLOCK_SIZE,
  type RiceBytepix,
  type RiceInput,
  type RiceOutput,
} from './rice.js';
export {
  compressImageHdu,
  decompressImageHdu,
  isCompressedImageHeader,
  type CompressOptions,
  type IntImageData,
} from './tiled.js';
