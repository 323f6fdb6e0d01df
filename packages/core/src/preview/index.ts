/** Previews of raw frames for people: the zscale display stretch and a minimal grayscale PNG encoder. */
export { crc32, encodeGrayPng } from './png.js';
export { type ZscaleOptions, type ZscaleRange, toBytes, zscale } from './zscale.js';
