/**
 * Photometric calibration per camera and band: zero points (the AB magnitude giving 1 e-/s), atmospheric
 * extinction per airmass, and dark-sky background per pixel. Facts from shared/reference/observing.md §2–3:
 * LSSTCam and ComCam use the v1.9 throughputs; the DC2 camera the older v1.4 throughputs it was simulated with;
 * LATISS has no published zero point, so the LSSTCam one is scaled by the collecting area (about -3.8 mag).
 */
import type { Band } from './types.js';

type PerBand = Record<Exclude<Band, 'white'>, number>;

const ZP_V19: PerBand = { u: 26.524, g: 28.508, r: 28.361, i: 28.171, z: 27.782, y: 26.818 };
const ZP_V14: PerBand = { u: 27.03, g: 28.38, r: 28.16, i: 27.86, z: 27.46, y: 26.68 };
/** zp change per unit airmass (negative: fainter at higher airmass). */
const EXTINCTION: PerBand = { u: -0.458, g: -0.208, r: -0.122, i: -0.074, z: -0.057, y: -0.095 };
/** Fiducial dark-sky background for 0.2" pixels on the Simonyi telescope [e-/s/px]. */
const SKY_V19: PerBand = { u: 1.51, g: 15.45, r: 32.95, i: 52.94, z: 79.4, y: 90.57 };
const DARK_SKY_MAG: PerBand = { u: 22.96, g: 22.26, r: 21.2, i: 20.48, z: 19.6, y: 18.61 };

/** LATISS clear aperture (~0.99 m²) relative to Simonyi's 32.4 m². */
const LATISS_AREA_RATIO = 0.0306;

export interface BandPhotometry {
  /** Zero point at airmass 1 [mag for 1 e-/s]. */
  zp: number;
  extinction: number;
  /** Dark-sky background [e-/s/px] for this camera's pixels. */
  skyRate: number;
}

function realBand(band: Band): Exclude<Band, 'white'> {
  // An unfiltered beam is modelled as r: it only sets the sky and source levels of white-light frames.
  return band === 'white' ? 'r' : band;
}

/** Photometry of a band on a camera; `pixelScale` in arcsec/px. */
export function bandPhotometry(camera: string, band: Band, pixelScale: number): BandPhotometry {
  const b = realBand(band);
  const pixArea = pixelScale * pixelScale;
  if (camera === 'dc2') {
    const zp = ZP_V14[b];
    return { zp, extinction: EXTINCTION[b], skyRate: 10 ** (0.4 * (zp - DARK_SKY_MAG[b])) * pixArea };
  }
  if (camera === 'latiss') {
    const dmag = 2.5 * Math.log10(LATISS_AREA_RATIO);
    return { zp: ZP_V19[b] + dmag, extinction: EXTINCTION[b], skyRate: (SKY_V19[b] / 0.04) * pixArea * LATISS_AREA_RATIO };
  }
  return { zp: ZP_V19[b], extinction: EXTINCTION[b], skyRate: (SKY_V19[b] / 0.04) * pixArea };
}

/** Electrons collected from a source of magnitude `mag` in `t` seconds at airmass `x`. */
export function electronsFromMag(p: BandPhotometry, mag: number, t: number, x: number): number {
  return t * 10 ** (0.4 * (p.zp + p.extinction * (x - 1) - mag));
}
