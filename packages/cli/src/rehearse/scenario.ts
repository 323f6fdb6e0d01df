/**
 * Rehearsal scenarios: YAML files naming a camera, the emulator to drive (a running one, or one started in-process),
 * how many nights, and the steps of a night. Everything is checked before anything is sent, and every error names
 * the offending field (`steps[3].takeImages.expTime`), so a typo costs exit 2, not half a rehearsal.
 *
 * Value checks that the camera itself would make (a known filter, a known sensor, an image type that agrees with
 * the shutter) are applied only to steps expected to COMPLETE: a step with `expect: FAILED` may deliberately send
 * what the camera refuses.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  CAMERA_KEYS,
  COMMANDS,
  DaqError,
  FAULT_SCHEMA,
  IMAGE_TYPES,
  cameraProfile,
  commandSpec,
  defaultConfig,
  describeCamera,
  isCameraKey,
  mergeConfig,
  parseIsoTai,
  parseKeyValueMap,
  shutterClosedFor,
  type CameraInfo,
  type CameraKey,
  type CameraProfile,
  type CommandName,
  type CommandParamMap,
  type CscName,
  type DaqConfig,
  type FaultSpec,
} from '@daqsim/daq';
import { UsageError } from '../shared/output.js';

/** A scenario (or a CLI override of it) is invalid; `field` is the path of the culprit. */
export class ScenarioError extends UsageError {
  constructor(message: string, field: string) {
    super(message, field);
    this.name = 'ScenarioError';
  }
}

export const EXPECTATIONS = ['COMPLETE', 'FAILED', 'ABORTED', 'TIMEOUT', 'ANY'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

export const TARGET_STATES = ['ENABLED', 'DISABLED', 'STANDBY', 'OFFLINE'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

interface StepBase {
  /** Field path of the step in the scenario, e.g. `steps[2].repeat.steps[0]`. */
  at: string;
  note?: string;
}

interface CommandStepBase extends StepBase {
  expect: Expectation;
}

export type Step =
  | (CommandStepBase & { type: 'state'; state: TargetState })
  | (CommandStepBase & { type: 'takeImages'; params: CommandParamMap['takeImages'] })
  | (CommandStepBase & { type: 'setFilter'; filter: string })
  | (CommandStepBase & { type: 'command'; command: CommandName; params: Record<string, string | number | boolean> })
  | (StepBase & { type: 'wait'; seconds: number })
  | (StepBase & { type: 'fault'; spec: FaultSpec })
  | (StepBase & { type: 'clearFaults'; which: 'all' | 'last' })
  | (StepBase & { type: 'repeat'; count: number; steps: Step[] });

export type StepType = Step['type'];

export const BETWEEN = ['wait', 'skip', 'restart'] as const;
export type Between = (typeof BETWEEN)[number];

export interface ServerTarget {
  url: string;
  token?: string;
}

export interface Scenario {
  /** Where it came from (a path, or a label for inline data). */
  source: string;
  name: string;
  description: string;
  camera: CameraKey;
  csc: CscName;
  /** Drive a running emulator... */
  server?: ServerTarget;
  /** ...or start one in-process with this configuration (already validated). */
  start?: DaqConfig;
  nights: number;
  /**
   * How the next night reaches the next day_obs: `wait` lets the emulator's clock run to the rollover; `skip` jumps
   * an in-process emulator's clock to one day after the previous night began; `restart` starts a new in-process
   * emulator there.
   */
  between: Between;
  steps: Step[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(field: string, message: string): never {
  throw new ScenarioError(`${field}: ${message}`, field);
}

function known(obj: Json, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) bad(`${prefix}${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') bad(field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(v: unknown, field: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    bad(field, `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') bad(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Re-home a DaqError from @daqsim/daq's validators (config, ISO time) under the scenario field it came from. */
function rehome<T>(prefix: string, f: () => T, strip = ''): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DaqError) {
      const inner = (e.field ?? '').startsWith(strip) ? (e.field ?? '').slice(strip.length) : (e.field ?? '');
      const field = inner === '' || inner === 'config' ? prefix : `${prefix}.${inner}`;
      const message = e.message.replace(/^[^:]*: /, '');
      bad(field, message);
    }
    throw e;
  }
}

interface Ctx {
  camera: CameraInfo;
  profile: CameraProfile;
}

// ---------------------------------------------------------------------------------------------- target

const START_KEYS = ['timeScale', 'store', 'pixels', 'seed', 'port', 'startTime', 'heartbeat', 'compress', 'config'] as const;

function parseStart(v: unknown, camera: CameraKey): DaqConfig {
  if (!isObject(v)) bad('start', 'must be a mapping (timeScale, store, pixels, seed, port, startTime, heartbeat, compress, config)');
  known(v, START_KEYS, 'start.');
  // Rehearsals start their own emulator on any free port and keep files in memory unless told otherwise.
  let config: DaqConfig = { ...defaultConfig(camera), port: 0, store: null };
  if (v.config !== undefined) {
    if (!isObject(v.config)) bad('start.config', 'must be a mapping of daqsim serve --config fields');
    for (const k of ['camera', 'host', 'token']) if (k in v.config) bad(`start.config.${k}`, 'is set by the scenario (camera) or fixed (loopback, no token) for an in-process emulator');
    const extra = v.config;
    config = rehome('start.config', () => mergeConfig(config, extra));
  }
  const direct: Json = {};
  for (const k of START_KEYS) if (k !== 'config' && v[k] !== undefined) direct[k] = v[k];
  config = rehome('start', () => mergeConfig(config, direct));
  // The HTTP layer answers TIMEOUT after a command's estimate plus this grace, both in emulated time: at 600x the
  // default 30 s is 50 ms of wall time, less than a file write can take. Unless set, allow 2 s of wall time.
  if (!(isObject(v.config) && 'commandTimeoutGrace' in v.config)) config.commandTimeoutGrace = Math.max(config.commandTimeoutGrace, 2 * config.timeScale);
  if (config.startTime !== null) {
    const t = config.startTime;
    rehome('start.startTime', () => parseIsoTai(t, ''));
  }
  return config;
}

function parseServer(v: unknown): ServerTarget {
  if (!isObject(v)) bad('server', 'must be a mapping with url (and token)');
  known(v, ['url', 'token'], 'server.');
  const url = str(v.url, 'server.url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    bad('server.url', `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') bad('server.url', `must be an http(s) URL, got ${JSON.stringify(url)}`);
  return { url, ...(v.token !== undefined && v.token !== null ? { token: str(v.token, 'server.token') } : {}) };
}

// ---------------------------------------------------------------------------------------------- steps

const ACTIONS: readonly StepType[] = ['state', 'takeImages', 'setFilter', 'command', 'wait', 'fault', 'clearFaults', 'repeat'];
const EXPECTING: readonly StepType[] = ['state', 'takeImages', 'setFilter', 'command'];

function parseSteps(v: unknown, field: string, ctx: Ctx): Step[] {
  if (!Array.isArray(v) || v.length === 0) bad(field, 'must be a non-empty list of steps');
  return v.map((s, i) => parseStep(s, `${field}[${i}]`, ctx));
}

function parseStep(v: unknown, at: string, ctx: Ctx): Step {
  if (typeof v === 'string' && (ACTIONS as readonly string[]).includes(v)) bad(at, `${v} needs a value (${v}: ...)`);
  if (!isObject(v)) bad(at, `must be a mapping with one of ${ACTIONS.join(', ')}`);
  const actions = Object.keys(v).filter((k) => (ACTIONS as readonly string[]).includes(k)) as StepType[];
  known(v, [...ACTIONS, 'expect', 'note'], `${at}.`);
  if (actions.length !== 1) bad(at, actions.length === 0 ? `needs one of ${ACTIONS.join(', ')}` : `has ${actions.join(' and ')}; one action per step`);
  const type = actions[0]!;
  const field = `${at}.${type}`;
  const value = v[type];
  const base = { at, ...(v.note !== undefined ? { note: str(v.note, `${at}.note`) } : {}) };
  if (v.expect !== undefined && !EXPECTING.includes(type)) bad(`${at}.expect`, `only ${EXPECTING.join(', ')} steps send camera commands with an ack to expect`);
  const expect = v.expect === undefined ? 'COMPLETE' : oneOf(v.expect, `${at}.expect`, EXPECTATIONS);
  const strict = expect === 'COMPLETE';
  switch (type) {
    case 'state':
      return { ...base, type, expect, state: oneOf(value, field, TARGET_STATES) };
    case 'takeImages':
      return { ...base, type, expect, params: parseTakeImages(value, field, ctx, strict) };
    case 'setFilter': {
      if (!ctx.profile.hasFilterChanger) bad(field, `${ctx.profile.csc} (${ctx.camera.instrument}) has no filter changer; ${ctx.camera.key === 'latiss' ? 'the LATISS filter belongs to ATSpectrograph' : 'remove the step'}`);
      const name = str(value, field);
      if (strict && !ctx.camera.filters.some((f) => f.name === name)) bad(field, `unknown filter ${JSON.stringify(name)}; ${ctx.camera.instrument} has ${ctx.camera.filters.map((f) => f.name).join(', ')}`);
      return { ...base, type, expect, filter: name };
    }
    case 'command':
      return { ...base, type, expect, ...parseCommand(value, field, ctx) };
    case 'wait':
      return { ...base, type, seconds: num(value, field, 0, 7 * 86400) };
    case 'fault':
      return { ...base, type, spec: parseFault(value, field, ctx) };
    case 'clearFaults': {
      if (value !== true && value !== 'all' && value !== 'last') bad(field, 'must be all (or true) or last');
      return { ...base, type, which: value === 'last' ? 'last' : 'all' };
    }
    case 'repeat': {
      if (!isObject(value)) bad(field, 'must be a mapping with count and steps');
      known(value, ['count', 'steps'], `${field}.`);
      return { ...base, type, count: num(value.count, `${field}.count`, 1, 100_000, true), steps: parseSteps(value.steps, `${field}.steps`, ctx) };
    }
  }
}

const TAKE_IMAGES_KEYS = ['numImages', 'expTime', 'shutter', 'keyValueMap', 'sensors', 'obsNote'] as const;

function parseTakeImages(v: unknown, field: string, ctx: Ctx, strict: boolean): CommandParamMap['takeImages'] {
  if (!isObject(v)) bad(field, `must be a mapping of ${TAKE_IMAGES_KEYS.join(', ')}`);
  known(v, TAKE_IMAGES_KEYS, `${field}.`);
  const numImages = v.numImages === undefined ? 1 : num(v.numImages, `${field}.numImages`, strict ? 1 : -2147483648, strict ? 1000 : 2147483647, true);
  if (v.expTime === undefined) bad(`${field}.expTime`, 'is required (seconds)');
  const expTime = num(v.expTime, `${field}.expTime`, strict ? 0 : -Infinity, strict ? 3600 : Infinity);
  const kvText = v.keyValueMap === undefined ? '' : keyValueMap(v.keyValueMap, `${field}.keyValueMap`);
  const kv = new Map(parseKeyValueMap(kvText));
  const imageType = kv.get('imageType')?.toUpperCase();
  if (strict && imageType !== undefined && !(IMAGE_TYPES as readonly string[]).includes(imageType)) {
    bad(`${field}.keyValueMap.imageType`, `unknown image type ${JSON.stringify(imageType)}; one of ${IMAGE_TYPES.join(', ')}`);
  }
  // The shutter follows the image type unless given: closed for BIAS and DARK, open for the rest.
  const shutter = v.shutter === undefined ? (imageType !== undefined ? !shutterClosedFor(imageType) : false) : bool(v.shutter, `${field}.shutter`);
  if (strict && imageType !== undefined && shutterClosedFor(imageType) === shutter) {
    bad(`${field}.shutter`, `imageType ${imageType} is taken with the shutter ${shutter ? 'closed (shutter: false)' : 'open (shutter: true)'}`);
  }
  if (strict && shutter && expTime < 0.1) bad(`${field}.expTime`, `must be >= 0.1 s with the shutter open, got ${expTime}`);
  const out: CommandParamMap['takeImages'] = { numImages, expTime, shutter };
  if (v.sensors !== undefined) out.sensors = sensors(v.sensors, `${field}.sensors`, ctx, strict);
  if (kvText !== '') out.keyValueMap = kvText;
  if (v.obsNote !== undefined) out.obsNote = str(v.obsNote, `${field}.obsNote`);
  return out;
}

/** keyValueMap as a YAML mapping (`{imageType: FLAT, groupId: g1}`) or the camera's own "k: v, k: v" string. */
function keyValueMap(v: unknown, field: string): string {
  let text: string;
  if (typeof v === 'string') text = v;
  else if (isObject(v)) {
    text = Object.entries(v)
      .map(([k, x]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(`${field}.${k}`, 'keys must be identifiers');
        if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') bad(`${field}.${k}`, 'must be a string, number or boolean');
        const s = String(x);
        // The camera splits the map on ","; a value holding one would become two entries.
        if (s.includes(',')) bad(`${field}.${k}`, `must not contain "," (the camera splits keyValueMap on it): ${JSON.stringify(s)}`);
        return `${k}: ${s}`;
      })
      .join(', ');
  } else bad(field, 'must be a mapping (imageType: OBJECT, ...) or a "key: value, ..." string');
  try {
    parseKeyValueMap(text);
  } catch (e) {
    bad(field, e instanceof Error ? e.message : String(e));
  }
  if (text.length > 8192) bad(field, 'is longer than 8192 characters');
  return text;
}

function sensors(v: unknown, field: string, ctx: Ctx, strict: boolean): string {
  let list: string[];
  if (typeof v === 'string') list = v.split(':').map((s) => s.trim()).filter((s) => s !== '');
  else if (Array.isArray(v)) list = v.map((s, i) => str(s, `${field}[${i}]`));
  else bad(field, 'must be a list of detector names (Rnn_Snn) or a ":"-delimited string');
  if (strict) {
    const all = ctx.camera.detectors.map((d) => d.name);
    for (const s of list) if (!all.includes(s)) bad(field, `unknown sensor ${s}; ${ctx.camera.instrument} has ${all.length <= 9 ? all.join(', ') : `${all.length} detectors (${all[0]} ...)`}`);
  }
  return list.join(':');
}

function parseFault(v: unknown, field: string, ctx: Ctx): FaultSpec {
  if (!isObject(v)) bad(field, 'must be a mapping with kind (and the fields that kind takes)');
  // One source of truth for fault specs: @daqsim/daq's config validator, plus the API schema's patterns.
  const spec = rehome(field, () => mergeConfig(defaultConfig(ctx.camera.key), { faults: [v] }).faults[0]!, 'faults[0].');
  for (const [k, schema] of Object.entries(FAULT_SCHEMA.properties)) {
    const value = (spec as unknown as Json)[k];
    if (typeof value === 'string' && 'pattern' in schema && !new RegExp(schema.pattern).test(value)) bad(`${field}.${k}`, `must match ${schema.pattern}, got ${JSON.stringify(value)}`);
  }
  if (spec.detector !== undefined && !ctx.camera.detectors.some((d) => d.name === spec.detector)) bad(`${field}.detector`, `no detector ${spec.detector} on ${ctx.camera.instrument}`);
  return spec;
}

const STATE_COMMANDS: readonly string[] = ['enterControl', 'start', 'enable', 'disable', 'standby', 'exitControl'];

function parseCommand(v: unknown, field: string, ctx: Ctx): { command: CommandName; params: Record<string, string | number | boolean> } {
  if (!isObject(v)) bad(field, 'must be a mapping with name (and params)');
  known(v, ['name', 'params'], `${field}.`);
  const name = str(v.name, `${field}.name`);
  const spec = commandSpec(name);
  if (!spec || !spec.cscs.includes(ctx.profile.csc)) {
    bad(`${field}.name`, `${ctx.profile.csc} has no command ${JSON.stringify(name)}; one of ${COMMANDS.filter((c) => c.cscs.includes(ctx.profile.csc)).map((c) => c.name).join(', ')}`);
  }
  if (STATE_COMMANDS.includes(name) || name === 'takeImages' || name === 'setFilter') {
    // Those have their own steps, which also keep the recording's summary (state walks, images) meaningful.
    bad(`${field}.name`, `use the ${STATE_COMMANDS.includes(name) ? 'state' : name} step for ${name}`);
  }
  const params: Record<string, string | number | boolean> = {};
  if (v.params !== undefined) {
    if (!isObject(v.params)) bad(`${field}.params`, 'must be a mapping');
    for (const [k, x] of Object.entries(v.params)) {
      const p = spec.params[k];
      if (!p) bad(`${field}.params.${k}`, `unknown parameter of ${name} (has: ${Object.keys(spec.params).join(', ') || 'none'})`);
      const type = (p.schema as { type?: string }).type;
      const ok = type === 'string' ? typeof x === 'string' : type === 'boolean' ? typeof x === 'boolean' : type === 'integer' ? Number.isInteger(x) : typeof x === 'number' && Number.isFinite(x);
      if (!ok) bad(`${field}.params.${k}`, `must be ${type === 'integer' ? 'an integer' : `a ${type}`}`);
      params[k] = x as string | number | boolean;
    }
  }
  for (const r of spec.required) if (!(r in params)) bad(`${field}.params.${r}`, `is required by ${name}`);
  return { command: name as CommandName, params };
}

// ---------------------------------------------------------------------------------------------- scenario

export interface ScenarioOverrides {
  /** Drive this running emulator instead of the scenario's server or start. */
  url?: string;
  token?: string;
  timeScale?: number;
  store?: string;
  nights?: number;
}

const TOP_KEYS = ['name', 'description', 'camera', 'server', 'start', 'nights', 'between', 'steps'] as const;

/** Validate parsed scenario data (from YAML or JSON), with command-line overrides applied first. */
export function checkScenario(input: unknown, source = '<scenario>', overrides: ScenarioOverrides = {}): Scenario {
  if (!isObject(input)) bad('scenario', 'must be a mapping with camera, server or start, and steps');
  const raw: Json = structuredClone(input);
  if (overrides.url !== undefined) {
    delete raw.start;
    raw.server = { url: overrides.url, ...(overrides.token !== undefined ? { token: overrides.token } : {}) };
    // A running server's clock can only be waited on.
    if (raw.between === 'skip' || raw.between === 'restart') raw.between = 'wait';
  } else if (overrides.token !== undefined && isObject(raw.server)) raw.server = { ...raw.server, token: overrides.token };
  if (overrides.timeScale !== undefined || overrides.store !== undefined) {
    if (!isObject(raw.start)) bad(overrides.timeScale !== undefined ? 'time-scale' : 'store', 'only applies when the scenario starts its own emulator (start:)');
    raw.start = { ...raw.start, ...(overrides.timeScale !== undefined ? { timeScale: overrides.timeScale } : {}), ...(overrides.store !== undefined ? { store: overrides.store } : {}) };
  }
  if (overrides.nights !== undefined) raw.nights = overrides.nights;

  known(raw, TOP_KEYS, '');
  if (raw.camera === undefined) bad('camera', `is required: one of ${CAMERA_KEYS.join(', ')}`);
  const cameraKey = str(raw.camera, 'camera');
  if (!isCameraKey(cameraKey)) bad('camera', `must be one of ${CAMERA_KEYS.join(', ')}, got ${JSON.stringify(cameraKey)}`);
  const camera = describeCamera(cameraKey);
  const profile = cameraProfile(camera);
  if ((raw.server === undefined) === (raw.start === undefined)) {
    bad(raw.server === undefined ? 'server' : 'start', 'give exactly one of server (drive a running emulator) or start (start one in-process)');
  }
  const server = raw.server !== undefined ? parseServer(raw.server) : undefined;
  const start = raw.start !== undefined ? parseStart(raw.start, cameraKey) : undefined;
  const nights = raw.nights === undefined ? 1 : num(raw.nights, 'nights', 1, 366, true);
  const between = raw.between === undefined ? 'wait' : oneOf(raw.between, 'between', BETWEEN);
  if (between !== 'wait' && !start) bad('between', `${between} needs an emulator the rehearsal starts itself (start:); a running server can only be waited on`);
  if (between === 'wait' && nights > 1 && start && start.timeScale === 0) {
    bad('between', 'at start.timeScale 0 emulated time runs at wall speed: waiting for the next day_obs takes hours; use between: skip (or restart), or a time scale > 0');
  }
  const steps = parseSteps(raw.steps, 'steps', { camera, profile });
  return {
    source,
    name: raw.name === undefined ? source.replace(/^.*\//, '').replace(/\.ya?ml$|\.json$/i, '') : str(raw.name, 'name'),
    description: raw.description === undefined ? '' : str(raw.description, 'description'),
    camera: cameraKey,
    csc: profile.csc,
    ...(server ? { server } : {}),
    ...(start ? { start } : {}),
    nights,
    between,
    steps,
  };
}

/** Read, parse and validate a scenario file. */
export function loadScenario(path: string, overrides: ScenarioOverrides = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario ${path}: ${e instanceof Error ? e.message : String(e)}`, 'scenario');
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new ScenarioError(`scenario ${path} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`, 'scenario');
  }
  try {
    return checkScenario(data, path, overrides);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`${path}: ${e.message}`, e.field ?? 'scenario');
    throw e;
  }
}

/** Number of command-sending or waiting steps one night runs (repeats expanded), for progress. */
export function countSteps(steps: readonly Step[]): number {
  return steps.reduce((n, s) => n + (s.type === 'repeat' ? s.count * countSteps(s.steps) : 1), 0);
}
