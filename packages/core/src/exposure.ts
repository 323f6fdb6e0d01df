/**
 * One exposure as the camera would take it: what a caller specifies (`ExposureInfo`) and everything derived from
 * it (`Exposure`): identifiers, the timeline, pointing and alt/az. Headers are written from an `Exposure` only,
 * so the pixel synthesis can use the very same numbers (DARKTIME for dark current, the pointing for the WCS).
 *
 * Timeline (control.md section 3.1 and the real headers of cameras.md section 6.3):
 *   start (DATE-BEG = DATE-OBS)     integration starts after the clear; the shutter starts to open
 *   + exptime + shutter overhead    DATE-END: shutter shut, readout starts (no overhead when the shutter stays shut)
 *   + readout time (2 s)            readout ends
 *   + 0.3 s                         DATE: the file is written (endOfImageTelemetry comes ~300 ms after readout)
 * DARKTIME is DATE-END - DATE-BEG plus the readout time: a pixel keeps collecting dark current until it is read,
 * and the full readout bounds that for the last row. Real camera headers leave the readout out of DARKTIME; we
 * include it so that the dark current the synthesis puts in (over exptime + readout, as imSim does) is what ISR
 * scales by.
 */
import { DaqsimError } from './errors.js';
import { type AltAz, airmass, altAzToRaDec, raDecToAltAz, wrap360 } from './astro.js';
import type { Camera, Filter } from './cameras/types.js';
import { getFilter } from './cameras/registry.js';
import {
  type Controller,
  DEFAULT_CONTROLLER,
  checkController,
  checkDayObs,
  checkSeqNum,
  dayObs as computeDayObs,
  exposureId as computeExposureId,
  groupId as computeGroupId,
  imsimVisitId,
  isSimulatedController,
  obsId as computeObsId,
  visitIdFromGroupId,
} from './ids.js';
import type { Pointing } from './wcs.js';
import { Tai } from './time.js';

/** IMGTYPE values (ts_observatory_control image types plus SPOT). */
export const IMAGE_TYPES = [
  'BIAS',
  'DARK',
  'FLAT',
  'OBJECT',
  'ENGTEST',
  'ACQ',
  'CWFS',
  'FOCUS',
  'STUTTERED',
  'INDOME',
  'CBP',
  'SFLAT',
  'DFLAT',
  'SPOT',
] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** Types taken with the shutter shut (BIAS is forced to 0 s). */
const SHUTTER_CLOSED: ReadonlySet<ImageType> = new Set(['BIAS', 'DARK']);
/** Types looking at the sky: pointing required, dome open. */
const ON_SKY: ReadonlySet<ImageType> = new Set(['OBJECT', 'ENGTEST', 'ACQ', 'CWFS', 'FOCUS', 'STUTTERED', 'SFLAT']);
/** Shortest open-shutter exposure the camera takes (ts_observatory_control min_exptime). */
export const MIN_OPEN_EXPTIME = 0.1;
/** Delay from the end of readout to the file's DATE. */
const FILE_WRITE_DELAY = 0.3;

export interface Weather {
  /** AIRTEMP, deg C. */
  airTemp: number;
  /** PRESSURE, Pa. */
  pressure: number;
  /** HUMIDITY, percent. */
  humidity: number;
}

const DEFAULT_WEATHER: Weather = { airTemp: 10.0, pressure: 74_300.0, humidity: 35.0 };

/** What a caller specifies about an exposure. Defaults in brackets. */
export interface ExposureInfo {
  imageType: ImageType;
  /** Integration start (DATE-BEG), TAI. */
  start: Tai;
  /** Requested exposure time EXPTIME, seconds (0 for BIAS). */
  expTime: number;
  /** seq_num within the day_obs, 0..99999. */
  seqNum: number;
  /** CONTRLLR [DEFAULT_CONTROLLER = 'S', simulated images]. */
  controller?: Controller;
  /** day_obs [date(start TAI - camera offset)]; give it only to reproduce a given night on purpose. */
  dayObs?: number;
  /** Physical filter name [camera default]. */
  filter?: string;
  /** Boresight ICRS RA/Dec and rotation angle; required for on-sky types [zenith at start, rotation 0]. */
  pointing?: Pointing;
  /** Measured open-shutter time SHUTTIME [expTime; 0 with the shutter shut]. */
  shutterTime?: number;
  /** Readout time [camera timing, 2 s]. */
  readoutTime?: number;
  /** GROUPID [ISO TAI of start]. */
  groupId?: string;
  /** CURINDEX / MAXINDEX: position in a snap sequence, 1-based [1 / 1]. */
  curIndex?: number;
  maxIndex?: number;
  /** PROGRAM ['daqsim'], REASON [image type in lower case, 'science' for OBJECT], OBJECT ['UNKNOWN']. */
  program?: string;
  reason?: string;
  object?: string;
  /** Camera focus FOCUSZ, mm [0]. */
  focusZ?: number;
  weather?: Partial<Weather>;
}

/** An exposure with everything derived. */
export interface Exposure {
  readonly camera: Camera;
  readonly imageType: ImageType;
  /** IMGTYPE as written for this camera (e.g. SKYEXP for OBJECT on imSim). */
  readonly imgTypeHeader: string;
  readonly onSky: boolean;
  readonly shutterOpens: boolean;
  readonly controller: Controller;
  readonly dayObs: number;
  readonly seqNum: number;
  /** OBSID: 'MC_S_20251015_000123', or the integer visit's string for imSim. */
  readonly obsId: string;
  /** obs_lsst exposure_id (imSim: the integer OBSID). */
  readonly exposureId: number;
  /** obs_lsst visit_id (from GROUPID; imSim: the exposure id). */
  readonly visitId: bigint;
  readonly groupId: string;
  readonly curIndex: number;
  readonly maxIndex: number;
  readonly filter: Filter;
  readonly expTime: number;
  readonly shutterTime: number;
  readonly darkTime: number;
  readonly readoutTime: number;
  /** DATE-BEG. */
  readonly start: Tai;
  /** DATE-END: readout starts. */
  readonly end: Tai;
  readonly readoutEnd: Tai;
  /** DATE: file written. */
  readonly fileDate: Tai;
  readonly pointing: Pointing;
  readonly altAzStart: AltAz;
  readonly altAzEnd: AltAz;
  readonly airmassStart: number | null;
  readonly airmassEnd: number | null;
  readonly program: string;
  readonly reason: string;
  readonly object: string;
  readonly focusZ: number;
  readonly weather: Weather;
  /** Whether obs_lsst will report has_simulated_content from CONTRLLR alone. */
  readonly simulatedController: boolean;
}

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw new DaqsimError('BAD_EXPOSURE', message, details);
}

function nonNegative(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0) bad(`${what} must be a finite number >= 0, got ${v}`, { [what]: v });
  return v;
}

function text(v: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(v) || v.length > 68) bad(`${what} must be printable ASCII of at most 68 characters`, { [what]: v });
  return v;
}

/** Derive every identifier, time and angle of an exposure; throws DaqsimError on inconsistent input. */
export function resolveExposure(camera: Camera, info: ExposureInfo): Exposure {
  const imageType = info.imageType;
  if (!(IMAGE_TYPES as readonly string[]).includes(imageType)) bad(`unknown image type ${JSON.stringify(imageType)}`, { imageType });
  if (!(info.start instanceof Tai)) bad('start must be a Tai instant');
  const shutterOpens = !SHUTTER_CLOSED.has(imageType);
  const onSky = ON_SKY.has(imageType);
  const expTime = nonNegative(info.expTime, 'expTime');
  if (imageType === 'BIAS' && expTime !== 0) bad('a BIAS has EXPTIME 0', { expTime });
  if (shutterOpens && expTime < MIN_OPEN_EXPTIME) bad(`an open-shutter exposure needs EXPTIME >= ${MIN_OPEN_EXPTIME} s`, { expTime });
  const readoutTime = nonNegative(info.readoutTime ?? camera.timing.readoutTime, 'readoutTime');
  const shutterTime = shutterOpens ? nonNegative(info.shutterTime ?? expTime, 'shutterTime') : 0;
  if (!shutterOpens && info.shutterTime !== undefined && info.shutterTime !== 0) bad(`${imageType} keeps the shutter shut: SHUTTIME must be 0`);

  const controller = checkController(info.controller ?? DEFAULT_CONTROLLER);
  let day = computeDayObs(info.start, camera.dayObsOffsetHours);
  if (info.dayObs !== undefined) {
    // day_obs is fixed when takeImages starts, so a sequence running past the rollover keeps the previous day;
    // anything else would contradict DATE-BEG, which no translator would notice.
    const given = checkDayObs(info.dayObs);
    const previous = computeDayObs(info.start.plus(-86_400), camera.dayObsOffsetHours);
    if (given !== day && given !== previous) {
      bad(`day_obs ${given} does not match the start time (day_obs ${day})`, { dayObs: given, expected: day });
    }
    day = given;
  }
  for (const w of camera.reservedDayObs) {
    if (day >= w.from && day <= w.to && (w.controllers === undefined || w.controllers.includes(controller))) {
      throw new DaqsimError('BAD_DAYOBS', `day_obs ${day} is reserved for ${camera.name}: ${w.reason}`, { dayObs: day, from: w.from, to: w.to });
    }
  }
  const seqNum = checkSeqNum(info.seqNum);
  const curIndex = info.curIndex ?? 1;
  const maxIndex = info.maxIndex ?? 1;
  if (!Number.isSafeInteger(curIndex) || !Number.isSafeInteger(maxIndex) || curIndex < 1 || curIndex > maxIndex) {
    bad(`need 1 <= CURINDEX <= MAXINDEX, got ${curIndex}/${maxIndex}`, { curIndex, maxIndex });
  }

  const filter = getFilter(camera, info.filter ?? camera.defaultFilter);

  // Times, all whole milliseconds.
  const start = info.start;
  const end = start.plus(expTime + (shutterOpens ? camera.timing.shutterOverhead : 0));
  const readoutEnd = end.plus(readoutTime);
  const fileDate = readoutEnd.plus(FILE_WRITE_DELAY);
  // From whole-millisecond instants, so DARKTIME prints exactly (32.95, not 32.949999999999996).
  const darkTime = readoutEnd.minus(start);

  let pointing = info.pointing;
  if (pointing === undefined) {
    if (onSky) throw new DaqsimError('BAD_POINTING', `${imageType} is an on-sky exposure and needs a pointing`, { imageType });
    // Calibrations: the telescope parked at zenith, so dark frames still get the RA/Dec the translator computes.
    const z = altAzToRaDec(0, 90, start, camera.site);
    pointing = { ra: z.ra, dec: z.dec, rotPA: 0 };
  }
  if (![pointing.ra, pointing.dec, pointing.rotPA].every(Number.isFinite) || Math.abs(pointing.dec) > 90) {
    throw new DaqsimError('BAD_POINTING', 'pointing needs finite ra, dec (|dec| <= 90) and rotPA', { pointing });
  }
  pointing = { ra: wrap360(pointing.ra), dec: pointing.dec, rotPA: pointing.rotPA };
  const altAzStart = raDecToAltAz(pointing.ra, pointing.dec, start, camera.site);
  const altAzEnd = raDecToAltAz(pointing.ra, pointing.dec, end, camera.site);
  if (onSky && Math.min(altAzStart.el, altAzEnd.el) < 0) {
    throw new DaqsimError('BAD_POINTING', `${imageType} at RA ${pointing.ra}, Dec ${pointing.dec} is below the horizon at ${start.toIso()} TAI`, {
      pointing,
      elevation: altAzStart.el,
    });
  }

  let obs: string;
  let expId: number;
  let visitId: bigint;
  const group = info.groupId ?? computeGroupId(start);
  if (camera.headerStyle === 'imsim') {
    // imSim: one integer is OBSID, exposure id and visit id.
    expId = imsimVisitId(day, seqNum);
    obs = String(expId);
    visitId = BigInt(expId);
  } else {
    obs = computeObsId({ camCode: camera.obsIdPrefix!, controller, dayObs: day, seqNum });
    expId = computeExposureId(day, seqNum, controller);
    visitId = visitIdFromGroupId(group);
  }

  const weather = { ...DEFAULT_WEATHER, ...info.weather };
  for (const [k, v] of Object.entries(weather)) if (!Number.isFinite(v)) bad(`weather.${k} must be finite`);

  return {
    camera,
    imageType,
    imgTypeHeader: camera.imageTypeAliases[imageType] ?? imageType,
    onSky,
    shutterOpens,
    controller,
    dayObs: day,
    seqNum,
    obsId: obs,
    exposureId: expId,
    visitId,
    groupId: text(group, 'groupId'),
    curIndex,
    maxIndex,
    filter,
    expTime,
    shutterTime,
    darkTime,
    readoutTime,
    start,
    end,
    readoutEnd,
    fileDate,
    pointing,
    altAzStart,
    altAzEnd,
    airmassStart: airmass(altAzStart.el),
    airmassEnd: airmass(altAzEnd.el),
    program: text(info.program ?? 'daqsim', 'program'),
    reason: text(info.reason ?? (imageType === 'OBJECT' ? 'science' : imageType.toLowerCase()), 'reason'),
    object: text(info.object ?? 'UNKNOWN', 'object'),
    focusZ: info.focusZ ?? 0,
    weather,
    simulatedController: isSimulatedController(controller),
  };
}
