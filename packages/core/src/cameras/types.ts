/**
 * Camera model. A camera is data (packages/core/data/cameras/<key>.json, schema `CameraFile`), validated and
 * expanded by `parseCamera` into the read-only `Camera` below that the header writer and the pixel synthesis use.
 *
 * Coordinate conventions (all 0-based unless a name says FITS):
 * - raw amp pixel (i, j): column and row of the amplifier image in readout order; (0, 0) is the first pixel read.
 *   Columns run serial prescan | data | serial overscan, rows run data | parallel overscan. FITS pixel = (i+1, j+1).
 * - CCD pixel (x, y): the assembled detector in DM (obs_lsst cameraGeom) orientation, as the pipelines see it after
 *   assembly. The focal-plane transform and the sky WCS are defined on it.
 */
import type { Site } from '../astro.js';

/** A pixel box, 0-based: columns x0 .. x0+width-1, rows y0 .. y0+height-1. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Which translator family the primary header is written for: 'lsst' (LSSTCam, LSSTComCam and their Sim
 * variants), 'latiss' (LSST_LATISS) or 'imsim' (LSSTCam-imSim, DC2).
 */
export type HeaderStyle = 'lsst' | 'latiss' | 'imsim';

/**
 * DETSEC convention: 'ccs' writes what real camera (CCS) headers carry, the DM layout mirrored in y (obs_lsst
 * ignores DETSEC, DM-36115); 'dm' writes the DM layout itself, as imSim's DC2 files do.
 */
export type DetsecStyle = 'ccs' | 'dm';

export type DetectorRole = 'science' | 'guider' | 'wavefront';

/** One amplifier's place in a layout (per CCD type, shared by every detector of that type). */
export interface AmpGeometry {
  /** DM amplifier name, e.g. 'C10'. */
  readonly name: string;
  /** EXTNAME of its HDU: 'Segment' + the two digits. */
  readonly extname: string;
  /** 1-based HDU number in the file, which is also the CHANNEL keyword. */
  readonly hdu: number;
  /** 0-based position in HDU order (index into per-amp arrays). */
  readonly index: number;
  /** Grid position of the data block in the assembled CCD. */
  readonly ix: number;
  readonly iy: number;
  /** DM flips: raw data column u (counted from the first data column) lands at x = ccdBox.x0 + width-1-u. */
  readonly flipX: boolean;
  /** Same for rows. */
  readonly flipY: boolean;
  /** Where the data block lands in the assembled CCD (DM orientation). */
  readonly ccdBox: Box;
}

/** Raw amplifier geometry of one CCD type (ITL, E2V, ITL wavefront half, DC2 ITL). */
export interface AmpLayout {
  readonly name: string;
  readonly rawWidth: number;
  readonly rawHeight: number;
  readonly data: Box;
  readonly serialPrescan: Box;
  readonly serialOverscan: Box;
  readonly parallelOverscan: Box;
  /** Assembled CCD size in pixels. */
  readonly ccdWidth: number;
  readonly ccdHeight: number;
  /** CCD pixel that sits at the detector's focal-plane centre (obs_lsst refpos). */
  readonly refPos: readonly [number, number];
  readonly detsecStyle: DetsecStyle;
  /** Amplifiers in HDU order. */
  readonly amps: readonly AmpGeometry[];
}

/** An amplifier of a particular detector: geometry plus nominal electronics. */
export interface Amplifier extends AmpGeometry {
  /** e-/ADU. */
  readonly gain: number;
  /** e- rms. */
  readonly readNoise: number;
  /** Nominal bias (pedestal) level, ADU. */
  readonly biasLevel: number;
  /** Raw saturation level, ADU including the bias. */
  readonly saturation: number;
}

export interface Detector {
  /** DM detector number (detector_num). */
  readonly id: number;
  /** DM detector name, e.g. 'R22_S11' ('RXX_S00' for LATISS). */
  readonly name: string;
  /** RAFTBAY / RAFTNAME as written in headers and file names, e.g. 'R22'. */
  readonly raft: string;
  /** CCDSLOT / SENSNAME, e.g. 'S11', 'SG0', 'SW1'. */
  readonly slot: string;
  readonly role: DetectorRole;
  /** obs_lsst physical type: 'ITL', 'E2V', 'ITL_G', 'ITL_WF'. */
  readonly physicalType: string;
  /** Manufacturer: 'ITL' or 'E2V'. */
  readonly vendor: string;
  /** CCD serial (LSST_NUM). */
  readonly serial: string;
  /** Raft serial (RAFTNAME in LSST-family headers), when known. */
  readonly raftSerial: string | undefined;
  readonly ccdManu: string;
  readonly ccdType: string;
  /** Focal-plane position of refPos, mm (x, y, z); z is the wavefront defocus. */
  readonly centerMm: readonly [number, number, number];
  /** Rotation of the CCD pixel axes in the focal plane, degrees counter-clockwise. */
  readonly yawDeg: number;
  readonly pixelSizeMm: number;
  readonly layout: AmpLayout;
  /** Amplifiers in HDU order. */
  readonly amps: readonly Amplifier[];
}

export interface Filter {
  /** Butler physical_filter the translator will produce, e.g. 'r_57', 'SDSSr_65mm~empty', 'r_sim_1.4'. */
  readonly physical: string;
  /** Abstract band: u g r i z y, or 'white' and the like for non-science elements. */
  readonly band: string;
  /** FILTER header value. */
  readonly filter: string;
  /** GRATING header value (LATISS). */
  readonly grating: string | undefined;
  /** Throughputs version for the PKGnnnnn/VERnnnnn pair (LSSTCam-imSim). */
  readonly throughputsVersion: string | undefined;
}

export interface CameraSite extends Site {
  /** Geocentric OBSGEO-X/Y/Z in metres. */
  readonly obsgeo: readonly [number, number, number];
}

export interface CameraTiming {
  /** CCD readout, seconds. */
  readonly readoutTime: number;
  /** Time from the end of the requested exposure until the shutter is shut and readout starts, seconds. */
  readonly shutterOverhead: number;
}

/** A range of day_obs on which obs_lsst rewrites this instrument's headers, so synthetic data must avoid it. */
export interface ReservedDays {
  /** First and last day_obs (YYYYMMDD), inclusive. */
  readonly from: number;
  readonly to: number;
  /** Only OBSIDs of these controllers are affected (e.g. per-exposure correction files); undefined = all. */
  readonly controllers: string | undefined;
  readonly reason: string;
}

export interface Camera {
  /** Registry key: 'latiss', 'comcam', 'lsstcam', 'dc2'. */
  readonly key: string;
  /** DM instrument name: 'LATISS', 'LSSTComCam', 'LSSTCam', 'LSSTCam-imSim'. */
  readonly name: string;
  readonly description: string;
  readonly headerStyle: HeaderStyle;
  /** INSTRUME value (exact case matters to the translators); null when none is written (imSim). */
  readonly instrume: string | null;
  readonly telescop: string | null;
  /** OBSID camera code: 'AT', 'CC', 'MC'; null for imSim (integer OBSID). */
  readonly obsIdPrefix: string | null;
  /** day_obs = date(TAI - offset): 12 for the summit cameras, 0 for imSim. */
  readonly dayObsOffsetHours: number;
  readonly plateScaleArcsecPerMm: number;
  readonly pixelSizeMm: number;
  /** Radial focal-plane -> field-angle polynomial (c0, c1, c2...); only c1 enters the header WCS (see wcs.ts). */
  readonly fieldAngleRadialCoeffs: readonly number[];
  /** Sky parity: true when the initial WCS flips x (LATISS). */
  readonly wcsFlipX: boolean;
  /** Header keyword for the rotation: ROTPA (= boresight rotation angle) or ROTANGLE (= 90 - angle, imSim). */
  readonly rotationKeyword: 'ROTPA' | 'ROTANGLE';
  readonly site: CameraSite;
  readonly timing: CameraTiming;
  readonly filters: readonly Filter[];
  readonly defaultFilter: string;
  /** IMGTYPE values written instead of ours, e.g. imSim writes SKYEXP for OBJECT. */
  readonly imageTypeAliases: Readonly<Record<string, string>>;
  readonly layouts: Readonly<Record<string, AmpLayout>>;
  /** Nights the translators rewrite; resolveExposure refuses them. */
  readonly reservedDayObs: readonly ReservedDays[];
  /** Detectors in id order. */
  readonly detectors: readonly Detector[];
}

// ---------------------------------------------------------------------------------------------------------------
// The JSON data file (schemaVersion 1), as written by scripts/make-camera-data.py.

/** [x0, y0, width, height]. */
export type BoxJson = [number, number, number, number];

export interface AmpJson {
  name: string;
  ix: number;
  iy: number;
  flipX: boolean;
  flipY: boolean;
}

export interface AmpLayoutJson {
  rawSize: [number, number];
  data: BoxJson;
  serialPrescan: BoxJson;
  serialOverscan: BoxJson;
  parallelOverscan: BoxJson;
  ccdSize: [number, number];
  refpos: [number, number];
  detsecStyle: DetsecStyle;
  amps: AmpJson[];
}

export interface PhysicalTypeJson {
  layout: string;
  vendor: string;
  ccdManu: string;
  ccdType: string;
  biasLevel: number;
  role: DetectorRole;
}

/** A per-amp value: one number for every amp, or an array in HDU order. */
export type PerAmpJson = number | number[];

export interface DetectorJson {
  id: number;
  name: string;
  raft: string;
  slot: string;
  type: string;
  serial: string;
  center: [number, number, number];
  yaw: number;
  gain: PerAmpJson;
  readNoise: PerAmpJson;
  saturation: PerAmpJson;
  /** Optional per-amp bias levels overriding the physical type's nominal one. */
  biasLevel?: PerAmpJson;
}

export interface FilterJson {
  physical: string;
  band: string;
  filter: string;
  grating?: string;
  throughputsVersion?: string;
}

export interface CameraFile {
  schemaVersion: 1;
  key: string;
  name: string;
  description: string;
  headerStyle: HeaderStyle;
  instrume: string | null;
  telescop: string | null;
  obsIdPrefix: string | null;
  dayObsOffsetHours: number;
  plateScaleArcsecPerMm: number;
  pixelSizeMm: number;
  fieldAngleRadialCoeffs: number[];
  wcsFlipX: boolean;
  rotationKeyword: 'ROTPA' | 'ROTANGLE';
  site: { longitude: number; latitude: number; elevation: number; obsgeo: [number, number, number] };
  timing: { readoutTime: number; shutterOverhead: number };
  filters: FilterJson[];
  defaultFilter: string;
  imageTypeAliases?: Record<string, string>;
  ampLayouts: Record<string, AmpLayoutJson>;
  physicalTypes: Record<string, PhysicalTypeJson>;
  raftSerials?: Record<string, string>;
  reservedDayObs?: { from: number; to: number; controllers?: string; reason: string }[];
  detectors: DetectorJson[];
}
