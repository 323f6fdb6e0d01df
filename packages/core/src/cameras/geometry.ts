/**
 * Pure geometry of amplifiers: FITS sections and the mapping between raw amplifier pixels (readout order) and
 * assembled CCD pixels (DM orientation). Coordinates are 0-based floats with pixel centres on integers, so pixel
 * k covers [k - 0.5, k + 0.5); FITS sections and DTV are 1-based.
 */
import type { AmpGeometry, AmpLayout, Amplifier, Box, Detector, DetsecStyle } from './types.js';

/** x = ax * i + bx, y = ay * j + by: raw amp pixel (i, j) -> CCD pixel (x, y). ax, ay are +1 or -1. */
export interface AmpToCcd {
  readonly ax: number;
  readonly bx: number;
  readonly ay: number;
  readonly by: number;
}

/** The affine map of an amplifier's raw pixels into the assembled CCD (exact for data pixels, extended linearly). */
export function ampToCcd(layout: AmpLayout, amp: AmpGeometry): AmpToCcd {
  const { x0: dx0, y0: dy0, width: w, height: h } = layout.data;
  const { x0, y0 } = amp.ccdBox;
  return {
    ax: amp.flipX ? -1 : 1,
    bx: amp.flipX ? x0 + w - 1 + dx0 : x0 - dx0,
    ay: amp.flipY ? -1 : 1,
    by: amp.flipY ? y0 + h - 1 + dy0 : y0 - dy0,
  };
}

/** Raw amplifier pixel -> CCD pixel (DM orientation). */
export function rawToCcd(layout: AmpLayout, amp: AmpGeometry, i: number, j: number): { x: number; y: number } {
  const m = ampToCcd(layout, amp);
  return { x: m.ax * i + m.bx + 0, y: m.ay * j + m.by + 0 };
}

/** CCD pixel -> raw pixel of the given amplifier (meaningful when the CCD pixel lies in that amp's ccdBox). */
export function ccdToRaw(layout: AmpLayout, amp: AmpGeometry, x: number, y: number): { i: number; j: number } {
  const m = ampToCcd(layout, amp);
  // ax, ay are +-1, their own inverses; + 0 turns -0 into 0.
  return { i: m.ax * (x - m.bx) + 0, j: m.ay * (y - m.by) + 0 };
}

/** Whether the pixel containing (x, y) lies in the box. */
export function boxContains(b: Box, x: number, y: number): boolean {
  const px = Math.floor(x + 0.5);
  const py = Math.floor(y + 0.5);
  return px >= b.x0 && px < b.x0 + b.width && py >= b.y0 && py < b.y0 + b.height;
}

/** The amplifier whose data block holds CCD pixel (x, y), or undefined outside the CCD. */
export function ampAtCcd(detector: Detector, x: number, y: number): Amplifier | undefined {
  return detector.amps.find((a) => boxContains(a.ccdBox, x, y));
}

/** CCD pixel -> the amplifier holding it and the raw pixel there; undefined outside the CCD. */
export function ccdToAmpRaw(detector: Detector, x: number, y: number): { amp: Amplifier; i: number; j: number } | undefined {
  const amp = ampAtCcd(detector, x, y);
  if (!amp) return undefined;
  return { amp, ...ccdToRaw(detector.layout, amp, x, y) };
}

/** An IRAF/FITS section string, 1-based inclusive; a reversed range means that axis runs backwards. */
export function section(x1: number, x2: number, y1: number, y2: number): string {
  return `[${x1}:${x2},${y1}:${y2}]`;
}

/** The FITS section of a box. */
export function boxSection(b: Box): string {
  return section(b.x0 + 1, b.x0 + b.width, b.y0 + 1, b.y0 + b.height);
}

/** DATASEC: the data block in raw coordinates, e.g. '[4:512,1:2000]' for ITL. */
export function dataSection(layout: AmpLayout): string {
  return boxSection(layout.data);
}

/** BIASSEC: the serial overscan beside the data rows, e.g. '[513:576,1:2000]' for ITL. */
export function biasSection(layout: AmpLayout): string {
  return boxSection(layout.serialOverscan);
}

/** DETSIZE: '[1:W,1:H]' of the assembled CCD. */
export function detectorSize(layout: AmpLayout): string {
  return section(1, layout.ccdWidth, 1, layout.ccdHeight);
}

/**
 * DETSEC, DTV and DTM of an amplifier: where its data lands in detector coordinates, written so that the first
 * raw data pixel maps to the first DETSEC corner. 'dm' is the DM assembly; 'ccs' mirrors it in y (y -> H + 1 - y),
 * which is what real camera headers carry (cameras.md section 3.2): ITL Segment10 '[509:1,1:2000]', DTV1 = 513.
 * Detector x = DTM1_1 * raw x + DTV1 (1-based), likewise y.
 */
export function detectorPlacement(
  layout: AmpLayout,
  amp: AmpGeometry,
  style: DetsecStyle = layout.detsecStyle,
): { detsec: string; dtv1: number; dtv2: number; dtm11: number; dtm22: number } {
  const m = ampToCcd(layout, amp);
  // 1-based detector coordinate of 1-based raw pixel p: (m.a * (p - 1) + m.b) + 1 = m.a * p + (m.b + 1 - m.a).
  let dtm22 = m.ay;
  let dtv2 = m.by + 1 - m.ay;
  if (style === 'ccs') {
    dtm22 = -dtm22;
    dtv2 = layout.ccdHeight + 1 - dtv2;
  }
  const dtm11 = m.ax;
  const dtv1 = m.bx + 1 - m.ax;
  const { x0: dx0, y0: dy0, width: w, height: h } = layout.data;
  const xs = [dtm11 * (dx0 + 1) + dtv1, dtm11 * (dx0 + w) + dtv1] as const;
  const ys = [dtm22 * (dy0 + 1) + dtv2, dtm22 * (dy0 + h) + dtv2] as const;
  return { detsec: section(xs[0], xs[1], ys[0], ys[1]), dtv1, dtv2, dtm11, dtm22 };
}
