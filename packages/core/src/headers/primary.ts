/**
 * The primary header of a per-CCD raw: every keyword the instrument's metadata translator reads (headers.md
 * sections 3 and 7), in an order close to real Rubin raws, plus daqsim provenance. The header holds the caller
 * cards only: SIMPLE/BITPIX/NAXIS/EXTEND and the checksums are the FITS writer's.
 *
 * Traps it avoids (headers.md section 9): dates are TAI ISO without Z and TIMESYS = 'TAI'; DATE (file time)
 * differs from DATE-OBS; INSTRUME is exactly what the translator matches (lsstCam, ComCam + TELESCOP, LATISS);
 * DAYOBS is the string YYYYMMDD and agrees with DATE-BEG - 12 h; imSim headers carry no INSTRUME and no HASTART.
 */
import { Header } from '@daqsim/fits';
import { DaqsimError } from '../errors.js';
import type { Camera, Detector } from '../cameras/types.js';
import { detectorSize } from '../cameras/geometry.js';
import type { Exposure, ExposureInfo } from '../exposure.js';
import { dayObsString, fileName } from '../ids.js';
import { type Provenance, DEFAULT_PROVENANCE, asExposure, checkProvenance, round } from './common.js';
import { wrap360 } from '../astro.js';

export interface PrimaryHeaderOptions {
  /** The file's amplifier HDUs are tile-compressed (FILENAME gets .fz). */
  compressed?: boolean;
}

/** Angles in the header: 1e-7 deg is 0.4 mas, far below any use, and prints the same everywhere. */
const ANGLE_DECIMALS = 7;

function dates(h: Header, e: Exposure, withBeg: boolean): void {
  h.set('DATE', e.fileDate.toIso(), 'File creation time (TAI)');
  h.setFloat('MJD', e.fileDate.mjd, 'Modified Julian Date of DATE');
  h.set('DATE-OBS', e.start.toIso(), 'Start of the integration (TAI)');
  h.setFloat('MJD-OBS', e.start.mjd, 'Modified Julian Date of DATE-OBS');
  if (withBeg) {
    h.set('DATE-BEG', e.start.toIso(), 'Start of the integration (TAI)');
    h.setFloat('MJD-BEG', e.start.mjd, 'Modified Julian Date of DATE-BEG');
  }
  h.set('DATE-END', e.end.toIso(), 'End of integration, readout start (TAI)');
  h.setFloat('MJD-END', e.end.mjd, 'Modified Julian Date of DATE-END');
  h.set('TIMESYS', 'TAI', 'Time scale of all dates');
}

function site(h: Header, camera: Camera): void {
  const s = camera.site;
  h.setFloat('OBS-LONG', s.longitude, 'Observatory east longitude (deg)');
  h.setFloat('OBS-LAT', s.latitude, 'Observatory latitude (deg)');
  h.setFloat('OBS-ELEV', s.elevation, 'Observatory elevation (m)');
  h.setFloat('OBSGEO-X', s.obsgeo[0], 'Observatory geocentric X (m)');
  h.setFloat('OBSGEO-Y', s.obsgeo[1], 'Observatory geocentric Y (m)');
  h.setFloat('OBSGEO-Z', s.obsgeo[2], 'Observatory geocentric Z (m)');
}

function times(h: Header, e: Exposure): void {
  h.setFloat('EXPTIME', e.expTime, 'Requested exposure time (s)');
  h.setFloat('DARKTIME', e.darkTime, 'Dark time from DATE-BEG to end of readout (s)');
}

function provenance(h: Header, p: Required<Provenance>): void {
  if (p.markSimulated) h.set('SIMULATE', true, 'Synthetic data written by daqsim');
  h.set('DAQSIMV', p.version, 'daqsim package version');
  h.setInt('DAQSEED', p.seed, 'daqsim random seed');
  h.set('DAQPLAN', p.planHash, 'daqsim observing plan hash');
}

function lsstFamily(h: Header, camera: Camera, det: Detector, e: Exposure, compressed: boolean): void {
  const p = e.pointing;
  const a0 = e.altAzStart;
  const a1 = e.altAzEnd;
  dates(h, e, true);
  h.set('IMGTYPE', e.imgTypeHeader, 'Image type');
  h.set('OBSID', e.obsId, 'Observation id');
  h.set('GROUPID', e.groupId, 'Group id of the script execution');
  h.set('INSTRUME', camera.instrume, 'Instrument');
  h.set('TELESCOP', camera.telescop, 'Telescope');
  site(h, camera);
  h.setFloat('RA', round(p.ra, ANGLE_DECIMALS), 'Requested boresight RA (ICRS, deg)');
  h.setFloat('DEC', round(p.dec, ANGLE_DECIMALS), 'Requested boresight Dec (ICRS, deg)');
  h.setFloat('RASTART', round(p.ra, ANGLE_DECIMALS), 'Boresight RA at start (deg)');
  h.setFloat('DECSTART', round(p.dec, ANGLE_DECIMALS), 'Boresight Dec at start (deg)');
  h.setFloat('RAEND', round(p.ra, ANGLE_DECIMALS), 'Boresight RA at end (deg)');
  h.setFloat('DECEND', round(p.dec, ANGLE_DECIMALS), 'Boresight Dec at end (deg)');
  h.setFloat('ROTPA', round(p.rotPA, ANGLE_DECIMALS), 'Boresight rotation angle on the sky (deg)');
  h.set('ROTCOORD', 'sky', 'Rotator coordinate frame');
  h.setFloat('AZSTART', round(a0.az, ANGLE_DECIMALS), 'Azimuth at start (deg, N=0 E=90)');
  h.setFloat('ELSTART', round(a0.el, ANGLE_DECIMALS), 'Elevation at start (deg)');
  if (e.airmassStart !== null) h.setFloat('AMSTART', round(e.airmassStart, 9), 'Airmass at start');
  h.setFloat('AZEND', round(a1.az, ANGLE_DECIMALS), 'Azimuth at end (deg)');
  h.setFloat('ELEND', round(a1.el, ANGLE_DECIMALS), 'Elevation at end (deg)');
  if (e.airmassEnd !== null) h.setFloat('AMEND', round(e.airmassEnd, 9), 'Airmass at end');
  h.set('TRACKSYS', 'RADEC', 'Tracking coordinate system');
  h.set('RADESYS', 'ICRS', 'Coordinate frame of RA/Dec');
  h.setFloat('FOCUSZ', e.focusZ, 'Camera focus offset (mm)');
  h.set('OBJECT', e.object, 'Target name');
  const vignetted = e.onSky ? 'NO' : 'FULLY';
  h.set('VIGNETTE', vignetted, 'Dome vignetting');
  h.set('VIGN_MIN', vignetted, 'Minimum dome vignetting during the exposure');
  h.set('TESTTYPE', e.imageType, 'Test type');
  h.set('CAMCODE', camera.obsIdPrefix, 'Camera code of OBSID');
  h.set('CONTRLLR', e.controller, 'Controller (S = simulated images)');
  h.set('DAYOBS', dayObsString(e.dayObs), 'Observing day (TAI - 12 h)');
  h.setInt('SEQNUM', e.seqNum, 'Sequence number within the day');
  h.set('PROGRAM', e.program, 'Science program');
  h.set('REASON', e.reason, 'Reason for the exposure');
  h.setInt('CURINDEX', e.curIndex, 'Index of this image in its sequence');
  h.setInt('MAXINDEX', e.maxIndex, 'Number of images in the sequence');
  h.set('CCD_MANU', det.ccdManu, 'CCD manufacturer');
  h.set('CCD_TYPE', det.ccdType, 'CCD model');
  h.set('LSST_NUM', det.serial, 'CCD serial number');
  if (det.raftSerial !== undefined) h.set('RAFTNAME', det.raftSerial, 'Raft serial number');
  h.set('RAFTBAY', det.raft, 'Raft bay');
  h.set('CCDSLOT', det.slot, 'CCD slot in the raft');
  h.set('DETSIZE', detectorSize(det.layout), 'Assembled detector size');
  h.setInt('BINX', 1, 'Binning in x');
  h.setInt('BINY', 1, 'Binning in y');
  h.set('BUNIT', 'adu', 'Pixel units');
  h.set('FILTBAND', e.filter.band, 'Filter band');
  h.set('FILTER', e.filter.filter, 'Filter name');
  if (e.filter.grating !== undefined) h.set('GRATING', e.filter.grating, 'Grating or second wheel element');
  times(h, e);
  h.setFloat('SHUTTIME', e.shutterTime, 'Measured open-shutter time (s)');
  h.setFloat('AIRTEMP', e.weather.airTemp, 'Outside air temperature (deg C)');
  h.setFloat('PRESSURE', e.weather.pressure, 'Barometric pressure (Pa)');
  h.setFloat('HUMIDITY', e.weather.humidity, 'Relative humidity (%)');
  h.set('FILENAME', fileName(e.obsId, det.raft, det.slot, compressed), 'Original file name');
}

function imsim(h: Header, camera: Camera, det: Detector, e: Exposure): void {
  const p = e.pointing;
  // No INSTRUME: TESTTYPE = 'IMSIM' selects the LSSTCam-imSim translator, and INSTRUME = LSSTCam would hijack it.
  h.set('TESTTYPE', 'IMSIM', 'Selects the LSSTCam-imSim translator');
  h.setInt('OBSID', e.exposureId, 'Visit number (exposure and visit id)');
  h.set('RUNNUM', String(e.exposureId), 'Run number');
  h.set('DAYOBS', dayObsString(e.dayObs), 'Observing day (TAI date)');
  h.set('IMGTYPE', e.imgTypeHeader, 'Image type');
  dates(h, e, true);
  h.set('TELESCOP', camera.telescop, 'Telescope');
  h.set('RAFTNAME', det.raft, 'Raft');
  h.set('SENSNAME', det.slot, 'Sensor in the raft');
  h.set('CHIPID', det.name, 'Detector name');
  h.set('LSST_NUM', det.serial, 'CCD serial number');
  h.set('CCD_MANU', det.ccdManu, 'CCD manufacturer');
  h.set('CCD_TYPE', det.ccdType, 'CCD model');
  h.set('DETSIZE', detectorSize(det.layout), 'Assembled detector size');
  h.setFloat('RATEL', round(p.ra, ANGLE_DECIMALS), 'Telescope RA (ICRS, deg)');
  h.setFloat('DECTEL', round(p.dec, ANGLE_DECIMALS), 'Telescope Dec (ICRS, deg)');
  // The translator's rotation angle is 90 deg - ROTANGLE.
  h.setFloat('ROTANGLE', round(wrap360(90 - p.rotPA), ANGLE_DECIMALS), 'Rotation angle, 90 - sky rotation (deg)');
  h.set('RADESYS', 'ICRS', 'Coordinate frame of RA/Dec');
  if (e.airmassStart !== null) {
    h.setFloat('AIRMASS', round(e.airmassStart, 9), 'Airmass at start');
    h.setFloat('AMSTART', round(e.airmassStart, 9), 'Airmass at start');
  }
  times(h, e);
  h.set('FILTER', e.filter.filter, 'Filter band');
  h.set('PKG00001', 'throughputs', 'Package of the filter throughputs');
  // parseCamera guarantees a throughputs version on every imSim filter.
  h.set('VER00001', e.filter.throughputsVersion!, 'Throughputs version');
  // DC2 raws were named lsst_a_<visit>_<raft>_<sensor>_<band>.fits; an OUTFILE starting 'lsst' also sets telescope.
  h.set('OUTFILE', `lsst_a_${e.exposureId}_${det.raft}_${det.slot}_${e.filter.band}.fits`, 'Original file name');
}

/**
 * Primary header of one CCD file. `exposure` is either the caller's ExposureInfo (resolved here) or an Exposure
 * already resolved for this camera.
 */
export function primaryHeader(
  camera: Camera,
  detector: Detector,
  exposure: ExposureInfo | Exposure,
  prov: Provenance = DEFAULT_PROVENANCE,
  opts: PrimaryHeaderOptions = {},
): Header {
  if (!camera.detectors.includes(detector)) {
    throw new DaqsimError('UNKNOWN_DETECTOR', `${detector.name} is not a detector of ${camera.name}`, { detector: detector.name });
  }
  const e = asExposure(camera, exposure);
  const p = checkProvenance(prov);
  const h = new Header();
  if (camera.headerStyle === 'imsim') imsim(h, camera, detector, e);
  else lsstFamily(h, camera, detector, e, opts.compressed ?? false);
  provenance(h, p);
  return h;
}
