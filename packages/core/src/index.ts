/**
 * @daqsim/core: Rubin cameras as data, exposure identifiers exactly as obs_lsst computes them, raw FITS headers
 * that the LSST metadata translators accept, and the sky <-> pixel geometry the header WCS describes.
 */
export { DaqsimError, type DaqsimErrorCode } from './errors.js';
export { Tai, TAI_MINUS_UTC_SECONDS } from './time.js';
export {
  CONTROLLERS,
  DEFAULT_CONTROLLER,
  IMSIM_MAX_EXPOSURE_ID,
  MAX_SEQNUM,
  SIMULATED_CONTROLLERS,
  type Controller,
  type ObsIdParts,
  checkController,
  checkDayObs,
  checkSeqNum,
  dayObs,
  dayObsStart,
  dayObsString,
  detectorExposureId,
  exposureId,
  exposureIdControllerIndex,
  fileName,
  groupId,
  imsimDetectorExposureId,
  imsimVisitId,
  isController,
  isSimulatedController,
  obsId,
  parseObsId,
  unpackExposureId,
  visitIdFromGroupId,
} from './ids.js';
export {
  type AltAz,
  type Site,
  airmass,
  altAzToRaDec,
  gmstDeg,
  lmstDeg,
  precess,
  raDecToAltAz,
  unprecess,
  wrap180,
  wrap360,
} from './astro.js';
export type {
  AmpGeometry,
  AmpLayout,
  Amplifier,
  Box,
  Camera,
  CameraFile,
  CameraSite,
  CameraTiming,
  Detector,
  DetectorRole,
  DetsecStyle,
  Filter,
  HeaderStyle,
  ReservedDays,
} from './cameras/types.js';
export { parseCamera } from './cameras/load.js';
export { type BuiltinCameraKey, getAmp, getCamera, getDetector, getFilter, listCameras, registerCamera } from './cameras/registry.js';
export {
  type AmpToCcd,
  ampAtCcd,
  ampToCcd,
  biasSection,
  boxContains,
  boxSection,
  ccdToAmpRaw,
  ccdToRaw,
  dataSection,
  detectorPlacement,
  detectorSize,
  rawToCcd,
  section,
} from './cameras/geometry.js';
export {
  type Pointing,
  type TanWcs,
  ampRawToSky,
  ampWcs,
  ccdToFocalPlane,
  ccdToSky,
  ccdWcs,
  detectorsAt,
  focalPlaneToCcd,
  focalPlaneToSky,
  skyToAmpRaw,
  skyToCcd,
  skyToFocalPlane,
  skyToTan,
  tanToSky,
  wcsPixelToSky,
} from './wcs.js';
export {
  IMAGE_TYPES,
  MIN_OPEN_EXPTIME,
  type Exposure,
  type ExposureInfo,
  type ImageType,
  type Weather,
  resolveExposure,
} from './exposure.js';
export { ampHeader, primaryHeader, DEFAULT_PROVENANCE, type PrimaryHeaderOptions, type Provenance } from './headers/index.js';
export { renderConstantCcdHdus, writeConstantCcd, type ConstantFrameOptions } from './constant-frame.js';
export { VERSION } from './version.js';
export * from './synth/index.js';
export * from './night/index.js';
export * from './preview/index.js';
