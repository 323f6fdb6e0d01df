/**
 * Server configuration: embedded defaults, overridden by a JSON config file, overridden by command-line options.
 * Every field is checked; a bad one is a DaqError naming it.
 */
import { readFile } from 'node:fs/promises';
import type { StateName } from './enums.js';
import { DaqError } from './errors.js';
import { FAULT_KINDS, type FaultSpec } from './faults.js';
import { DEFAULT_CONTROLLER, isCameraKey, type CameraKey } from './frames.js';
import type { RetryPolicy } from './notify/dispatcher.js';
import type { Timing } from './profiles.js';

export interface WebhookConfig {
  url: string;
  /** opaqueData for this endpoint; defaults to notifications.secret. */
  secret?: string;
}

export interface RedisConfig {
  url: string;
  /** List name, `{bucket}` replaced (default QUEUE:{bucket}). */
  list?: string;
  payload?: 'key' | 'notification';
}

export interface NotificationConfig {
  webhooks: WebhookConfig[];
  redis?: RedisConfig;
  /** opaqueData (the shared secret embargo-butler's /notify checks). */
  secret: string;
  notifySidecars: boolean;
  retry: RetryPolicy;
}

export interface DaqConfig {
  camera: CameraKey;
  host: string;
  port: number;
  /** Store root directory; null keeps files in memory. */
  store: string | null;
  /** Where the sequence-number state lives (default `{store}/.daqsim`). */
  stateDir: string | null;
  timeScale: number;
  /** Emulated start instant, ISO TAI (default: now). */
  startTime: string | null;
  /** Bearer token for commands and faults; required when not bound to loopback. */
  token: string | null;
  /** CONTRLLR / OBSID controller code (default S, simulated images; O to look like OCS-commanded raws). */
  controller: string;
  compress: boolean;
  initialState: StateName;
  bucket: string | null;
  notifications: NotificationConfig;
  faults: FaultSpec[];
  playlistRoot: string | null;
  /**
   * Events kept for resuming clients. This is also the bound on a slow stream client: each client holds only a
   * cursor into this buffer plus its socket's write buffer, and is told it fell behind when its cursor drops out.
   */
  eventBuffer: number;
  /** Largest request body accepted. */
  bodyLimit: number;
  /** CCDs rendered or held at once. */
  concurrency: number;
  heartbeat: boolean;
  /** Pacing overrides (the shutter travel comes from the camera data and is not configurable). */
  timing: Partial<Omit<Timing, 'shutterMove'>>;
  /** Extra wait beyond a command's own timeout before the HTTP layer answers CMD_TIMEOUT [s]. */
  commandTimeoutGrace: number;
  /** Pixels of written images: 'synthetic' (core's synthesis, the default) or 'constant' (bias level, fastest). */
  pixels: 'synthetic' | 'constant';
  /** Synthesis seed: the same seed and exposure give the same bytes. */
  seed: number;
}

export function defaultConfig(camera: CameraKey = 'latiss'): DaqConfig {
  return {
    camera,
    host: '127.0.0.1',
    port: 8123,
    store: './daqsim-store',
    stateDir: null,
    timeScale: 1,
    startTime: null,
    token: null,
    controller: DEFAULT_CONTROLLER,
    compress: true,
    initialState: 'OFFLINE',
    bucket: null,
    notifications: { webhooks: [], secret: '', notifySidecars: false, retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 } },
    faults: [],
    playlistRoot: null,
    eventBuffer: 20_000,
    bodyLimit: 64 << 10,
    concurrency: 4,
    heartbeat: true,
    timing: {},
    commandTimeoutGrace: 30,
    pixels: 'synthetic',
    seed: 0,
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(field: string, message: string): never {
  throw new DaqError('BAD_CONFIG', `${field}: ${message}`, field);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') bad(field, 'must be a string');
  return v;
}

function num(v: unknown, field: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    bad(field, `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') bad(field, 'must be true or false');
  return v;
}

function known(obj: Json, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) bad(prefix + k, 'unknown field');
}

function parseFault(v: unknown, field: string): FaultSpec {
  if (!isObject(v)) bad(field, 'must be an object');
  known(v, ['kind', 'detector', 'amp', 'delay', 'bytes', 'keyword', 'duration', 'when', 'errorCode', 'errorReport', 'count'], `${field}.`);
  const kind = str(v.kind, `${field}.kind`);
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) bad(`${field}.kind`, `must be one of ${FAULT_KINDS.join(', ')}`);
  const out: FaultSpec = { kind: kind as FaultSpec['kind'] };
  if (v.detector !== undefined) out.detector = str(v.detector, `${field}.detector`);
  if (v.amp !== undefined) out.amp = str(v.amp, `${field}.amp`);
  if (v.delay !== undefined) out.delay = num(v.delay, `${field}.delay`, 0, 86400);
  if (v.bytes !== undefined) out.bytes = num(v.bytes, `${field}.bytes`, 0, Number.MAX_SAFE_INTEGER, true);
  if (v.keyword !== undefined) out.keyword = str(v.keyword, `${field}.keyword`);
  if (v.duration !== undefined) out.duration = num(v.duration, `${field}.duration`, 0, 86400);
  if (v.when !== undefined) {
    const w = str(v.when, `${field}.when`);
    if (w !== 'now' && w !== 'integration' && w !== 'readout') bad(`${field}.when`, 'must be now, integration or readout');
    out.when = w;
  }
  if (v.errorCode !== undefined) out.errorCode = num(v.errorCode, `${field}.errorCode`, -2147483648, 2147483647, true);
  if (v.errorReport !== undefined) out.errorReport = str(v.errorReport, `${field}.errorReport`);
  if (v.count !== undefined) out.count = num(v.count, `${field}.count`, 0, 1_000_000, true);
  return out;
}

const TIMING_KEYS: readonly (keyof Omit<Timing, 'shutterMove'>)[] = ['readout', 'telemetryDelay', 'clear', 'filterUnload', 'filterLoad', 'carouselPerDegree', 'minExpTime', 'maxExpTime'];
const STATES: readonly StateName[] = ['OFFLINE', 'STANDBY', 'DISABLED', 'ENABLED'];

/** Apply a parsed JSON object (a config file) over `base`. */
export function mergeConfig(base: DaqConfig, raw: unknown): DaqConfig {
  if (!isObject(raw)) bad('config', 'must be a JSON object');
  const top: (keyof DaqConfig)[] = [
    'camera', 'host', 'port', 'store', 'stateDir', 'timeScale', 'startTime', 'token', 'controller', 'compress', 'initialState', 'bucket',
    'notifications', 'faults', 'playlistRoot', 'eventBuffer', 'bodyLimit', 'concurrency', 'heartbeat', 'timing', 'commandTimeoutGrace', 'pixels', 'seed',
  ];
  known(raw, top, '');
  const c: DaqConfig = structuredClone(base);
  if (raw.camera !== undefined) {
    const cam = str(raw.camera, 'camera');
    if (!isCameraKey(cam)) bad('camera', 'must be latiss, comcam, lsstcam or dc2');
    c.camera = cam;
  }
  if (raw.host !== undefined) c.host = str(raw.host, 'host');
  if (raw.port !== undefined) c.port = num(raw.port, 'port', 0, 65535, true);
  if (raw.store !== undefined) c.store = raw.store === null ? null : str(raw.store, 'store');
  if (raw.stateDir !== undefined) c.stateDir = raw.stateDir === null ? null : str(raw.stateDir, 'stateDir');
  if (raw.timeScale !== undefined) c.timeScale = num(raw.timeScale, 'timeScale', 0, 1e6);
  if (raw.startTime !== undefined) c.startTime = raw.startTime === null ? null : str(raw.startTime, 'startTime');
  if (raw.token !== undefined) c.token = raw.token === null ? null : str(raw.token, 'token');
  if (raw.controller !== undefined) {
    c.controller = str(raw.controller, 'controller');
    if (!/^[OCHPQS]$/.test(c.controller)) bad('controller', 'must be one of O, C, H, P, Q, S');
  }
  if (raw.compress !== undefined) c.compress = bool(raw.compress, 'compress');
  if (raw.initialState !== undefined) {
    const s = str(raw.initialState, 'initialState');
    if (!(STATES as readonly string[]).includes(s)) bad('initialState', `must be one of ${STATES.join(', ')}`);
    c.initialState = s as StateName;
  }
  if (raw.bucket !== undefined) c.bucket = raw.bucket === null ? null : str(raw.bucket, 'bucket');
  if (raw.playlistRoot !== undefined) c.playlistRoot = raw.playlistRoot === null ? null : str(raw.playlistRoot, 'playlistRoot');
  if (raw.eventBuffer !== undefined) c.eventBuffer = num(raw.eventBuffer, 'eventBuffer', 100, 10_000_000, true);
  if (raw.bodyLimit !== undefined) c.bodyLimit = num(raw.bodyLimit, 'bodyLimit', 1024, 64 << 20, true);
  if (raw.concurrency !== undefined) c.concurrency = num(raw.concurrency, 'concurrency', 1, 256, true);
  if (raw.heartbeat !== undefined) c.heartbeat = bool(raw.heartbeat, 'heartbeat');
  if (raw.commandTimeoutGrace !== undefined) c.commandTimeoutGrace = num(raw.commandTimeoutGrace, 'commandTimeoutGrace', 0, 86400);
  if (raw.pixels !== undefined) {
    if (raw.pixels !== 'synthetic' && raw.pixels !== 'constant') bad('pixels', "pixels must be 'synthetic' or 'constant'");
    c.pixels = raw.pixels;
  }
  if (raw.seed !== undefined) c.seed = num(raw.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, true);
  if (raw.timing !== undefined) {
    if (!isObject(raw.timing)) bad('timing', 'must be an object');
    known(raw.timing, TIMING_KEYS, 'timing.');
    for (const k of TIMING_KEYS) if (raw.timing[k] !== undefined) c.timing[k] = num(raw.timing[k], `timing.${k}`, 0, 86400);
  }
  if (raw.faults !== undefined) {
    if (!Array.isArray(raw.faults)) bad('faults', 'must be an array');
    c.faults = raw.faults.map((f, i) => parseFault(f, `faults[${i}]`));
  }
  if (raw.notifications !== undefined) {
    const n = raw.notifications;
    if (!isObject(n)) bad('notifications', 'must be an object');
    known(n, ['webhooks', 'redis', 'secret', 'notifySidecars', 'retry'], 'notifications.');
    if (n.secret !== undefined) c.notifications.secret = str(n.secret, 'notifications.secret');
    if (n.notifySidecars !== undefined) c.notifications.notifySidecars = bool(n.notifySidecars, 'notifications.notifySidecars');
    if (n.webhooks !== undefined) {
      if (!Array.isArray(n.webhooks)) bad('notifications.webhooks', 'must be an array');
      c.notifications.webhooks = n.webhooks.map((w, i) => {
        const f = `notifications.webhooks[${i}]`;
        if (typeof w === 'string') return { url: checkUrl(w, f) };
        if (!isObject(w)) bad(f, 'must be a URL or {url, secret}');
        known(w, ['url', 'secret'], `${f}.`);
        return { url: checkUrl(str(w.url, `${f}.url`), `${f}.url`), ...(w.secret !== undefined ? { secret: str(w.secret, `${f}.secret`) } : {}) };
      });
    }
    if (n.redis !== undefined) {
      if (n.redis === null) delete c.notifications.redis;
      else {
        if (!isObject(n.redis)) bad('notifications.redis', 'must be an object');
        known(n.redis, ['url', 'list', 'payload'], 'notifications.redis.');
        const payload = n.redis.payload === undefined ? undefined : str(n.redis.payload, 'notifications.redis.payload');
        if (payload !== undefined && payload !== 'key' && payload !== 'notification') bad('notifications.redis.payload', 'must be key or notification');
        c.notifications.redis = {
          url: str(n.redis.url, 'notifications.redis.url'),
          ...(n.redis.list !== undefined ? { list: str(n.redis.list, 'notifications.redis.list') } : {}),
          ...(payload !== undefined ? { payload } : {}),
        };
      }
    }
    if (n.retry !== undefined) {
      if (!isObject(n.retry)) bad('notifications.retry', 'must be an object');
      known(n.retry, ['attempts', 'baseDelayMs', 'maxDelayMs'], 'notifications.retry.');
      const r = n.retry;
      if (r.attempts !== undefined) c.notifications.retry.attempts = num(r.attempts, 'notifications.retry.attempts', 1, 100, true);
      if (r.baseDelayMs !== undefined) c.notifications.retry.baseDelayMs = num(r.baseDelayMs, 'notifications.retry.baseDelayMs', 0, 3_600_000);
      if (r.maxDelayMs !== undefined) c.notifications.retry.maxDelayMs = num(r.maxDelayMs, 'notifications.retry.maxDelayMs', 0, 3_600_000);
    }
  }
  return c;
}

function checkUrl(u: string, field: string): string {
  try {
    const p = new URL(u);
    if (p.protocol !== 'http:' && p.protocol !== 'https:') bad(field, 'must be an http(s) URL');
  } catch (e) {
    if (e instanceof DaqError) throw e;
    bad(field, 'must be a URL');
  }
  return u;
}

export async function loadConfigFile(path: string, base: DaqConfig): Promise<DaqConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DaqError('BAD_CONFIG', `cannot read config file ${path}: ${(e as Error).message}`, 'config');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DaqError('BAD_CONFIG', `config file ${path} is not JSON: ${(e as Error).message}`, 'config');
  }
  return mergeConfig(base, raw);
}

/** Loopback addresses, where commands need no token. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
