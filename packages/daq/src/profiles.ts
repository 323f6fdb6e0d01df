/**
 * What differs between the three camera CSCs: the ts_xml name, which optional commands and events exist, the
 * filters, and the pacing (facts: control.md §1, §3.1).
 */
import type { CameraInfo, CameraKey, FilterInfo } from './frames.js';

export type CscName = 'ATCamera' | 'CCCamera' | 'MTCamera';
export const CSC_NAMES: readonly CscName[] = ['ATCamera', 'CCCamera', 'MTCamera'];

export type FilterSpec = FilterInfo;

/** Durations in seconds of emulated time. */
export interface Timing {
  /** Shutter blade travel, each way (the camera data's shutter overhead: DATE-END - DATE-BEG - EXPTIME). */
  shutterMove: number;
  readout: number;
  /** endOfImageTelemetry after endReadout. */
  telemetryDelay: number;
  /** One sensor clear. */
  clear: number;
  /** Filter unload and load (each), and carousel rotation per degree. */
  filterUnload: number;
  filterLoad: number;
  carouselPerDegree: number;
  /** Minimum open-shutter exposure time, and the longest exposure accepted. */
  minExpTime: number;
  maxExpTime: number;
}

export interface CameraProfile {
  csc: CscName;
  camera: CameraKey;
  /** imageSource in the image events: AT, CC, MC. */
  imageSource: string;
  /** setFilter and the filter events (CC, MT). */
  hasFilterChanger: boolean;
  /** imageStored, fitsFilesWritten (AT, CC). */
  hasFileEvents: boolean;
  /** Per-CCD arrays in imageReadoutParameters / focalPlaneSummaryInfo are scalars (AT). */
  scalarPerCcd: boolean;
  filters: FilterSpec[];
  /** The filter in the beam at start-up (for LATISS the FILTER~GRATING of the headers, set on ATSpectrograph). */
  initialFilter: string;
  timing: Timing;
  /** S3 bucket the raws land in. */
  bucket: string;
}

export const DEFAULT_TIMING: Timing = {
  shutterMove: 1,
  readout: 2,
  telemetryDelay: 0.3,
  clear: 0.07,
  filterUnload: 15,
  filterLoad: 15,
  carouselPerDegree: 0.1,
  minExpTime: 0.1,
  maxExpTime: 3600,
};

/** The CSC side of a camera; filters and the shutter/readout timing come from the camera data. */
export function cameraProfile(camera: CameraInfo): CameraProfile {
  const timing: Timing = { ...DEFAULT_TIMING, shutterMove: camera.shutterTravel, readout: camera.readoutTime };
  const common = { camera: camera.key, imageSource: camera.camCode, initialFilter: camera.defaultFilter, timing };
  switch (camera.key) {
    case 'latiss':
      // The LATISS filter and grating belong to ATSpectrograph: no filter commands on ATCamera.
      return { ...common, csc: 'ATCamera', hasFilterChanger: false, hasFileEvents: true, scalarPerCcd: true, filters: [], bucket: 'rubinobs-raw-latiss' };
    case 'comcam':
      return { ...common, csc: 'CCCamera', hasFilterChanger: true, hasFileEvents: true, scalarPerCcd: false, filters: camera.filters, bucket: 'rubinobs-raw-lsstcomcam' };
    case 'lsstcam':
      return { ...common, csc: 'MTCamera', hasFilterChanger: true, hasFileEvents: false, scalarPerCcd: false, filters: camera.filters, bucket: 'rubinobs-raw-lsstcam' };
    case 'dc2':
      return { ...common, csc: 'MTCamera', hasFilterChanger: true, hasFileEvents: false, scalarPerCcd: false, filters: camera.filters, bucket: 'rubinobs-raw-lsstcam-imsim' };
  }
}
