/**
 * The document the dashboard page starts from (GET /api/v1/dashboard): per served CSC its camera, focal-plane
 * layout, filters, image types and pacing; the enumerations the events carry as numbers; and whether commands need
 * a bearer token. Served from the same definitions the CSC uses, so the page cannot drift from them.
 */
import { getDetector } from '@daqsim/core';
import { DAQSIM_VERSION } from '../csc.js';
import type { DaqEmulator } from '../emulator.js';
import {
  AckCode,
  CalibrationDetailedState,
  CCSCommandState,
  FilterChangerDetailedState,
  ImageReadinessDetailedState,
  LogLevel,
  OfflineDetailedState,
  RaftsDetailedState,
  ShutterDetailedState,
  State,
} from '../enums.js';
import { IMAGE_TYPES, shutterClosedFor } from '../frames.js';

export interface DetectorPlacement {
  /** Rnn_Snn as in file names. */
  name: string;
  role: string;
  /** Centre of the CCD's rectangle in the focal plane [mm], its size [mm], and its rotation [deg, counter-clockwise]. */
  x: number;
  y: number;
  width: number;
  height: number;
  yaw: number;
}

export interface DashboardCsc {
  csc: string;
  camera: string;
  instrument: string;
  timeScale: number;
  filters: string[];
  hasSetFilter: boolean;
  imageTypes: Array<{ name: string; shutter: boolean }>;
  timing: { readout: number; shutterMove: number; telemetryDelay: number; minExpTime: number; maxExpTime: number };
  detectors: DetectorPlacement[];
}

export interface DashboardInfo {
  version: string;
  tokenRequired: boolean;
  /** Event field -> name -> value. */
  enums: Record<string, Record<string, number>>;
  cscs: DashboardCsc[];
}

const ENUMS = {
  summaryState: State,
  offlineDetailedState: OfflineDetailedState,
  imageReadinessDetailedState: ImageReadinessDetailedState,
  calibrationDetailedState: CalibrationDetailedState,
  shutterDetailedState: ShutterDetailedState,
  raftsDetailedState: RaftsDetailedState,
  ccsCommandState: CCSCommandState,
  filterChangerDetailedState: FilterChangerDetailedState,
  ack: AckCode,
  logLevel: LogLevel,
};

const round = (v: number): number => Math.round(v * 1000) / 1000;

function placements(em: DaqEmulator): DetectorPlacement[] {
  return em.camera.detectors.map((d) => {
    const det = getDetector(em.camera.core, d.name);
    const l = det.layout;
    const ps = det.pixelSizeMm;
    // centerMm is where the CCD pixel refPos lands; the rectangle's own centre is offset from it in the CCD frame.
    const dx = (l.ccdWidth / 2 - l.refPos[0]) * ps;
    const dy = (l.ccdHeight / 2 - l.refPos[1]) * ps;
    const a = (det.yawDeg * Math.PI) / 180;
    return {
      name: d.name,
      role: det.role,
      x: round(det.centerMm[0] + dx * Math.cos(a) - dy * Math.sin(a)),
      y: round(det.centerMm[1] + dx * Math.sin(a) + dy * Math.cos(a)),
      width: round(l.ccdWidth * ps),
      height: round(l.ccdHeight * ps),
      yaw: det.yawDeg,
    };
  });
}

export function dashboardInfo(emulators: readonly DaqEmulator[], tokenRequired: boolean): DashboardInfo {
  return {
    version: DAQSIM_VERSION,
    tokenRequired,
    enums: ENUMS,
    cscs: emulators.map((em) => {
      const t = em.profile.timing;
      return {
        csc: em.profile.csc,
        camera: em.camera.key,
        instrument: em.camera.instrument,
        timeScale: em.clock.timeScale,
        filters: em.profile.filters.map((f) => f.name),
        hasSetFilter: em.profile.hasFilterChanger,
        imageTypes: IMAGE_TYPES.map((name) => ({ name, shutter: !shutterClosedFor(name) })),
        timing: { readout: t.readout, shutterMove: t.shutterMove, telemetryDelay: t.telemetryDelay, minExpTime: t.minExpTime, maxExpTime: t.maxExpTime },
        detectors: placements(em),
      };
    }),
  };
}
