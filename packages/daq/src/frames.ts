/**
 * The one place @daqsim/daq touches @daqsim/core: camera descriptions, identifiers, the exposure timeline, and the
 * per-CCD frame renderer. Swap `FrameRenderer` implementations (the synthesis worker pool, a playlist, a test stub)
 * without touching the CSC or the server.
 *
 * Core is the truth for an exposure: `planExposure` resolves it with core's `resolveExposure`, and the image cycle
 * paces its events on the resolved instants (DATE-BEG, DATE-END, end of readout), so the events and the file
 * headers always agree.
 */
import {
  DEFAULT_CONTROLLER as CORE_DEFAULT_CONTROLLER,
  DEFAULT_PROVENANCE,
  DaqsimError,
  Tai,
  ampHeader,
  primaryHeader,
  altAzToRaDec,
  dayObs as coreDayObs,
  getCamera,
  getDetector,
  groupId as coreGroupId,
  imsimVisitId,
  IMAGE_TYPES,
  obsId as coreObsId,
  parseObsId,
  renderConstantCcdHdus,
  resolveExposure,
  type Camera,
  type Controller,
  type Exposure,
  type ExposureInfo,
  type ImageType,
} from '@daqsim/core';
import type { HduSpec } from '@daqsim/fits';
import { CommandError } from './errors.js';

export type { HduSpec };
export { IMAGE_TYPES, type ImageType };

/** CONTRLLR of emulated images: 'S', simulated images (core's default; obs_lsst then flags simulated content). */
export const DEFAULT_CONTROLLER: string = CORE_DEFAULT_CONTROLLER;

export type CameraKey = 'latiss' | 'comcam' | 'lsstcam' | 'dc2';
export const CAMERA_KEYS: readonly CameraKey[] = ['latiss', 'comcam', 'lsstcam', 'dc2'];

export function isCameraKey(s: string): s is CameraKey {
  return (CAMERA_KEYS as readonly string[]).includes(s);
}

export interface AmpInfo {
  /** DM amp name, e.g. C10. */
  name: string;
  /** EXTNAME, e.g. Segment10. */
  extname: string;
  /** 1-based HDU number. */
  hdu: number;
  rawWidth: number;
  rawHeight: number;
  /** Serial prescan columns, data columns, serial overscan columns, data rows, parallel overscan rows. */
  preCols: number;
  dataCols: number;
  overCols: number;
  dataRows: number;
  overRows: number;
}

export interface DetectorInfo {
  /** Rnn_Snn as in file names (raft and slot as the headers write them: R00_S00 on LATISS). */
  name: string;
  id: number;
  raft: string;
  slot: string;
  vendor: 'ITL' | 'E2V';
  serial: string;
  raftSerial: string;
  amps: AmpInfo[];
}

export interface FilterInfo {
  /** Physical filter name (setFilter's `name`, header FILTER[~GRATING]). */
  name: string;
  /** ts_xml filterType: u, g, r, i, z, y, none, other. */
  type: string;
}

export interface CameraInfo {
  key: CameraKey;
  /** DM instrument name, the first path element in the store (LATISS, LSSTComCam, LSSTCam, LSSTCam-imSim). */
  instrument: string;
  /** OBSID prefix / imageSource: AT, CC, MC. */
  camCode: string;
  /** imSim frames have an integer OBSID (days since 2020-01-01 * 1000 + seq_num). */
  integerObsId: boolean;
  /** Hours subtracted from TAI to get day_obs. */
  dayObsOffsetHours: number;
  /** The detectors a takeImages reads out when `sensors` is blank: science and wavefront CCDs (guiders write their own files). */
  detectors: DetectorInfo[];
  filters: FilterInfo[];
  defaultFilter: string;
  /** Readout and shutter blade travel [s] from the camera data. */
  readoutTime: number;
  shutterTravel: number;
  /** core's camera model, for renderers. */
  core: Camera;
}

/** What the DAQ asks for when an exposure starts. Times are TAI ms. */
export interface ExposureRequest {
  imageType: string;
  start: number;
  expTime: number;
  seqNum: number;
  dayObs: number;
  controller: string;
  filter: string;
  groupId: string;
  imageIndex: number;
  imagesInSequence: number;
  readoutTime: number;
  program: string;
  reason: string;
  testType: string;
  obsNote: string;
  keyValues: Record<string, string>;
  emulatedImage: string;
  discardedRows: number;
  /** Boresight; on-sky types without one point at the zenith at start. */
  pointing?: { ra: number; dec: number; rotPA: number };
}

/** One exposure as resolved by core, plus what the DAQ adds. Times are TAI ms. */
export interface ExposureRecord extends Omit<ExposureRequest, 'start' | 'pointing'> {
  camera: CameraKey;
  obsId: string;
  /** DATE-BEG = DATE-OBS: integration starts, the shutter starts to open. */
  dateObs: number;
  /** DATE-END: shutter shut, readout starts. */
  dateEnd: number;
  /** End of readout. */
  readoutEnd: number;
  /** DARKTIME and SHUTTIME [s]. */
  darkTime: number;
  shutterOpenTime: number;
  shutter: boolean;
  imageTag: string;
  /** The ExposureInfo given to core and what it resolved to (the synthesis renderer starts from these). */
  info: ExposureInfo;
  resolved: Exposure;
}

export interface RenderOptions {
  compress: boolean;
}

/** Produces the HDUs (primary + one per amp) of one CCD file. */
export interface FrameRenderer {
  renderCcd(exposure: ExposureRecord, detectorName: string, opts: RenderOptions): Promise<HduSpec[]>;
}

/** TAI ms -> 'YYYY-MM-DDThh:mm:ss.sss' (no zone: the value is TAI). */
export function isoTai(ms: number): string {
  return Tai.fromMs(ms).toIso();
}

const cameraCache = new Map<CameraKey, CameraInfo>();

function ampInfo(det: Camera['detectors'][number]): AmpInfo[] {
  const l = det.layout;
  return det.amps.map((a) => ({
    name: a.name,
    extname: a.extname,
    hdu: a.hdu,
    rawWidth: l.rawWidth,
    rawHeight: l.rawHeight,
    preCols: l.serialPrescan.width,
    dataCols: l.data.width,
    overCols: l.serialOverscan.width,
    dataRows: l.data.height,
    overRows: l.parallelOverscan.height,
  }));
}

const BANDS = new Set(['u', 'g', 'r', 'i', 'z', 'y']);

export function describeCamera(key: CameraKey): CameraInfo {
  const hit = cameraCache.get(key);
  if (hit) return hit;
  const cam = getCamera(key);
  const info: CameraInfo = {
    key,
    instrument: cam.name,
    camCode: cam.obsIdPrefix ?? 'MC',
    integerObsId: cam.obsIdPrefix === null,
    dayObsOffsetHours: cam.dayObsOffsetHours,
    detectors: cam.detectors
      .filter((d) => d.role !== 'guider')
      .map((d) => ({
        name: `${d.raft}_${d.slot}`,
        id: d.id,
        raft: d.raft,
        slot: d.slot,
        vendor: d.vendor === 'E2V' ? 'E2V' : 'ITL',
        serial: d.serial,
        raftSerial: d.raftSerial ?? '',
        amps: ampInfo(d),
      })),
    filters: cam.filters.map((f) => ({ name: f.physical, type: BANDS.has(f.band) ? f.band : /^(none|empty)/i.test(f.physical) ? 'none' : 'other' })),
    defaultFilter: cam.defaultFilter,
    readoutTime: cam.timing.readoutTime,
    shutterTravel: cam.timing.shutterOverhead,
    core: cam,
  };
  cameraCache.set(key, info);
  return info;
}

/** day_obs (YYYYMMDD as a number) of a TAI instant. */
export function dayObsAt(camera: CameraInfo, taiMs: number): number {
  return coreDayObs(Tai.fromMs(taiMs), camera.dayObsOffsetHours);
}

/** The image name (OBSID) of a sequence number; throws CommandError for numbers the camera cannot name. */
export function makeObsId(camera: CameraInfo, controller: string, dayObs: number, seqNum: number): string {
  try {
    if (camera.integerObsId) return String(imsimVisitId(dayObs, seqNum));
    return coreObsId({ camCode: camera.camCode, controller: controller as Controller, dayObs, seqNum });
  } catch (e) {
    throw asCommandError(e);
  }
}

/** day_obs of an image name of this camera, or undefined when it is not one. */
export function dayObsOfObsId(camera: CameraInfo, obsId: string): number | undefined {
  if (camera.integerObsId) {
    if (!/^\d{1,7}$/.test(obsId)) return undefined;
    const d = new Date(Date.UTC(2020, 0, 1) + Math.floor(Number(obsId) / 1000) * 86_400_000);
    return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  }
  try {
    const p = parseObsId(obsId);
    return p.camCode === camera.camCode ? p.dayObs : undefined;
  } catch {
    return undefined;
  }
}

/** Group id as ts_observatory_control makes it: the TAI ISO time. */
export function groupIdAt(taiMs: number): string {
  return coreGroupId(Tai.fromMs(taiMs));
}

/** Does this image type keep the shutter shut (core's rule: BIAS and DARK)? */
export function shutterClosedFor(imageType: string): boolean {
  return imageType === 'BIAS' || imageType === 'DARK';
}

function asCommandError(e: unknown): Error {
  if (e instanceof DaqsimError) return new CommandError('BAD_PARAMETER', e.message);
  return e instanceof Error ? e : new Error(String(e));
}

/** Resolve an exposure with core; inconsistent requests become BAD_PARAMETER command errors. */
export function planExposure(camera: CameraInfo, req: ExposureRequest, imageTag: string): ExposureRecord {
  if (!(IMAGE_TYPES as readonly string[]).includes(req.imageType)) {
    throw new CommandError('BAD_PARAMETER', `unknown imageType ${JSON.stringify(req.imageType)}; known: ${IMAGE_TYPES.join(', ')}`);
  }
  const start = Tai.fromMs(req.start);
  const cam = camera.core;
  let pointing = req.pointing;
  if (!pointing && !shutterClosedFor(req.imageType)) {
    // No telescope to ask: on-sky frames look at the zenith (core does the same for calibrations).
    const z = altAzToRaDec(0, 90, start, cam.site);
    pointing = { ra: z.ra, dec: z.dec, rotPA: 0 };
  }
  const info: ExposureInfo = {
    imageType: req.imageType as ImageType,
    start,
    expTime: req.expTime,
    seqNum: req.seqNum,
    controller: req.controller as Controller,
    dayObs: req.dayObs,
    filter: req.filter,
    readoutTime: req.readoutTime,
    groupId: req.groupId,
    curIndex: req.imageIndex,
    maxIndex: req.imagesInSequence,
    ...(req.program ? { program: req.program } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
    ...(pointing ? { pointing } : {}),
  };
  let resolved: Exposure;
  try {
    resolved = resolveExposure(cam, info);
  } catch (e) {
    throw asCommandError(e);
  }
  const { start: _start, pointing: _pointing, ...rest } = req;
  return {
    ...rest,
    camera: camera.key,
    obsId: resolved.obsId,
    dateObs: resolved.start.ms,
    dateEnd: resolved.end.ms,
    readoutEnd: resolved.readoutEnd.ms,
    darkTime: resolved.darkTime,
    shutterOpenTime: resolved.shutterTime,
    shutter: resolved.shutterOpens,
    imageTag,
    info,
    resolved,
  };
}

/**
 * A valid raw CCD file with constant pixels, as core's renderConstantCcdHdus makes it (core's headers, every pixel
 * at the amp's bias level), plus the keywords the HeaderService adds from the DAQ's events: IMAGETAG, OBSANNOT,
 * EMUIMAGE. The constant amp images are allocated once per (size, value) on shared memory and reused: encoder
 * workers read them without a copy, and a 189-CCD exposure does not allocate 14 GB of identical pixels.
 */
class ConstantFrameRenderer implements FrameRenderer {
  private readonly planes = new Map<string, Int32Array>();

  private plane(pixels: number, value: number): Int32Array {
    const key = `${pixels}:${value}`;
    let p = this.planes.get(key);
    if (!p) {
      p = new Int32Array(new SharedArrayBuffer(pixels * 4)).fill(value);
      this.planes.set(key, p);
    }
    return p;
  }

  async renderCcd(e: ExposureRecord, detectorName: string, opts: RenderOptions): Promise<HduSpec[]> {
    const cam = e.resolved.camera;
    const det = getDetector(cam, detectorName);
    const l = det.layout;
    const hdus: HduSpec[] = [{ header: primaryHeader(cam, det, e.resolved, DEFAULT_PROVENANCE, { compressed: opts.compress }) }];
    for (const amp of det.amps) {
      hdus.push({
        header: ampHeader(cam, det, amp, e.resolved.pointing),
        data: this.plane(l.rawWidth * l.rawHeight, Math.round(amp.biasLevel)),
        shape: [l.rawWidth, l.rawHeight],
        ...(opts.compress ? { compress: { algorithm: 'RICE_1' as const } } : {}),
      });
    }
    addDaqKeywords(hdus, e);
    return hdus;
  }
}

/** core's own constant renderer (fresh arrays per call): the reference the shared-plane renderer must match. */
export function renderConstantReference(e: ExposureRecord, detectorName: string, opts: RenderOptions): HduSpec[] {
  const cam = e.resolved.camera;
  const hdus = renderConstantCcdHdus(cam, getDetector(cam, detectorName), e.resolved, { compressed: opts.compress });
  addDaqKeywords(hdus, e);
  return hdus;
}

/** Keywords the HeaderService fills from camera events rather than from the exposure description. */
export function addDaqKeywords(hdus: HduSpec[], e: ExposureRecord): void {
  const h = hdus[0]?.header;
  if (!h) return;
  h.set('IMAGETAG', e.imageTag, 'DAQ image tag');
  if (e.obsNote) h.set('OBSANNOT', e.obsNote.slice(0, 68), 'Observation note');
  if (e.emulatedImage) h.set('EMUIMAGE', e.emulatedImage, 'Image replayed by the emulated DAQ');
}

/** The renderer the server uses unless told otherwise. */
export function defaultFrameRenderer(): FrameRenderer {
  return new ConstantFrameRenderer();
}
