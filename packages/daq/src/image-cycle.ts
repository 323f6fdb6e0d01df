/**
 * One image, from startIntegration to the files: the event order and pacing of the camera (control.md §6). With
 * t0 = DATE-BEG, E = exposure time, M = shutter blade travel, R = readout (M and R from the camera data):
 *
 *   t0        imageReadoutParameters, startIntegration (rafts INTEGRATING)
 *   shutter:  t0 startShutterOpen (OPENING), t0+M endShutterOpen (OPEN), t0+E startShutterClose (CLOSING),
 *             t0+E+M endShutterClose (CLOSED): every pixel sees E, the shutter is open E+M ("15+1 s")
 *   no shutter: nothing until t0+E
 *   DATE-END  startReadout (rafts READING_OUT);  +R endReadout, imageStored (AT/CC)
 *   +0.3 s    endOfImageTelemetry, then the files: fitsFilesWritten (AT/CC) and fileTransferPerImageSummary
 *
 * The instants are core's resolved exposure (the same the headers carry), every step sleeps until its absolute
 * instant so nothing drifts, and event fields carry those instants exactly (private_sndStamp is the actual send
 * time). The next image of a sequence starts integrating at endReadout, while the previous image's telemetry and
 * files complete in the background.
 */
import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import { LogLevel } from './enums.js';
import type { DetailedStates } from './detailed-states.js';
import type { EventLog } from './event-log.js';
import type { ImageIdBlock } from './event-types.js';
import type { ArmedFault, FaultBoard } from './faults.js';
import type { CameraInfo, ExposureRecord } from './frames.js';
import type { ImageJob, ImageResult, ImageWriter } from './image-writer.js';
import { joinColonList } from './key-value-map.js';
import type { CameraProfile } from './profiles.js';

/** What the cycle needs from its CSC. */
export interface CycleHost {
  readonly clock: Clock;
  readonly events: EventLog;
  readonly states: DetailedStates;
  readonly profile: CameraProfile;
  readonly camera: CameraInfo;
  readonly writer: ImageWriter;
  readonly faults: FaultBoard;
  /** Aborted when the emulator shuts down (background telemetry and file steps stop). */
  readonly lifetime: AbortSignal;
  currentFilter(): string;
  fireFault(fault: ArmedFault, where: { imageName: string; detector?: string; amp?: string }, detail: string): void;
  goFault(errorCode: number, errorReport: string): void;
  log(level: number, message: string): void;
  /** Keep a background task so shutdown can wait for it. */
  track(task: Promise<unknown>): void;
}

export interface ImageSpec {
  obsId: string;
  /** CONTRLLR code (imageController). */
  controller: string;
  seqNum: number;
  dayObs: number;
  /** 1-based index within the sequence, and the sequence length. */
  index: number;
  count: number;
  expTime: number;
  shutter: boolean;
  detectors: readonly string[];
  keyValues: ReadonlyArray<[string, string]>;
  groupId: string;
  imageType: string;
  testType: string;
  reason: string;
  program: string;
  obsNote: string;
  mode: 'normal' | 'calibration';
  /** startIntegration.timeout [s]: expTime in normal mode, the startImage argument in calibration mode. */
  timeout: number;
  emulatedImage: string;
  discardedRows: number;
}

export interface ReadoutDone {
  /** TAI ms of endReadout: when the next image may start integrating. */
  readoutEnd: number;
  /** endOfImageTelemetry published (files then continue in the background). */
  telemetry: Promise<void>;
}

/** An integration opened by startImage, waiting for endImage. */
export interface OpenIntegration {
  spec: ImageSpec;
  start: number;
  /** When the shutter finished opening (undefined without shutter). */
  openedAt: number | undefined;
}

const s = (ms: number): number => ms / 1000;

export class ImageCycle {
  constructor(private readonly host: CycleHost) {}

  private get timing() {
    return this.host.profile.timing;
  }

  /** A whole takeImages image, paced on its resolved exposure. */
  async takeImage(spec: ImageSpec, record: ExposureRecord, signal: AbortSignal): Promise<ReadoutDone> {
    const t0 = record.dateObs;
    this.startIntegration(spec, t0);
    // Rendering starts with the integration so the files can appear right after readout.
    const job = this.host.writer.begin(record, spec.detectors);
    try {
      this.faultAt('integration', spec);
      if (record.shutter) await this.shutterCycle(t0, t0 + spec.expTime * 1000, record.dateEnd, signal);
      else await this.host.clock.sleepUntil(record.dateEnd, signal);
      const readoutEnd = await this.readout(spec, t0, record, signal);
      return { readoutEnd, telemetry: this.afterReadout(spec, t0, readoutEnd, record, job) };
    } catch (e) {
      this.abandon(job);
      throw e;
    }
  }

  /** startImage: start integrating (and open the shutter); endImage finishes with `closeIntegration`. */
  async openIntegration(spec: ImageSpec, t0: number, signal: AbortSignal): Promise<OpenIntegration> {
    this.startIntegration(spec, t0);
    this.faultAt('integration', spec);
    if (!spec.shutter) return { spec, start: t0, openedAt: undefined };
    const opened = t0 + this.timing.shutterMove * 1000;
    try {
      await this.step(t0, () => this.shutterEvent('OPENING', 'startShutterOpen', t0), signal);
      await this.step(opened, () => this.shutterEvent('OPEN', 'endShutterOpen', opened), signal);
    } catch (e) {
      this.abandon(undefined);
      throw e;
    }
    return { spec, start: t0, openedAt: opened };
  }

  /** endImage: close the shutter (now), read out, then telemetry and files. `record` was resolved for this end. */
  async closeIntegration(open: OpenIntegration, record: ExposureRecord, signal: AbortSignal): Promise<ReadoutDone> {
    const { spec } = open;
    const job = this.host.writer.begin(record, spec.detectors);
    try {
      if (open.openedAt !== undefined) {
        const closeStart = this.host.clock.now();
        await this.step(closeStart, () => this.shutterEvent('CLOSING', 'startShutterClose', closeStart), signal);
        await this.step(record.dateEnd, () => this.shutterEvent('CLOSED', 'endShutterClose', record.dateEnd), signal);
      }
      const readoutEnd = await this.readout(spec, open.start, record, signal);
      return { readoutEnd, telemetry: this.afterReadout(spec, open.start, readoutEnd, record, job) };
    } catch (e) {
      this.abandon(job);
      throw e;
    }
  }

  /**
   * The four shutter transitions in time order. Blades move one after the other, so with E < M the closing blade
   * starts before the opening one has finished: startShutterClose then comes before endShutterOpen, and the shutter
   * is never reported fully OPEN.
   */
  private async shutterCycle(t0: number, closeStart: number, closed: number, signal: AbortSignal): Promise<void> {
    const opened = t0 + this.timing.shutterMove * 1000;
    const steps: Array<[number, () => void]> = [
      [t0, () => this.shutterEvent('OPENING', 'startShutterOpen', t0)],
      [opened, () => this.shutterEvent(closeStart < opened ? undefined : 'OPEN', 'endShutterOpen', opened)],
      [closeStart, () => this.shutterEvent('CLOSING', 'startShutterClose', closeStart)],
      [closed, () => this.shutterEvent('CLOSED', 'endShutterClose', closed)],
    ];
    // Stable sort: on a tie (E = M) endShutterOpen stays before startShutterClose.
    steps.sort((a, b) => a[0] - b[0]);
    for (const [at, act] of steps) await this.step(at, act, signal);
  }

  private async step(at: number, act: () => void, signal: AbortSignal): Promise<void> {
    await this.host.clock.sleepUntil(at, signal);
    act();
  }

  private shutterEvent(
    state: 'OPENING' | 'OPEN' | 'CLOSING' | 'CLOSED' | undefined,
    event: 'startShutterOpen' | 'endShutterOpen' | 'startShutterClose' | 'endShutterClose',
    at: number,
  ): void {
    if (state) this.host.states.set('shutter', state, at);
    this.host.events.publish(event, { timestampTransition: s(at) });
  }

  /** Give up an image that did not reach endReadout: nothing is written, the sensors need a clear. */
  abandon(job: ImageJob | undefined): void {
    job?.cancel();
    const now = this.host.clock.now();
    if (!this.host.states.is('shutter', 'CLOSED')) this.host.states.set('shutter', 'CLOSED', now);
    this.host.states.set('rafts', 'NEEDS_CLEAR', now);
  }

  private idBlock(spec: ImageSpec, acquisitionStart: number): ImageIdBlock {
    return {
      additionalKeys: joinColonList(spec.keyValues.map(([k]) => k)),
      additionalValues: joinColonList(spec.keyValues.map(([, v]) => v)),
      imagesInSequence: spec.count,
      imageName: spec.obsId,
      imageIndex: spec.index,
      imageSource: this.host.profile.imageSource,
      imageController: spec.controller,
      imageDate: String(spec.dayObs),
      imageNumber: spec.seqNum,
      timestampAcquisitionStart: s(acquisitionStart),
    };
  }

  private startIntegration(spec: ImageSpec, t0: number): void {
    const { events, states } = this.host;
    events.publish('imageReadoutParameters', this.readoutParameters(spec));
    states.set('rafts', 'INTEGRATING', t0);
    if (spec.mode === 'calibration') states.set('calibration', 'INTEGRATING', t0);
    events.publish('startIntegration', { ...this.idBlock(spec, t0), exposureTime: spec.expTime, mode: spec.mode, timeout: spec.timeout });
  }

  private async readout(spec: ImageSpec, t0: number, record: ExposureRecord, signal: AbortSignal): Promise<number> {
    const { events, states, clock, faults } = this.host;
    const readStart = record.dateEnd;
    const block = this.idBlock(spec, t0);
    states.set('rafts', 'READING_OUT', readStart);
    events.publish('startReadout', { ...block, exposureTime: spec.expTime, timestampStartOfReadout: s(readStart) });
    this.faultAt('readout', spec);
    const hang = faults.take('readoutHang');
    if (hang) {
      this.host.fireFault(hang, { imageName: spec.obsId }, `readout of ${spec.obsId} never ends`);
      await clock.sleepUntil(Infinity, signal);
    }
    const readEnd = record.readoutEnd;
    await clock.sleepUntil(readEnd, signal);
    if (spec.mode === 'calibration') states.set('calibration', 'ENABLED', readEnd);
    events.publish('endReadout', { ...block, requestedExposureTime: spec.expTime, timestampEndOfReadout: s(readEnd) });
    if (this.host.profile.hasFileEvents) events.publish('imageStored', { imageName: spec.obsId, timestampImageStored: s(readEnd) });
    return readEnd;
  }

  /** endOfImageTelemetry after the telemetry delay, then release the files and report them. */
  private afterReadout(spec: ImageSpec, t0: number, readEnd: number, record: ExposureRecord, job: ImageJob): Promise<void> {
    const { events, clock } = this.host;
    const at = readEnd + this.timing.telemetryDelay * 1000;
    const telemetry = clock.sleepUntil(at, this.host.lifetime).then(
      () => {
        events.publish('endOfImageTelemetry', {
          ...this.idBlock(spec, t0),
          exposureTime: spec.expTime,
          imageTag: record.imageTag,
          timestampDateObs: s(record.dateObs),
          timestampDateEnd: s(record.dateEnd),
          measuredShutterOpenTime: record.shutterOpenTime,
          darkTime: record.darkTime,
          emulatedImage: record.emulatedImage,
        });
        job.release();
      },
      () => job.cancel(),
    );
    this.host.track(job.done.then((r) => this.reportFiles(spec, r)));
    return telemetry;
  }

  private reportFiles(spec: ImageSpec, r: ImageResult): void {
    const { events, clock, profile } = this.host;
    // Shut down before the header was complete: nothing was attempted, so there is nothing to report.
    if (this.host.lifetime.aborted) return;
    const written = r.files.filter((f) => f.written);
    const now = clock.now();
    if (profile.hasFileEvents && written.length > 0) {
      events.publish('fitsFilesWritten', {
        imageName: spec.obsId,
        timestampFilesWritten: s(now),
        rootFileName: r.prefix,
        relativeFileNames: written.map((f) => f.key.slice(r.prefix.length + 1)).join(':'),
        fileNode: written.map(() => this.host.writer.fileNode).join(':'),
      });
    }
    const missing = r.expected - written.length;
    events.publish('fileTransferPerImageSummary', {
      site: 'daqsim',
      dayObs: String(spec.dayObs),
      obsId: spec.obsId,
      expected: r.expected,
      written: written.length,
      transferredBeforeResend: written.length,
      missingBeforeResend: missing,
      resendCount: 0,
      transferredAfterResend: written.length,
      missingAfterResend: missing,
      metaData: JSON.stringify({ bytes: written.reduce((n, f) => n + f.size, 0), missing: r.files.filter((f) => !f.written).map((f) => f.detector) }),
    });
    if (missing > 0) this.host.log(LogLevel.WARNING, `${spec.obsId}: ${missing} of ${r.expected} CCD files not written`);
  }

  private faultAt(when: 'integration' | 'readout', spec: ImageSpec): void {
    const f = this.host.faults.take('cscFault', undefined, (x) => x.when === when);
    if (!f) return;
    const code = f.errorCode ?? 1;
    const report = f.errorReport ?? `injected fault at ${when} of ${spec.obsId}`;
    this.host.fireFault(f, { imageName: spec.obsId }, `FAULT ${code}: ${report}`);
    this.host.goFault(code, report);
  }

  private readoutParameters(spec: ImageSpec) {
    const dets = spec.detectors.map((d) => this.host.camera.detectors.find((x) => x.name === d)!);
    const scalar = this.host.profile.scalarPerCcd;
    const per = (f: (d: (typeof dets)[number]) => number): number | number[] => (scalar ? f(dets[0]!) : dets.map(f));
    return {
      imageName: spec.obsId,
      ccdLocation: dets.map((d) => d.name.replace('_', '')).join(':'),
      raftBay: dets.map((d) => d.raft).join(':'),
      ccdSlot: dets.map((d) => d.slot).join(':'),
      ccdType: per((d) => (d.vendor === 'E2V' ? 1 : 2)),
      overRows: per((d) => d.amps[0]!.overRows),
      overCols: per((d) => d.amps[0]!.overCols),
      readRows: per((d) => d.amps[0]!.dataRows),
      readCols: per((d) => d.amps[0]!.dataCols),
      readCols2: per(() => 0),
      preCols: per((d) => d.amps[0]!.preCols),
      preRows: per(() => 0),
      postCols: per(() => 0),
      underCols: per(() => 0),
      daqFolder: 'raw',
      daqAnnotation: spec.obsNote,
    };
  }
}

/** DAQ image tag: 16 hex digits, stable for an image name. */
export function imageTag(obsId: string): string {
  return createHash('md5').update(obsId).digest('hex').slice(0, 16);
}
