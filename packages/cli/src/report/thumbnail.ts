/** A CCD thumbnail as a PNG data URI: zscale stretch of the block-averaged, overscan-corrected CCD, north up. */
import { encodeGrayPng, toBytes, zscale } from '@daqsim/core';

export interface Thumbnail {
  /** data:image/png;base64,… */
  uri: string;
  width: number;
  height: number;
  /** Display range, electrons. */
  z1: number;
  z2: number;
  /** CCD pixels per thumbnail pixel. */
  factor: number;
}

/** `data` is bottom row first (CCD y = 0 first); the PNG is top row first, so rows are flipped. */
export function makeThumbnail(data: Float32Array, width: number, height: number, factor: number): Thumbnail {
  const finite = data.filter(Number.isFinite);
  const { z1, z2 } = zscale(finite, { samples: 5000 });
  const flipped = new Float32Array(width * height);
  for (let y = 0; y < height; y++) flipped.set(data.subarray((height - 1 - y) * width, (height - y) * width), y * width);
  const gray = toBytes(flipped, { z1, z2 });
  const png = encodeGrayPng(gray, width, height);
  return { uri: `data:image/png;base64,${Buffer.from(png).toString('base64')}`, width, height, z1, z2, factor };
}
