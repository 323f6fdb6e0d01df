/**
 * The commands of the camera CSCs with their ts_xml parameter names and types, as JSON schemas (fastify validates
 * request bodies against them) and as TypeScript types (the CSC and the client use those).
 *
 * The schemas check shape and size only (a wrong type, an unknown field, an oversized string: HTTP 400). Whether a
 * value makes sense for the camera (numImages >= 1, a known filter) is the CSC's call and ends in a FAILED ack, as on
 * the real system.
 */
import type { CscName } from './profiles.js';

const INT32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 } as const;
const DOUBLE = { type: 'number' } as const;
const BOOL = { type: 'boolean' } as const;
/** ts_xml strings are unbounded; a limit keeps one request from holding megabytes. */
export const MAX_STRING = 8192;
const STRING = { type: 'string', maxLength: MAX_STRING } as const;

export interface CommandParamMap {
  enterControl: Record<string, never>;
  start: { configurationOverride?: string };
  enable: Record<string, never>;
  disable: Record<string, never>;
  standby: Record<string, never>;
  exitControl: Record<string, never>;
  setLogLevel: { level?: number; subsystem?: string };
  takeImages: { numImages: number; expTime: number; shutter?: boolean; sensors?: string; keyValueMap?: string; obsNote?: string };
  startImage: { shutter?: boolean; sensors?: string; keyValueMap?: string; obsNote?: string; timeout?: number };
  endImage: Record<string, never>;
  discardRows: { nRows: number };
  clear: { nClears?: number };
  initImage: { deltaT?: number };
  initGuiders: { roiSpec?: string };
  enableCalibration: Record<string, never>;
  disableCalibration: Record<string, never>;
  stop: Record<string, never>;
  setFilter: { name: string };
  wakeFilterChanger: { mode?: number };
  playlist: { playlist: string; folder?: string; images: string };
  play: { playlist: string; repeat?: boolean };
  alert: { alertId?: string; action?: string };
  generic: { command?: string; arguments?: string };
}

export type CommandName = keyof CommandParamMap;

interface ParamSpec {
  schema: Record<string, unknown>;
  description: string;
}

export interface CommandSpec {
  name: CommandName;
  description: string;
  params: Record<string, ParamSpec>;
  required: string[];
  /** CSCs that have the command (ts_xml). */
  cscs: readonly CscName[];
  /** Summary-state commands; the rest are camera commands that need ENABLED. */
  kind: 'state' | 'camera' | 'any';
}

const ALL: readonly CscName[] = ['ATCamera', 'CCCamera', 'MTCamera'];
const p = (schema: Record<string, unknown>, description: string): ParamSpec => ({ schema, description });

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'enterControl', description: 'OFFLINE -> STANDBY', params: {}, required: [], cscs: ALL, kind: 'state' },
  {
    name: 'start', description: 'STANDBY -> DISABLED, applying a configuration', cscs: ALL, kind: 'state', required: [],
    params: { configurationOverride: p(STRING, 'Configuration to apply: [{name}][:{version}]; blank for the default') },
  },
  { name: 'enable', description: 'DISABLED -> ENABLED', params: {}, required: [], cscs: ALL, kind: 'state' },
  { name: 'disable', description: 'ENABLED -> DISABLED', params: {}, required: [], cscs: ALL, kind: 'state' },
  { name: 'standby', description: 'DISABLED or FAULT -> STANDBY', params: {}, required: [], cscs: ALL, kind: 'state' },
  { name: 'exitControl', description: 'STANDBY -> OFFLINE', params: {}, required: [], cscs: ALL, kind: 'state' },
  {
    name: 'setLogLevel', description: 'Set the log level', cscs: ALL, kind: 'any', required: [],
    params: { level: p(INT32, 'Python logging level (10, 20, 30, 40)'), subsystem: p(STRING, 'Subsystem; blank for the CSC') },
  },
  {
    name: 'takeImages', description: 'Take a sequence of images (LSE-71 takeImages)', cscs: ALL, kind: 'camera', required: ['numImages', 'expTime'],
    params: {
      numImages: p(INT32, 'Number of images'),
      expTime: p(DOUBLE, 'Exposure time of each image [s]'),
      shutter: p(BOOL, 'Open the shutter'),
      sensors: p(STRING, '":"-delimited detectors (Rnn_Snn) to read; blank for all'),
      keyValueMap: p(STRING, '"imageType: XYZ, groupId: ABC, ..."'),
      obsNote: p(STRING, 'Note for the header (OBSANNOT)'),
    },
  },
  {
    name: 'startImage', description: 'Start an integration in calibration mode; endImage ends it', cscs: ALL, kind: 'camera', required: [],
    params: {
      shutter: p(BOOL, 'Open the shutter'),
      sensors: p(STRING, '":"-delimited detectors; blank for all'),
      keyValueMap: p(STRING, '"imageType: XYZ, groupId: ABC, ..."'),
      obsNote: p(STRING, 'Note for the header'),
      timeout: p(DOUBLE, 'Seconds after which the image is abandoned if no endImage arrives'),
    },
  },
  { name: 'endImage', description: 'End the integration started by startImage and read out', params: {}, required: [], cscs: ALL, kind: 'camera' },
  {
    name: 'discardRows', description: 'Discard rows during a calibration integration (stuttered images)', cscs: ALL, kind: 'camera', required: ['nRows'],
    params: { nRows: p(INT32, 'Rows to discard') },
  },
  { name: 'clear', description: 'Clear the sensors', cscs: ALL, kind: 'camera', required: [], params: { nClears: p(INT32, 'Number of clears') } },
  {
    name: 'initImage', description: 'Prepare to take an image soon', cscs: ALL, kind: 'camera', required: [],
    params: { deltaT: p(DOUBLE, 'Estimate of the time before takeImages will be issued [s]') },
  },
  { name: 'initGuiders', description: 'Initialize the guiders', cscs: ALL, kind: 'camera', required: [], params: { roiSpec: p(STRING, 'ROI specification') } },
  { name: 'enableCalibration', description: 'Enter calibration mode (startImage/endImage)', params: {}, required: [], cscs: ALL, kind: 'camera' },
  { name: 'disableCalibration', description: 'Leave calibration mode', params: {}, required: [], cscs: ALL, kind: 'camera' },
  { name: 'stop', description: 'Stop the running command (LSE-71 stop)', params: {}, required: [], cscs: ALL, kind: 'camera' },
  {
    name: 'setFilter', description: 'Put a filter in the beam', cscs: ['CCCamera', 'MTCamera'], kind: 'camera', required: ['name'],
    params: { name: p(STRING, 'The filter name to install') },
  },
  {
    name: 'wakeFilterChanger', description: 'Filter changer power mode', cscs: ['MTCamera'], kind: 'camera', required: [],
    params: { mode: p(INT32, '0 = low power, 1 = prepare for setFilter, 2 = high power') },
  },
  {
    name: 'playlist', description: 'Define a playlist of stored images to replay', cscs: ALL, kind: 'camera', required: ['playlist', 'images'],
    params: {
      playlist: p(STRING, 'Playlist name (replaced if it exists)'),
      folder: p(STRING, 'Folder holding the images, relative to the playlist root'),
      images: p(STRING, '":"-delimited image names'),
    },
  },
  {
    name: 'play', description: 'Read out the playlist images in the following takeImages instead of synthesizing', cscs: ALL, kind: 'camera', required: ['playlist'],
    params: { playlist: p(STRING, 'Playlist name'), repeat: p(BOOL, 'Start again at the end') },
  },
  {
    name: 'alert', description: 'Alert handling (experimental, not implemented by the camera)', cscs: ALL, kind: 'camera', required: [],
    params: { alertId: p(STRING, 'Alert id or *'), action: p(STRING, 'Action') },
  },
  {
    name: 'generic', description: 'A CCS command allowed by the OCS bridge configuration', cscs: ALL, kind: 'camera', required: [],
    params: { command: p(STRING, 'CCS command'), arguments: p(STRING, 'Arguments') },
  },
];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The JSON schema of a command's body. */
export function bodySchema(spec: CommandSpec): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.params)) properties[k] = { ...v.schema, description: v.description };
  return { type: 'object', additionalProperties: false, properties, required: spec.required };
}
