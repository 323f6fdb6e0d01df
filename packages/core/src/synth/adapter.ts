/**
 * Bridges the camera model and exposure description to synthesis' plain inputs: the SynthCcd of a detector,
 * the sky mapping of the same model the header WCS encodes, and the ExposurePlan of an exposure.
 */
import type { Camera, Detector } from '../cameras/types.js';
import type { Exposure } from '../exposure.js';
import { dayObsStart } from '../ids.js';
import { ccdToFocalPlane, ccdToSky, skyToCcdMapper, type Pointing } from '../wcs.js';
import { DEFAULT_EFFECTS, type Band, type SynthCcd, type CcdWcs, type Effects, type ExposurePlan, type RenderKind } from './types.js';

const BANDS = new Set(['u', 'g', 'r', 'i', 'z', 'y']);

/** ccdToFocalPlane with the yaw folded into an affine map once (it runs per source and per illumination call). */
function focalPlaneMapper(det: Detector): (x: number, y: number) => [number, number] {
  const o = ccdToFocalPlane(det, 0, 0);
  const ex = ccdToFocalPlane(det, 1, 0);
  const ey = ccdToFocalPlane(det, 0, 1);
  const [a, b, c, d] = [ex.x - o.x, ey.x - o.x, ex.y - o.y, ey.y - o.y];
  return (x, y) => [o.x + a * x + b * y, o.y + c * x + d * y];
}

/** Synthesis geometry of a detector. */
export function ccdGeometry(det: Detector): SynthCcd {
  const layout = det.layout;
  return {
    detector: det.name,
    detectorId: det.id,
    vendor: det.vendor === 'E2V' ? 'E2V' : 'ITL',
    width: layout.ccdWidth,
    height: layout.ccdHeight,
    amps: det.amps.map((a) => ({
      name: a.name,
      hdu: a.hdu,
      rawWidth: layout.rawWidth,
      rawHeight: layout.rawHeight,
      dataX0: layout.data.x0,
      dataWidth: layout.data.width,
      dataHeight: layout.data.height,
      ccdX0: a.ccdBox.x0,
      ccdY0: a.ccdBox.y0,
      flipX: a.flipX,
      flipY: a.flipY,
      gain: a.gain,
      readNoise: a.readNoise,
      bias: a.biasLevel,
      saturation: a.saturation,
    })),
    focalPlane: focalPlaneMapper(det),
  };
}

/** The sky mapping of a detector for a pointing (no distortion: identical to the header WCS). */
export function ccdSkyMapping(camera: Camera, det: Detector, pointing: Pointing): CcdWcs {
  return {
    skyToPixel: skyToCcdMapper(camera, det, pointing),
    pixelToSky: (x, y) => {
      const s = ccdToSky(camera, det, pointing, x, y);
      return [s.ra, s.dec];
    },
  };
}

/** Arcsec per pixel of a camera (plate scale times pixel size, linear term). */
export function pixelScale(camera: Camera): number {
  return camera.plateScaleArcsecPerMm * camera.pixelSizeMm * (camera.fieldAngleRadialCoeffs[1] ?? 1);
}

/** How synthesis renders each IMGTYPE. */
export function renderKind(imageType: string): RenderKind {
  switch (imageType) {
    case 'BIAS':
    case 'DARK':
    case 'FLAT':
    case 'OBJECT':
    case 'ACQ':
    case 'FOCUS':
    case 'ENGTEST':
    case 'SPOT':
      return imageType;
    case 'CWFS':
      return 'FOCUS';
    case 'STUTTERED':
      return 'OBJECT';
    case 'SFLAT':
    case 'DFLAT':
      return 'FLAT';
    case 'INDOME':
    case 'CBP':
      return 'SPOT';
    default:
      return 'ENGTEST';
  }
}

/** Synthesis options a caller may set; everything else comes from the exposure. */
export interface SynthesisOptions {
  /** Exposure seed [0]. Combined with the exposure id, so every exposure of a night differs. */
  seed?: number;
  /** Sky catalog seed [0]: the same sky for every exposure. */
  skySeed?: number;
  /** Instrument seed [0]: defects, pixel response and bias pattern per detector. */
  instrumentSeed?: number;
  /** PSF FWHM [arcsec] at the detector [0.7 at airmass 1, scaled by airmass^0.6]. */
  seeing?: number;
  /** Faintest magnitude rendered [24]. */
  magLimit?: number;
  /** Flat lamp level [e-/px] [20000]. */
  flatLevel?: number;
  /** Hours since the start of the night, for the bias drift [hours since the day_obs rollover]. */
  hoursIntoNight?: number;
  effects?: Partial<Effects>;
}

/** The pixel plan of a resolved exposure. */
export function planFromExposure(exposure: Exposure, opts: SynthesisOptions = {}): ExposurePlan {
  const band = (BANDS.has(exposure.filter.band) ? exposure.filter.band : 'white') as Band;
  const airmass = exposure.airmassStart ?? 1;
  const hours = opts.hoursIntoNight ?? exposure.start.minus(dayObsStart(exposure.dayObs, exposure.camera.dayObsOffsetHours)) / 3600;
  return {
    camera: exposure.camera.key,
    imageType: renderKind(exposure.imageType),
    band,
    exptime: exposure.expTime,
    readoutTime: exposure.readoutTime,
    ra: exposure.pointing.ra,
    dec: exposure.pointing.dec,
    rotation: exposure.pointing.rotPA,
    airmass,
    seeing: opts.seeing ?? 0.7 * airmass ** 0.6,
    seed: opts.seed ?? 0,
    exposureKey: String(exposure.exposureId),
    skySeed: opts.skySeed ?? 0,
    instrumentSeed: opts.instrumentSeed ?? 0,
    hoursIntoNight: hours,
    flatLevel: opts.flatLevel ?? 20000,
    magLimit: Math.min(opts.magLimit ?? 24, 25),
    effects: { ...DEFAULT_EFFECTS, ...(opts.effects ?? {}) },
  };
}
