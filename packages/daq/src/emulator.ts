/**
 * Wires one emulated camera together from a config: clock, store, sequence counter, renderer, notifications,
 * faults and the CSC. Tests pass their own clock, store or renderer through `EmulatorDeps`.
 */
import { join } from 'node:path';
import { RealClock, type Clock } from './clock.js';
import type { DaqConfig } from './config.js';
import { CameraCsc } from './csc.js';
import { LogLevel } from './enums.js';
import { DaqError } from './errors.js';
import { WorkerEncoder, type FitsEncoder } from './encoder.js';
import { EventLog } from './event-log.js';
import { FaultBoard } from './faults.js';
import { SynthesisFrameRenderer } from './synth-renderer.js';
import { defaultFrameRenderer, describeCamera, type CameraInfo, type FrameRenderer } from './frames.js';
import { ImageWriter } from './image-writer.js';
import { NotificationDispatcher } from './notify/dispatcher.js';
import { RedisListTarget, WebhookTarget, type NotificationTarget } from './notify/targets.js';
import { PlaylistLibrary, PlaylistRenderer, RoutingRenderer } from './playlist.js';
import { cameraProfile, type CameraProfile } from './profiles.js';
import { FileSequenceCounter, MemorySequenceCounter, type SequenceCounter } from './sequence.js';
import { FileStore, MemoryStore, type Store } from './store.js';

export interface EmulatorDeps {
  clock?: Clock;
  store?: Store;
  renderer?: FrameRenderer;
  sequence?: SequenceCounter;
  /** Notification targets beyond (or instead of) the configured ones. */
  targets?: NotificationTarget[];
  /** FITS encoder (default: worker threads). */
  encoder?: FitsEncoder;
  /** Backoff sleep of the notification retries (wall time by default). */
  retrySleep?: (ms: number) => Promise<void>;
}

/** ISO TAI 'YYYY-MM-DDThh:mm:ss[.sss]' -> TAI ms. */
export function parseIsoTai(iso: string, field = 'startTime'): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/.test(iso)) {
    throw new DaqError('BAD_CONFIG', `${field} must be an ISO TAI time YYYY-MM-DDThh:mm:ss[.sss] (no zone), got ${JSON.stringify(iso)}`, field);
  }
  const ms = Date.parse(`${iso}Z`);
  if (!Number.isFinite(ms)) throw new DaqError('BAD_CONFIG', `${field} is not a valid date: ${iso}`, field);
  return ms;
}

/** The highest sequence number already present in the store for a day (files from before a lost state file). */
async function storeFloor(store: Store, camera: CameraInfo, controller: string, dayObs: number): Promise<number> {
  const prefix = `${camera.camCode}_${controller}_${dayObs}_`;
  let max = 0;
  for (const name of await store.children(`${camera.instrument}/${dayObs}/`)) {
    if (name.startsWith(prefix)) {
      const n = Number(name.slice(prefix.length));
      if (Number.isSafeInteger(n) && n > max) max = n;
    }
  }
  return max;
}

export class DaqEmulator {
  private closed = false;

  private constructor(
    readonly config: DaqConfig,
    readonly profile: CameraProfile,
    readonly camera: CameraInfo,
    readonly clock: Clock,
    readonly store: Store,
    readonly events: EventLog,
    readonly dispatcher: NotificationDispatcher,
    readonly writer: ImageWriter,
    readonly csc: CameraCsc,
    private readonly encoder: FitsEncoder,
    /** A renderer the emulator made itself (and so closes); not one passed in by a caller. */
    private readonly ownRenderer: SynthesisFrameRenderer | null = null,
  ) {}

  static async create(config: DaqConfig, deps: EmulatorDeps = {}): Promise<DaqEmulator> {
    const camera = describeCamera(config.camera);
    const base = cameraProfile(camera);
    const profile: CameraProfile = { ...base, timing: { ...base.timing, ...config.timing }, bucket: config.bucket ?? base.bucket };
    const clock = deps.clock ?? new RealClock(config.timeScale, config.startTime ? parseIsoTai(config.startTime) : undefined);
    const store = deps.store ?? (config.store === null ? new MemoryStore() : new FileStore(config.store));
    const events = new EventLog(clock, profile.csc, config.eventBuffer);
    let sequence = deps.sequence;
    if (!sequence) {
      const stateDir = config.stateDir ?? (config.store !== null ? join(config.store, '.daqsim') : null);
      sequence =
        stateDir === null
          ? new MemorySequenceCounter()
          : await FileSequenceCounter.open(join(stateDir, `${profile.csc}-${camera.key}-seq.json`), (day) => storeFloor(store, camera, config.controller, day));
    }
    const n = config.notifications;
    const targets: NotificationTarget[] = [];
    // A webhook with its own secret gets notifications whose opaqueData is that secret.
    for (const w of n.webhooks) targets.push(w.secret === undefined ? new WebhookTarget(w.url) : withSecret(new WebhookTarget(w.url), w.secret));
    if (n.redis) targets.push(new RedisListTarget(n.redis));
    targets.push(...(deps.targets ?? []));
    // The callbacks below run only after construction, when `emulator` and `csc` (declared further down) exist.
    const dispatcher = new NotificationDispatcher(targets, {
      retry: n.retry,
      ...(deps.retrySleep ? { sleep: deps.retrySleep } : {}),
      onFailure: (f) => {
        emulator.events.publish('notificationFailed', { target: f.target, bucket: f.bucket, key: f.key, attempts: f.attempts, error: f.error });
        emulator.csc.log(LogLevel.ERROR, `notification for ${f.key} to ${f.target} failed after ${f.attempts} attempts: ${f.error}`, 'notify');
      },
    });
    const faults = new FaultBoard(camera.detectors.map((d) => d.name));
    const playlists = new PlaylistLibrary(config.playlistRoot ?? undefined);
    const own = deps.renderer || config.pixels === 'constant' ? null : new SynthesisFrameRenderer({ seed: config.seed });
    const renderer = new RoutingRenderer(deps.renderer ?? own ?? defaultFrameRenderer(), new PlaylistRenderer(playlists));
    const encoder = deps.encoder ?? new WorkerEncoder();
    const writer = new ImageWriter({
      encoder,
      instrument: camera.instrument,
      bucket: profile.bucket,
      renderer,
      store,
      clock,
      faults,
      reportFault: (f, where, detail) => csc.fireFault(f, where, detail),
      notifier: dispatcher,
      notificationSecret: n.secret,
      notifySidecars: n.notifySidecars,
      compress: config.compress,
      concurrency: config.concurrency,
      onError: (message) => csc.log(LogLevel.ERROR, message, 'writeFiles'),
    });
    const csc = new CameraCsc({
      profile, camera, clock, events, sequence, writer, faults, playlists,
      controller: config.controller,
      initialState: config.initialState,
      heartbeat: config.heartbeat,
    });
    const emulator = new DaqEmulator(config, profile, camera, clock, store, events, dispatcher, writer, csc, encoder, own);
    csc.begin();
    for (const f of config.faults) csc.armFault(f);
    return emulator;
  }

  /** Stop the CSC, finish writing, and close the notification targets (pending deliveries are awaited). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.csc.close();
    await this.encoder.close();
    if (this.ownRenderer) await this.ownRenderer.close();
    await this.dispatcher.idle();
    await this.dispatcher.close();
  }
}

/** A target whose notifications carry their own opaqueData. */
function withSecret(target: NotificationTarget, secret: string): NotificationTarget {
  return {
    name: target.name,
    deliver: (n) => target.deliver({ Records: n.Records.map((r) => ({ ...r, opaqueData: secret })) }),
    ...(target.close ? { close: () => target.close!() } : {}),
  };
}
