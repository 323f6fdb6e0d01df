/**
 * One camera CSC (ATCamera, CCCamera or MTCamera): the salobj summary-state machine, the camera's detailed states,
 * command dispatch with salobj-style acks, and the camera commands on top of the image cycle.
 *
 * Acks: a command that is refused gets one final FAILED (-302) ack whose result is "Failed: <reason>"; an accepted
 * one gets INPROGRESS (301) with a duration estimate in `timeout`, then COMPLETE (303, "Done"), FAILED, or ABORTED
 * (-303) when stopped. Only one camera command runs at a time (ccsCommandState BUSY); while it runs, everything but
 * stop and setLogLevel is refused, as the CCS OCS bridge does.
 */
import type { Clock } from './clock.js';
import { AbortedError } from './clock.js';
import { commandSpec, type CommandName, type CommandParamMap } from './commands.js';
import { DetailedStates, type DetailedTopic } from './detailed-states.js';
import { AckCode, LogLevel, State, type StateName } from './enums.js';
import { CommandError, DaqError } from './errors.js';
import type { EventLog } from './event-log.js';
import type { ArmedFault, FaultBoard, FaultSpec } from './faults.js';
import { dayObsAt, groupIdAt, makeObsId, planExposure, shutterClosedFor, type CameraInfo, type ExposureRequest, type ExposureRecord } from './frames.js';
import { ImageCycle, imageTag, type CycleHost, type ImageSpec, type OpenIntegration } from './image-cycle.js';
import type { ImageWriter } from './image-writer.js';
import { parseKeyValueMap } from './key-value-map.js';
import type { PlaylistLibrary } from './playlist.js';
import type { CameraProfile, CscName, FilterSpec } from './profiles.js';
import type { SequenceCounter } from './sequence.js';

export const DAQSIM_VERSION = '0.1.0';
export const XML_VERSION = '28.0.1';

export interface Ack {
  cmdId: number;
  command: string;
  ack: number;
  error: number;
  result: string;
  /** Duration estimate [s]; meaningful with INPROGRESS. */
  timeout: number;
}

export interface CommandHandle {
  cmdId: number;
  /** INPROGRESS for an accepted command, else the final ack. */
  first: Ack;
  /** The final ack. */
  done: Promise<Ack>;
}

export interface CameraCscOptions {
  profile: CameraProfile;
  camera: CameraInfo;
  clock: Clock;
  events: EventLog;
  sequence: SequenceCounter;
  writer: ImageWriter;
  faults: FaultBoard;
  playlists: PlaylistLibrary;
  /** CONTRLLR / OBSID controller code. */
  controller: string;
  initialState?: StateName;
  /** Publish heartbeat at 1 Hz (emulated time). */
  heartbeat?: boolean;
}

export interface CscSnapshot {
  csc: CscName;
  camera: string;
  instrument: string;
  summaryState: StateName;
  detailedStates: Record<string, string>;
  busy: { command: string; cmdId: number } | null;
  calibrationImage: string | null;
  filter: string;
  filters: string[];
  playlist: { playlist: string; next: number; size: number; repeat: boolean } | null;
  faults: ArmedFault[];
  lastImageName: string | null;
  timeScale: number;
  eventSeq: number;
  detectors: string[];
}

interface ImageMeta {
  kv: Array<[string, string]>;
  imageType: string;
  groupId: string;
  testType: string;
  reason: string;
  program: string;
  pointing?: { ra: number; dec: number; rotPA: number };
}

/** A calibration-mode image between startImage and endImage. */
interface CalibrationImage {
  open: OpenIntegration | undefined;
  meta: ImageMeta;
  detectors: string[];
  obsNote: string;
  abandon: AbortController;
  discardedRows: number;
}

interface Plan {
  /** Duration estimate [s]. */
  timeout: number;
  /** Makes the camera BUSY while it runs. */
  busy: boolean;
  run: (signal: AbortSignal) => Promise<void>;
}

const STATE_TRANSITIONS: Partial<Record<CommandName, { from: StateName[]; to: StateName }>> = {
  enterControl: { from: ['OFFLINE'], to: 'STANDBY' },
  start: { from: ['STANDBY'], to: 'DISABLED' },
  enable: { from: ['DISABLED'], to: 'ENABLED' },
  disable: { from: ['ENABLED'], to: 'DISABLED' },
  standby: { from: ['DISABLED', 'FAULT'], to: 'STANDBY' },
  exitControl: { from: ['STANDBY'], to: 'OFFLINE' },
};

function wallSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new AbortedError())), { once: true });
  });
}

const fail = (message: string): never => {
  throw new CommandError('BAD_PARAMETER', message);
};

export class CameraCsc implements CycleHost {
  readonly csc: CscName;
  readonly clock: Clock;
  readonly events: EventLog;
  readonly states: DetailedStates;
  readonly profile: CameraProfile;
  readonly camera: CameraInfo;
  readonly writer: ImageWriter;
  readonly faults: FaultBoard;
  private readonly sequence: SequenceCounter;
  private readonly playlists: PlaylistLibrary;
  private readonly controller: string;
  private readonly cycle: ImageCycle;
  private readonly lifetimeCtl = new AbortController();
  private readonly tasks = new Set<Promise<unknown>>();

  private state: StateName;
  private busy: { command: CommandName; cmdId: number; abort: AbortController } | undefined;
  private calibrationImage: CalibrationImage | undefined;
  private filter: { spec: FilterSpec; slot: number };
  private notReady: { faultId: string; timer: AbortController } | undefined;
  private lastErrorCode = 0;
  private cmdCounter = 0;
  private lastImageName: string | null = null;
  private logLevel: number = LogLevel.INFO;
  private started = false;

  constructor(private readonly opts: CameraCscOptions) {
    this.csc = opts.profile.csc;
    this.clock = opts.clock;
    this.events = opts.events;
    this.profile = opts.profile;
    this.camera = opts.camera;
    this.writer = opts.writer;
    this.faults = opts.faults;
    this.sequence = opts.sequence;
    this.playlists = opts.playlists;
    this.controller = opts.controller;
    this.state = opts.initialState ?? 'OFFLINE';
    const topics: DetailedTopic[] = ['offline', 'imageReadiness', 'calibration', 'shutter', 'rafts', 'ccsCommand'];
    if (opts.profile.hasFilterChanger) topics.push('filterChanger');
    this.states = new DetailedStates(opts.events, topics);
    const slot = Math.max(0, opts.profile.filters.findIndex((f) => f.name === opts.profile.initialFilter));
    this.filter = { spec: opts.profile.filters[slot] ?? { name: opts.profile.initialFilter, type: 'other' }, slot };
    this.cycle = new ImageCycle(this);
  }

  get lifetime(): AbortSignal {
    return this.lifetimeCtl.signal;
  }

  get summaryState(): StateName {
    return this.state;
  }

  /** Publish the start-up events and start the heartbeat. */
  begin(): void {
    if (this.started) return;
    this.started = true;
    const now = this.clock.now();
    this.events.publish('softwareVersions', { salVersion: '', xmlVersion: XML_VERSION, cscVersion: `daqsim-${DAQSIM_VERSION}`, subsystemVersions: '' });
    this.events.publish('simulationMode', { mode: 0 });
    this.events.publish('logLevel', { level: this.logLevel, subsystem: '' });
    this.publishSummaryState();
    this.states.set('offline', 'AVAILABLE', now);
    // Started directly in an operational state (config initialState): publish what the transitions would have.
    if (this.state !== 'OFFLINE' && this.state !== 'STANDBY') this.enterDisabled(now);
    if (this.state === 'ENABLED') this.enterEnabled(now);
    if (this.opts.heartbeat ?? true) this.track(this.heartbeatLoop());
  }

  /** Stop everything; waits for background telemetry and file writes to settle. */
  async close(): Promise<void> {
    this.busy?.abort.abort(new CommandError('ABORTED', 'emulator shutting down'));
    this.calibrationImage?.abandon.abort();
    this.notReady?.timer.abort();
    this.lifetimeCtl.abort(new AbortedError('emulator shutting down'));
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.writer.idle();
  }

  track(task: Promise<unknown>): void {
    const t = task.catch(() => undefined);
    this.tasks.add(t);
    void t.finally(() => this.tasks.delete(t));
  }

  currentFilter(): string {
    return this.filter.spec.name;
  }

  log(level: number, message: string, functionName = ''): void {
    if (level < this.logLevel) return;
    this.events.publish('logMessage', {
      name: this.csc,
      level,
      message,
      traceback: '',
      filePath: '',
      functionName,
      lineNumber: 0,
      process: process.pid,
      timestamp: this.clock.now() / 1000,
    });
  }

  fireFault(fault: ArmedFault, where: { imageName: string; detector?: string; amp?: string }, detail: string): void {
    this.events.publish('faultInjected', {
      faultId: fault.id,
      kind: fault.kind,
      imageName: where.imageName,
      detector: where.detector ?? '',
      amp: where.amp ?? '',
      detail,
    });
    this.log(LogLevel.WARNING, `daqsim fault ${fault.id} (${fault.kind}): ${detail}`, 'fault');
  }

  /** salobj fault(): stop what runs, errorCode, then summaryState FAULT. */
  goFault(errorCode: number, errorReport: string, traceback = ''): void {
    if (this.state === 'FAULT') return;
    const now = this.clock.now();
    this.busy?.abort.abort(new CommandError('FAULT', `CSC went to FAULT: ${errorReport}`));
    this.abandonCalibrationImage('CSC went to FAULT');
    this.state = 'FAULT';
    this.lastErrorCode = errorCode;
    this.events.publish('errorCode', { errorCode, errorReport, traceback });
    this.publishSummaryState();
    this.setReadiness(false, now);
  }

  /** Arm a scripted fault; faults that act at once (notReady, cscFault now) act here. */
  armFault(spec: FaultSpec): ArmedFault {
    const fault = this.faults.arm(spec);
    this.log(LogLevel.INFO, `daqsim fault ${fault.id} armed: ${JSON.stringify(spec)}`, 'armFault');
    if (spec.kind === 'notReady') {
      this.faults.take('notReady', undefined, (f) => f.id === fault.id);
      this.startNotReady(fault);
    } else if (spec.kind === 'cscFault' && (spec.when ?? 'now') === 'now') {
      const taken = this.faults.take('cscFault', undefined, (f) => f.id === fault.id)!;
      const code = spec.errorCode ?? 1;
      const report = spec.errorReport ?? 'injected fault';
      this.fireFault(taken, { imageName: '' }, `FAULT ${code}: ${report}`);
      this.goFault(code, report);
    }
    return fault;
  }

  /** Disarm one fault (or all); also ends a notReady fault. */
  clearFaults(id?: string): number {
    let n = this.faults.clear(id);
    if (this.notReady && (id === undefined || id === this.notReady.faultId)) {
      this.endNotReady();
      n++;
    }
    return n;
  }

  snapshot(): CscSnapshot {
    return {
      csc: this.csc,
      camera: this.camera.key,
      instrument: this.camera.instrument,
      summaryState: this.state,
      detailedStates: this.states.snapshot(),
      busy: this.busy ? { command: this.busy.command, cmdId: this.busy.cmdId } : null,
      calibrationImage: this.calibrationImage?.open?.spec.obsId ?? null,
      filter: this.filter.spec.name,
      filters: this.profile.filters.map((f) => f.name),
      playlist: this.playlists.playing ?? null,
      faults: [
        ...this.faults.list(),
        ...(this.notReady ? [{ id: this.notReady.faultId, kind: 'notReady' as const, fired: 1 }] : []),
      ],
      lastImageName: this.lastImageName,
      timeScale: this.clock.timeScale,
      eventSeq: this.events.lastSeq,
      detectors: this.camera.detectors.map((d) => d.name),
    };
  }

  /** Run a command. Validation errors give a final FAILED ack at once. */
  command<N extends CommandName>(name: N, params: CommandParamMap[N]): CommandHandle {
    const cmdId = ++this.cmdCounter;
    const ack = (code: number, result: string, timeout = 0): Ack => {
      const a: Ack = { cmdId, command: name, ack: code, error: code === AckCode.COMPLETE || code === AckCode.INPROGRESS ? 0 : 1, result, timeout };
      this.events.publish('ackcmd', a);
      return a;
    };
    let plan: Plan;
    try {
      plan = this.plan(name, params);
    } catch (e) {
      const f = ack(AckCode.FAILED, `Failed: ${e instanceof Error ? e.message : String(e)}`);
      return { cmdId, first: f, done: Promise.resolve(f) };
    }
    const abort = new AbortController();
    if (plan.busy) {
      this.busy = { command: name, cmdId, abort };
      this.states.set('ccsCommand', 'BUSY', this.clock.now());
    }
    const first = ack(AckCode.INPROGRESS, '', plan.timeout);
    const done = (async (): Promise<Ack> => {
      try {
        await plan.run(abort.signal);
        return ack(AckCode.COMPLETE, 'Done');
      } catch (e) {
        const reason = abort.signal.aborted ? abort.signal.reason : e;
        if (reason instanceof CommandError) {
          return reason.code === 'ABORTED' ? ack(AckCode.ABORTED, `Aborted: ${reason.message}`) : ack(AckCode.FAILED, `Failed: ${reason.message}`);
        }
        if (e instanceof DaqError) return ack(AckCode.FAILED, `Failed: ${e.message}`);
        this.log(LogLevel.ERROR, `${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, name);
        return ack(AckCode.FAILED, `Failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (this.busy?.cmdId === cmdId) {
          this.busy = undefined;
          this.states.set('ccsCommand', 'IDLE', this.clock.now());
        }
      }
    })();
    this.track(done);
    return { cmdId, first, done };
  }

  // ------------------------------------------------------------------ planning (synchronous checks)

  private plan<N extends CommandName>(name: N, params: CommandParamMap[N]): Plan {
    const spec = commandSpec(name);
    if (!spec || !spec.cscs.includes(this.csc)) throw new CommandError('BAD_PARAMETER', `${this.csc} has no command ${name}`);
    if (this.busy && name !== 'stop' && name !== 'setLogLevel') {
      throw new CommandError('BUSY', `camera is busy: ${this.busy.command} is running (ccsCommandState BUSY)`);
    }
    const transition = STATE_TRANSITIONS[name];
    if (transition) {
      if (!transition.from.includes(this.state)) throw new CommandError('WRONG_STATE', `${name} not allowed in state ${this.state}`);
      const p = params as CommandParamMap['start'];
      return { timeout: 5, busy: false, run: async () => this.changeState(transition.to, p.configurationOverride ?? '') };
    }
    if (name === 'setLogLevel') {
      const p = params as CommandParamMap['setLogLevel'];
      return {
        timeout: 1,
        busy: false,
        run: async () => {
          this.logLevel = p.level ?? LogLevel.INFO;
          this.events.publish('logLevel', { level: this.logLevel, subsystem: p.subsystem ?? '' });
        },
      };
    }
    if (spec.kind === 'camera' && this.state !== 'ENABLED') throw new CommandError('WRONG_STATE', `${name} not allowed in state ${this.state}`);
    switch (name) {
      case 'takeImages':
        return this.planTakeImages(params as CommandParamMap['takeImages']);
      case 'startImage':
        return this.planStartImage(params as CommandParamMap['startImage']);
      case 'endImage':
        return this.planEndImage();
      case 'discardRows':
        return this.planDiscardRows(params as CommandParamMap['discardRows']);
      case 'clear':
        return this.planClear((params as CommandParamMap['clear']).nClears ?? 1);
      case 'initImage':
        return this.planInitImage((params as CommandParamMap['initImage']).deltaT ?? 0);
      case 'initGuiders':
        return { timeout: 1, busy: false, run: async () => this.log(LogLevel.INFO, `initGuiders ${(params as CommandParamMap['initGuiders']).roiSpec ?? ''}`) };
      case 'enableCalibration':
        return this.planCalibration(true);
      case 'disableCalibration':
        return this.planCalibration(false);
      case 'stop':
        return this.planStop();
      case 'setFilter':
        return this.planSetFilter((params as CommandParamMap['setFilter']).name);
      case 'wakeFilterChanger':
        return this.planWakeFilterChanger((params as CommandParamMap['wakeFilterChanger']).mode ?? 0);
      case 'playlist': {
        const p = params as CommandParamMap['playlist'];
        const images = p.images.split(':').filter((x) => x !== '');
        this.playlists.define(p.playlist, p.folder ?? '', images);
        return { timeout: 1, busy: false, run: async () => this.log(LogLevel.INFO, `playlist ${p.playlist}: ${images.length} images`) };
      }
      case 'play': {
        const p = params as CommandParamMap['play'];
        this.playlists.play(p.playlist, p.repeat ?? false);
        return { timeout: 1, busy: false, run: async () => this.log(LogLevel.INFO, `playing ${p.playlist}${p.repeat ? ' (repeat)' : ''}`) };
      }
      case 'alert':
        throw new CommandError('BAD_PARAMETER', 'alert is experimental and not implemented by the camera');
      case 'generic':
        throw new CommandError('BAD_PARAMETER', `generic command ${JSON.stringify((params as CommandParamMap['generic']).command ?? '')} is not allowed by the OCS bridge configuration`);
      default:
        throw new CommandError('INTERNAL', `${name} is not implemented`);
    }
  }

  private sensors(text: string | undefined): string[] {
    const all = this.camera.detectors.map((d) => d.name);
    if (!text || text.trim() === '') return all;
    const wanted = text.split(':').map((x) => x.trim()).filter((x) => x !== '');
    for (const w of wanted) if (!all.includes(w)) fail(`unknown sensor ${w}; ${this.camera.instrument} has ${all.length <= 9 ? all.join(', ') : `${all.length} detectors`}`);
    return all.filter((d) => wanted.includes(d));
  }

  private checkReady(name: string): void {
    if (this.notReady || this.states.is('imageReadiness', 'NOT_READY')) {
      throw new CommandError('NOT_READY', `${name} refused: camera is not ready to take images (notReadyToTakeImage)`);
    }
  }

  /** keyValueMap -> entries and the header fields they carry; the image type must agree with the shutter. */
  private imageMeta(keyValueMap: string | undefined, shutter: boolean, expTime: number | undefined): ImageMeta {
    const kv = parseKeyValueMap(keyValueMap ?? '');
    const get = (k: string): string | undefined => kv.find(([key]) => key === k)?.[1];
    const given = get('imageType');
    const imageType = (given ?? (shutter ? 'ENGTEST' : expTime === 0 ? 'BIAS' : 'DARK')).toUpperCase();
    if (shutterClosedFor(imageType) && shutter) fail(`imageType ${imageType} is taken with the shutter closed (shutter: false)`);
    if (!shutterClosedFor(imageType) && !shutter) fail(`imageType ${imageType} needs the shutter open (shutter: true)`);
    let groupId = get('groupId');
    if (groupId === undefined) {
      groupId = groupIdAt(this.clock.now());
      kv.push(['groupId', groupId]);
    }
    if (given === undefined) kv.unshift(['imageType', imageType]);
    const num = (k: string): number | undefined => {
      const v = get(k);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) fail(`keyValueMap ${k} must be a number, got ${JSON.stringify(v)}`);
      return n;
    };
    // daqsim extension: ra, dec, rotPA in keyValueMap set the boresight (there is no telescope to ask).
    const ra = num('ra');
    const dec = num('dec');
    const rotPA = num('rotPA') ?? 0;
    if ((ra === undefined) !== (dec === undefined)) fail('keyValueMap needs both ra and dec');
    return {
      kv,
      imageType,
      groupId,
      testType: get('testType') ?? imageType,
      reason: get('reason') ?? '',
      program: get('program') ?? '',
      ...(ra !== undefined && dec !== undefined ? { pointing: { ra, dec, rotPA } } : {}),
    };
  }

  /** The exposure request of one image (start and expTime decided by the caller). */
  private exposureRequest(meta: ImageMeta, o: { start: number; expTime: number; seqNum: number; dayObs: number; index: number; count: number; obsNote: string; emulatedImage: string; discardedRows: number }): ExposureRequest {
    return {
      imageType: meta.imageType,
      start: o.start,
      expTime: o.expTime,
      seqNum: o.seqNum,
      dayObs: o.dayObs,
      controller: this.controller,
      filter: this.filter.spec.name,
      groupId: meta.groupId,
      imageIndex: o.index,
      imagesInSequence: o.count,
      readoutTime: this.profile.timing.readout,
      program: meta.program,
      reason: meta.reason,
      testType: meta.testType,
      obsNote: o.obsNote,
      keyValues: Object.fromEntries(meta.kv),
      emulatedImage: o.emulatedImage,
      discardedRows: o.discardedRows,
      ...(meta.pointing ? { pointing: meta.pointing } : {}),
    };
  }

  private imageSpec(record: ExposureRecord, meta: ImageMeta, detectors: string[], mode: 'normal' | 'calibration', timeout: number): ImageSpec {
    return {
      obsId: record.obsId, controller: record.controller, seqNum: record.seqNum, dayObs: record.dayObs, index: record.imageIndex, count: record.imagesInSequence,
      expTime: record.expTime, shutter: record.shutter, detectors, keyValues: meta.kv, groupId: meta.groupId, imageType: meta.imageType,
      testType: meta.testType, reason: meta.reason, program: meta.program, obsNote: record.obsNote, mode, timeout,
      emulatedImage: record.emulatedImage, discardedRows: record.discardedRows,
    };
  }

  private planTakeImages(p: CommandParamMap['takeImages']): Plan {
    const t = this.profile.timing;
    if (p.numImages < 1) fail(`numImages must be >= 1, got ${p.numImages}`);
    if (p.numImages > 1000) fail(`numImages must be <= 1000, got ${p.numImages}`);
    if (!(p.expTime >= 0)) fail(`expTime must be >= 0, got ${p.expTime}`);
    if (p.expTime > t.maxExpTime) fail(`expTime must be <= ${t.maxExpTime} s, got ${p.expTime}`);
    const shutter = p.shutter ?? false;
    if (shutter && p.expTime < t.minExpTime) fail(`expTime must be >= ${t.minExpTime} s with the shutter open, got ${p.expTime}`);
    if (this.calibrationImage || this.states.is('calibration', 'ENABLED') || this.states.is('calibration', 'INTEGRATING')) {
      throw new CommandError('CALIBRATION_MODE', 'takeImages not allowed in calibration mode (disableCalibration first)');
    }
    this.checkReady('takeImages');
    const detectors = this.sensors(p.sensors);
    const meta = this.imageMeta(p.keyValueMap, shutter, p.expTime);
    if (this.playlists.playing && this.playlists.remaining() < p.numImages) {
      fail(`playlist ${this.playlists.playing.playlist} has ${this.playlists.remaining()} images left, ${p.numImages} requested`);
    }
    const now = Math.round(this.clock.now());
    const dayObsNow = dayObsAt(this.camera, now);
    // Resolve a first image now, so an exposure core would refuse fails here with a FAILED ack, before INPROGRESS.
    planExposure(this.camera, this.exposureRequest(meta, { start: now, expTime: p.expTime, seqNum: 1, dayObs: dayObsNow, index: 1, count: p.numImages, obsNote: p.obsNote ?? '', emulatedImage: '', discardedRows: 0 }), '');
    const perImage = p.expTime + (shutter ? t.shutterMove : 0) + t.readout;
    return {
      timeout: p.numImages * perImage + t.telemetryDelay,
      busy: true,
      run: async (signal) => {
        // day_obs is fixed when the command starts executing (SITCOMTN-032); the block keeps the sequence contiguous.
        const dayObs = dayObsAt(this.camera, this.clock.now());
        const first = await this.sequence.next(dayObs, p.numImages);
        let t0 = Math.round(this.clock.now());
        let last: Promise<void> = Promise.resolve();
        let endAt = t0;
        for (let i = 0; i < p.numImages; i++) {
          const seqNum = first + i;
          const obsId = makeObsId(this.camera, this.controller, dayObs, seqNum);
          const request = this.exposureRequest(meta, {
            start: t0, expTime: p.expTime, seqNum, dayObs, index: i + 1, count: p.numImages, obsNote: p.obsNote ?? '',
            emulatedImage: this.playlists.next() ?? '', discardedRows: 0,
          });
          const record = planExposure(this.camera, request, imageTag(obsId));
          this.lastImageName = obsId;
          const r = await this.cycle.takeImage(this.imageSpec(record, meta, detectors, 'normal', p.expTime), record, signal);
          t0 = r.readoutEnd;
          endAt = r.readoutEnd + t.telemetryDelay * 1000;
          last = r.telemetry;
        }
        await last;
        this.states.set('rafts', 'QUIESCENT', endAt);
        this.events.publish('endTakeImage', { timestampTransition: endAt / 1000 });
      },
    };
  }

  private planStartImage(p: CommandParamMap['startImage']): Plan {
    const t = this.profile.timing;
    if (!this.states.is('calibration', 'ENABLED') || this.calibrationImage) {
      throw new CommandError('CALIBRATION_MODE', this.calibrationImage ? 'an integration is already open (endImage first)' : 'startImage requires calibration mode (enableCalibration first)');
    }
    const timeout = p.timeout ?? 0;
    if (!(timeout > 0)) fail(`timeout must be > 0 s, got ${timeout}`);
    if (timeout > t.maxExpTime) fail(`timeout must be <= ${t.maxExpTime} s, got ${timeout}`);
    this.checkReady('startImage');
    const shutter = p.shutter ?? false;
    const detectors = this.sensors(p.sensors);
    const meta = this.imageMeta(p.keyValueMap, shutter, undefined);
    if (meta.imageType === 'BIAS') fail('a BIAS has no integration; take it with takeImages (expTime 0)');
    const abandon = new AbortController();
    const cal: CalibrationImage = { open: undefined, meta, detectors, obsNote: p.obsNote ?? '', abandon, discardedRows: 0 };
    this.calibrationImage = cal;
    return {
      timeout: (shutter ? t.shutterMove : 0) + 1,
      busy: true,
      run: async (signal) => {
        try {
          const start = Math.round(this.clock.now());
          const dayObs = dayObsAt(this.camera, start);
          const seqNum = await this.sequence.next(dayObs, 1);
          const obsId = makeObsId(this.camera, this.controller, dayObs, seqNum);
          this.lastImageName = obsId;
          const spec: ImageSpec = {
            obsId, controller: this.controller, seqNum, dayObs, index: 1, count: 1, expTime: 0, shutter, detectors, keyValues: meta.kv, groupId: meta.groupId,
            imageType: meta.imageType, testType: meta.testType, reason: meta.reason, program: meta.program, obsNote: cal.obsNote,
            mode: 'calibration', timeout, emulatedImage: '', discardedRows: 0,
          };
          cal.open = await this.cycle.openIntegration(spec, start, signal);
          // Abandon the image if no endImage arrives within `timeout` of the start.
          this.track(
            this.clock.sleepUntil(start + timeout * 1000, AbortSignal.any([abandon.signal, this.lifetime])).then(
              () => this.abandonCalibrationImage(`no endImage within ${timeout} s`),
              () => undefined,
            ),
          );
        } catch (e) {
          if (this.calibrationImage === cal) this.calibrationImage = undefined;
          throw e;
        }
      },
    };
  }

  private planEndImage(): Plan {
    const t = this.profile.timing;
    const cal = this.calibrationImage;
    if (!cal?.open) throw new CommandError('CALIBRATION_MODE', 'endImage requires an integration started by startImage');
    const open = cal.open;
    // The exposure ends now: every pixel has integrated since the start (the closing blade follows the opening one).
    const expTime = Math.round(this.clock.now() - open.start) / 1000;
    if (open.openedAt !== undefined && expTime < t.minExpTime) fail(`the integration has lasted ${expTime} s; an open-shutter image needs >= ${t.minExpTime} s`);
    const request = this.exposureRequest(cal.meta, {
      start: open.start, expTime, seqNum: open.spec.seqNum, dayObs: open.spec.dayObs, index: 1, count: 1, obsNote: cal.obsNote,
      emulatedImage: '', discardedRows: cal.discardedRows,
    });
    const record = planExposure(this.camera, request, imageTag(open.spec.obsId));
    return {
      timeout: (open.openedAt !== undefined ? t.shutterMove : 0) + t.readout + t.telemetryDelay,
      busy: true,
      run: async (signal) => {
        cal.abandon.abort();
        this.calibrationImage = undefined;
        const spec = this.imageSpec(record, cal.meta, cal.detectors, 'calibration', open.spec.timeout);
        const r = await this.cycle.closeIntegration({ ...open, spec }, record, signal);
        await r.telemetry;
        const endAt = r.readoutEnd + t.telemetryDelay * 1000;
        this.states.set('rafts', 'QUIESCENT', endAt);
        this.events.publish('endTakeImage', { timestampTransition: endAt / 1000 });
      },
    };
  }

  private planDiscardRows(p: CommandParamMap['discardRows']): Plan {
    const cal = this.calibrationImage;
    if (!cal?.open) throw new CommandError('CALIBRATION_MODE', 'discardRows requires an integration started by startImage');
    if (p.nRows < 1) fail(`nRows must be >= 1, got ${p.nRows}`);
    return {
      timeout: 1,
      busy: false,
      run: async () => {
        cal.discardedRows += p.nRows;
        this.log(LogLevel.INFO, `discarded ${p.nRows} rows of ${cal.open!.spec.obsId} (${cal.discardedRows} in all)`, 'discardRows');
      },
    };
  }

  private planClear(nClears: number): Plan {
    if (nClears < 1) fail(`nClears must be >= 1, got ${nClears}`);
    if (nClears > 100) fail(`nClears must be <= 100, got ${nClears}`);
    if (this.calibrationImage) throw new CommandError('CALIBRATION_MODE', 'clear not allowed while an integration is open');
    const per = this.profile.timing.clear;
    return { timeout: nClears * per + 1, busy: true, run: (signal) => this.clearSensors(nClears, signal) };
  }

  private async clearSensors(n: number, signal: AbortSignal): Promise<void> {
    const start = this.clock.now();
    this.states.set('rafts', 'CLEARING', start);
    const end = start + n * this.profile.timing.clear * 1000;
    await this.clock.sleepUntil(end, signal);
    this.states.set('rafts', 'QUIESCENT', end);
  }

  private planInitImage(deltaT: number): Plan {
    if (!(deltaT >= 0)) fail(`deltaT must be >= 0, got ${deltaT}`);
    if (this.calibrationImage) throw new CommandError('CALIBRATION_MODE', 'initImage not allowed while an integration is open');
    return {
      timeout: this.profile.timing.clear + 1,
      busy: true,
      run: async (signal) => {
        const now = this.clock.now();
        this.events.publish('prepareToTakeImage', { timestampTransition: now / 1000 });
        const wasReady = this.states.is('imageReadiness', 'READY');
        if (!this.notReady) this.states.set('imageReadiness', 'GETTING_READY', now);
        await this.clearSensors(1, signal);
        const end = this.clock.now();
        if (!this.notReady) {
          this.states.set('imageReadiness', 'READY', end);
          if (!wasReady) this.events.publish('readyToTakeImage', { timestampTransition: end / 1000 });
        }
        if (this.csc !== 'ATCamera') this.events.publish('endInitializeImage', { timestampTransition: end / 1000 });
      },
    };
  }

  private planCalibration(enable: boolean): Plan {
    if (!enable && this.calibrationImage) throw new CommandError('CALIBRATION_MODE', 'an integration is open (endImage or stop first)');
    return {
      timeout: 1,
      busy: false,
      run: async () => this.states.set('calibration', enable ? 'ENABLED' : 'DISABLED', this.clock.now()),
    };
  }

  private planStop(): Plan {
    return {
      timeout: 1,
      busy: false,
      run: async () => {
        const running = this.busy;
        if (running) {
          running.abort.abort(new CommandError('ABORTED', `${running.command} stopped by the stop command`));
          this.log(LogLevel.WARNING, `stop: aborted ${running.command} (command ${running.cmdId})`, 'stop');
        }
        this.abandonCalibrationImage('stopped by the stop command');
      },
    };
  }

  private planSetFilter(name: string): Plan {
    const t = this.profile.timing;
    const slot = this.profile.filters.findIndex((f) => f.name === name);
    if (slot < 0) fail(`unknown filter ${JSON.stringify(name)}; available: ${this.profile.filters.map((f) => f.name).join(', ')}`);
    if (this.calibrationImage) throw new CommandError('CALIBRATION_MODE', 'setFilter not allowed while an integration is open');
    const target = this.profile.filters[slot]!;
    const same = slot === this.filter.slot;
    const n = this.profile.filters.length;
    const steps = Math.min(Math.abs(slot - this.filter.slot), n - Math.abs(slot - this.filter.slot));
    const angle = (360 / n) * steps;
    const duration = same ? 0 : t.filterUnload + angle * t.carouselPerDegree + t.filterLoad;
    return {
      timeout: duration + 1,
      busy: true,
      run: async (signal) => {
        const ev = this.events;
        let at = this.clock.now();
        ev.publish('startSetFilter', { filterName: target.name, filterType: target.type });
        if (!same) {
          const step = async (state: 'UNLOADING' | 'ROTATING' | 'LOADING', start: 'startUnloadFilter' | 'startRotateCarousel' | 'startLoadFilter', end: 'endUnloadFilter' | 'endRotateCarousel' | 'endLoadFilter', seconds: number): Promise<void> => {
            this.states.set('filterChanger', state, at);
            ev.publish(start, { timestampTransition: at / 1000 });
            at += seconds * 1000;
            await this.clock.sleepUntil(at, signal);
            ev.publish(end, { timestampTransition: at / 1000 });
          };
          try {
            await step('UNLOADING', 'startUnloadFilter', 'endUnloadFilter', t.filterUnload);
            this.states.set('filterChanger', 'UNLOADED', at);
            await step('ROTATING', 'startRotateCarousel', 'endRotateCarousel', angle * t.carouselPerDegree);
            this.filter = { spec: { name: 'NONE', type: 'none' }, slot };
            await step('LOADING', 'startLoadFilter', 'endLoadFilter', t.filterLoad);
          } catch (e) {
            this.states.set('filterChanger', 'UNLOADED', this.clock.now());
            this.filter = { spec: { name: 'NONE', type: 'none' }, slot: -1 };
            throw e;
          }
        }
        this.filter = { spec: target, slot };
        this.states.set('filterChanger', 'LOADED', at);
        ev.publish('endSetFilter', { filterName: target.name, filterType: target.type, filterSlot: slot, filterPosition: 0 });
      },
    };
  }

  private planWakeFilterChanger(mode: number): Plan {
    if (mode < 0 || mode > 2) fail(`mode must be 0, 1 or 2, got ${mode}`);
    return {
      timeout: 1,
      busy: false,
      run: async () => {
        this.events.publish('filterChangerPowerStatus', { timestampStatusChanged: this.clock.now() / 1000, powerState: mode });
      },
    };
  }

  // ------------------------------------------------------------------ state changes

  private publishSummaryState(): void {
    this.events.publish('summaryState', { summaryState: State[this.state] });
    // salobj clears errorCode on any non-FAULT state (set_write: only when it changes).
    if (this.state !== 'FAULT' && this.lastErrorCode !== 0) {
      this.lastErrorCode = 0;
      this.events.publish('errorCode', { errorCode: 0, errorReport: '', traceback: '' });
    }
  }

  private changeState(to: StateName, configurationOverride: string): void {
    const now = this.clock.now();
    const from = this.state;
    this.state = to;
    this.publishSummaryState();
    if (to === 'OFFLINE') this.states.set('offline', 'AVAILABLE', now);
    if (to === 'DISABLED' && from === 'STANDBY') this.enterDisabled(now, configurationOverride);
    if (to === 'ENABLED') this.enterEnabled(now);
    if (from === 'ENABLED') {
      this.abandonCalibrationImage(`CSC left ENABLED`);
      this.setReadiness(false, now);
    }
  }

  /** Configuration events and the initial detailed states (start: STANDBY -> DISABLED). */
  private enterDisabled(now: number, configurationOverride = ''): void {
    const cfg = configurationOverride || 'default';
    this.events.publish('configurationsAvailable', { overrides: 'default', version: `daqsim-${DAQSIM_VERSION}`, url: '', schemaVersion: 'v1' });
    this.events.publish('configurationApplied', { configurations: cfg, version: `daqsim-${DAQSIM_VERSION}`, url: '', schemaVersion: 'v1', otherInfo: '' });
    this.events.publish('focalPlaneSummaryInfo', this.focalPlaneSummary());
    if (this.csc !== 'ATCamera') this.events.publish('ccsConfigured', { timestampTransition: now / 1000 });
    this.states.set('imageReadiness', 'NOT_READY', now);
    this.states.set('calibration', 'DISABLED', now);
    this.states.set('shutter', 'CLOSED', now);
    this.states.set('rafts', 'QUIESCENT', now);
    this.states.set('ccsCommand', 'IDLE', now);
    if (this.profile.hasFilterChanger) {
      const names = this.profile.filters.map((f) => f.name);
      const six = (v: number): number[] => [v, v, v, v, v, v];
      const t = this.profile.timing;
      const slowest = t.filterUnload + 180 * t.carouselPerDegree + t.filterLoad;
      this.events.publish('availableFilters', {
        filterNames: names.join(','),
        filterTypes: this.profile.filters.map((f) => f.type).join(','),
        maxChangeAngle: 180,
        maxFastChangeAngle: 180,
        maxSlowChangeTime: six(slowest),
        maxFastChangeTime: six(slowest),
      });
      this.states.set('filterChanger', 'LOADED', now);
      this.events.publish('endSetFilter', { filterName: this.filter.spec.name, filterType: this.filter.spec.type, filterSlot: this.filter.slot, filterPosition: 0 });
    }
  }

  private enterEnabled(now: number): void {
    this.setReadiness(!this.notReady, now);
  }

  private setReadiness(ready: boolean, at: number): void {
    const was = this.states.get('imageReadiness');
    if (ready) {
      this.states.set('imageReadiness', 'READY', at);
      if (was !== 'READY') this.events.publish('readyToTakeImage', { timestampTransition: at / 1000 });
    } else {
      this.states.set('imageReadiness', 'NOT_READY', at);
      if (was !== 'NOT_READY') this.events.publish('notReadyToTakeImage', { timestampTransition: at / 1000 });
    }
  }

  private startNotReady(fault: ArmedFault): void {
    this.notReady?.timer.abort();
    const timer = new AbortController();
    this.notReady = { faultId: fault.id, timer };
    const now = this.clock.now();
    this.fireFault(fault, { imageName: '' }, fault.duration !== undefined ? `notReadyToTakeImage for ${fault.duration} s` : 'notReadyToTakeImage until cleared');
    if (this.state === 'ENABLED') this.setReadiness(false, now);
    if (fault.duration !== undefined) {
      this.track(
        this.clock.sleep(fault.duration * 1000, AbortSignal.any([timer.signal, this.lifetime])).then(
          () => this.endNotReady(),
          () => undefined,
        ),
      );
    }
  }

  private endNotReady(): void {
    if (!this.notReady) return;
    this.notReady.timer.abort();
    this.notReady = undefined;
    if (this.state === 'ENABLED') this.setReadiness(true, this.clock.now());
  }

  private abandonCalibrationImage(why: string): void {
    const cal = this.calibrationImage;
    if (!cal) return;
    this.calibrationImage = undefined;
    cal.abandon.abort();
    const now = this.clock.now();
    if (cal.open) {
      this.log(LogLevel.WARNING, `image ${cal.open.spec.obsId} abandoned: ${why}`, 'endImage');
      this.cycle.abandon(undefined);
    }
    if (this.states.is('calibration', 'INTEGRATING')) this.states.set('calibration', 'ENABLED', now);
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.lifetime.aborted) {
      this.events.publish('heartbeat', { heartbeat: true });
      try {
        // At time scale 0 emulated sleeps return at once; the heartbeat keeps a wall-clock second instead.
        if (this.clock.timeScale === 0) await wallSleep(1000, this.lifetime);
        else await this.clock.sleep(1000, this.lifetime);
      } catch {
        return;
      }
    }
  }

  private focalPlaneSummary() {
    const dets = this.camera.detectors;
    const scalar = this.profile.scalarPerCcd;
    const per = <T,>(f: (d: (typeof dets)[number]) => T): T | T[] => (scalar ? f(dets[0]!) : dets.map(f));
    return {
      ccdLocation: dets.map((d) => d.name.replace('_', '')).join(':'),
      raftBay: dets.map((d) => d.raft).join(':'),
      ccdSlot: dets.map((d) => d.slot).join(':'),
      rebSerialNumber: dets.map(() => '').join(':'),
      rebLSSTName: dets.map((d) => `LCA-13574-${d.raft}`).join(':'),
      ccdLSSTName: dets.map((d) => d.serial).join(':'),
      raftLSSTName: dets.map((d) => d.raftSerial).join(':'),
      ccdManSerNum: dets.map((d) => d.serial.split('-').slice(2).join('-')).join(':'),
      ccdManufacturer: dets.map((d) => d.vendor).join(':'),
      ccdType: per((d) => (d.vendor === 'E2V' ? 1 : 2)),
      ccdTempSetPoint: per(() => -95),
      sequencerKey: 'daqsim',
      sequencerChecksum: '0',
    };
  }
}
