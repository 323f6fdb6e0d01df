/**
 * The inputs of synthesis, as plain serializable data: what to render (the plan) and the geometry and electronics
 * of one CCD. Pixels are a pure function of these, so a worker thread needs nothing else.
 */

export type RenderKind = 'BIAS' | 'DARK' | 'FLAT' | 'OBJECT' | 'ACQ' | 'FOCUS' | 'ENGTEST' | 'SPOT';

export const RENDER_KINDS: readonly RenderKind[] = ['BIAS', 'DARK', 'FLAT', 'OBJECT', 'ACQ', 'FOCUS', 'ENGTEST', 'SPOT'];

export type Band = 'u' | 'g' | 'r' | 'i' | 'z' | 'y' | 'white';

/** Switches for every effect; all on by default except brighter-fatter (not modelled yet). */
export interface Effects {
  sky: boolean;
  sources: boolean;
  flat: boolean;
  dark: boolean;
  cosmicRays: boolean;
  defects: boolean;
  saturation: boolean;
  bleed: boolean;
  crosstalk: boolean;
  nonlinearity: boolean;
  cti: boolean;
  fringes: boolean;
  biasDrift: boolean;
  rowNoise: boolean;
  readNoise: boolean;
  shotNoise: boolean;
}

export const DEFAULT_EFFECTS: Readonly<Effects> = Object.freeze({
  sky: true,
  sources: true,
  flat: true,
  dark: true,
  cosmicRays: true,
  defects: true,
  saturation: true,
  bleed: true,
  crosstalk: true,
  nonlinearity: true,
  cti: true,
  fringes: true,
  biasDrift: true,
  rowNoise: true,
  readNoise: true,
  shotNoise: true,
});

/** Everything that decides the pixels of one exposure. */
export interface ExposurePlan {
  /** Camera key: 'latiss' | 'comcam' | 'lsstcam' | 'dc2' (or any camera data file added later). */
  camera: string;
  imageType: RenderKind;
  band: Band;
  /** Shutter-open time requested [s]; 0 for biases. */
  exptime: number;
  /** Readout time [s], during which dark current and cosmic rays still accumulate. */
  readoutTime: number;
  /** Boresight ICRS [deg] and rotation of the sky in the focal plane [deg]. */
  ra: number;
  dec: number;
  rotation: number;
  airmass: number;
  /** PSF FWHM at the detector [arcsec]. */
  seeing: number;
  /** The exposure's seed: noise, cosmic rays, drifts. */
  seed: number;
  /** Identifies the exposure within the seed (e.g. the exposure id), so two exposures never share noise. */
  exposureKey: string;
  /** Seed of the sky catalog: the same for every exposure, so a patch of sky always holds the same sources. */
  skySeed: number;
  /** Seed of the instrument: defects, pixel response and bias pattern fixed per detector. */
  instrumentSeed: number;
  /** Hours since the start of the night, for the slow bias drift. */
  hoursIntoNight: number;
  /** FLAT: lamp level in electrons per pixel at the centre of the illumination. */
  flatLevel: number;
  /** Faintest magnitude rendered. */
  magLimit: number;
  effects: Effects;
}

/** One amplifier in readout order: raw pixel (0, 0) is the first pixel read. */
export interface SynthAmp {
  name: string;
  /** HDU number in the file (1-based). */
  hdu: number;
  rawWidth: number;
  rawHeight: number;
  /** The data section occupies columns [dataX0, dataX0 + dataWidth) of rows [0, dataHeight). */
  dataX0: number;
  dataWidth: number;
  dataHeight: number;
  /** Where the data block lands in the assembled CCD, and whether it is mirrored on the way. */
  ccdX0: number;
  ccdY0: number;
  flipX: boolean;
  flipY: boolean;
  /** Electronics [e-/ADU], [e-], [ADU], [ADU including bias]. */
  gain: number;
  readNoise: number;
  bias: number;
  saturation: number;
}

/** A CCD as synthesis sees it. Pixel coordinates are 0-based at pixel centres, assembled (DM) orientation. */
export interface SynthCcd {
  detector: string;
  detectorId: number;
  vendor: 'ITL' | 'E2V';
  width: number;
  height: number;
  amps: SynthAmp[];
  /** Focal-plane position of pixel (x, y) [mm], for vignetting. */
  focalPlane(x: number, y: number): [number, number];
}

/** Sky <-> pixel mapping of one CCD for one exposure (the same model the header WCS encodes). */
export interface CcdWcs {
  skyToPixel(ra: number, dec: number): [number, number];
  pixelToSky(x: number, y: number): [number, number];
}
