/**
 * From pixels to stored files for one image: renders each CCD as soon as integration starts (a bounded number at a
 * time, so a 189-CCD focal plane never sits in memory at once), holds the encoded file until the header is complete
 * (endOfImageTelemetry), then writes sidecar + FITS to the store and queues the arrival notification. File-level
 * faults are applied here.
 */
import { hostname } from 'node:os';
import type { Header, HduSpec } from '@daqsim/fits';
import type { Clock } from './clock.js';
import type { FitsEncoder } from './encoder.js';
import type { ArmedFault, FaultBoard, FaultKind } from './faults.js';
import type { ExposureRecord, FrameRenderer } from './frames.js';
import { Slots } from './slots.js';
import { objectCreatedNotification } from './notify/bucket-event.js';
import type { NotificationDispatcher } from './notify/dispatcher.js';
import { rawKey, sidecarKey, type Store } from './store.js';

/** Reports a fired fault (the CSC publishes it). */
export type FaultReporter = (fault: ArmedFault, where: { imageName: string; detector: string; amp?: string }, detail: string) => void;

export interface ImageWriterOptions {
  instrument: string;
  bucket: string;
  renderer: FrameRenderer;
  /** Encodes the files (worker threads, so the paced events are not held up). */
  encoder: FitsEncoder;
  store: Store;
  clock: Clock;
  faults: FaultBoard;
  reportFault: FaultReporter;
  notifier?: NotificationDispatcher;
  /** opaqueData of the notifications (embargo-butler's NOTIFICATION_SECRET). */
  notificationSecret: string;
  /** Also notify the .json sidecars (Ceph would; the ingest services skip them). */
  notifySidecars: boolean;
  compress: boolean;
  /** CCDs rendered or held at once. */
  concurrency: number;
  /** Reports an unexpected error writing a file. */
  onError: (message: string) => void;
}

export interface CcdOutcome {
  detector: string;
  key: string;
  written: boolean;
  size: number;
}

export interface ImageResult {
  imageName: string;
  expected: number;
  files: CcdOutcome[];
  /** Store prefix of the exposure: `{instrument}/{day_obs}/{obs_id}`. */
  prefix: string;
}

function deferred(): { promise: Promise<boolean>; resolve: (go: boolean) => void } {
  let resolve!: (go: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
}

/** One image in flight. */
export class ImageJob {
  private readonly gate = deferred();
  readonly done: Promise<ImageResult>;

  constructor(
    private readonly w: ImageWriter,
    readonly exposure: ExposureRecord,
    readonly detectors: readonly string[],
  ) {
    this.done = this.run();
  }

  /** The header is complete (endOfImageTelemetry): write the files. */
  release(): void {
    this.gate.resolve(true);
  }

  /** The image was abandoned before readout ended: write nothing. */
  cancel(): void {
    this.gate.resolve(false);
  }

  private async run(): Promise<ImageResult> {
    const e = this.exposure;
    const files = await Promise.all(this.detectors.map((d) => this.ccd(d)));
    return { imageName: e.obsId, expected: this.detectors.length, files, prefix: `${this.w.opts.instrument}/${e.dayObs}/${e.obsId}` };
  }

  private async ccd(detector: string): Promise<CcdOutcome> {
    const { opts } = this.w;
    const e = this.exposure;
    const key = rawKey(opts.instrument, e.dayObs, e.obsId, detector, opts.compress);
    const outcome: CcdOutcome = { detector, key, written: false, size: 0 };
    await this.w.slots.acquire();
    try {
      let hdus: HduSpec[] | undefined;
      try {
        hdus = await opts.renderer.renderCcd(e, detector, { compress: opts.compress });
      } catch (err) {
        opts.onError(`rendering ${e.obsId} ${detector} failed: ${(err as Error).message}`);
      }
      const go = await this.gate.promise;
      if (!go || !hdus) return outcome;
      return await this.write(detector, key, hdus, outcome);
    } catch (err) {
      opts.onError(`writing ${key} failed: ${(err as Error).message}`);
      return outcome;
    } finally {
      this.w.slots.release();
    }
  }

  private fault(kind: FaultKind, detector: string): ArmedFault | undefined {
    return this.w.opts.faults.take(kind, { detector });
  }

  private async write(detector: string, key: string, hdus: HduSpec[], outcome: CcdOutcome): Promise<CcdOutcome> {
    const { opts } = this.w;
    const where = { imageName: this.exposure.obsId, detector };
    const notWritten = this.fault('ccdNotWritten', detector);
    if (notWritten) {
      opts.reportFault(notWritten, where, `${key} not written`);
      return outcome;
    }
    let specs = hdus;
    const missingAmp = this.fault('ampNotWritten', detector);
    if (missingAmp) {
      const wanted = missingAmp.amp?.replace(/^C/, 'Segment');
      const index = wanted ? specs.findIndex((h, i) => i > 0 && h.header?.getString('EXTNAME') === wanted) : 1;
      const drop = index > 0 ? index : 1;
      const amp = specs[drop]?.header?.getString('EXTNAME') ?? `HDU ${drop}`;
      specs = specs.filter((_, i) => i !== drop);
      opts.reportFault(missingAmp, { ...where, amp }, `${key} written without ${amp}`);
    }
    const primary: Header | undefined = specs[0]?.header?.clone();
    const missingKey = this.fault('headerKeywordMissing', detector);
    if (missingKey && primary) {
      const kw = missingKey.keyword ?? 'GROUPID';
      primary.delete(kw);
      opts.reportFault(missingKey, where, `${key} written without header keyword ${kw}`);
    }
    if (primary) specs = [{ ...specs[0], header: primary }, ...specs.slice(1)];
    const sidecar = new TextEncoder().encode(JSON.stringify(primary?.toObject() ?? {}, null, 1));
    let bytes = await opts.encoder.encode(specs);
    const truncated = this.fault('fileTruncated', detector);
    if (truncated) {
      const keep = Math.min(bytes.length, truncated.bytes ?? Math.floor(bytes.length / 2));
      bytes = bytes.subarray(0, keep);
      opts.reportFault(truncated, where, `${key} truncated to ${keep} bytes`);
    }
    const late = this.fault('fileLate', detector);
    if (late) {
      const delay = late.delay ?? 10;
      opts.reportFault(late, where, `${key} written ${delay} s late`);
      await opts.clock.sleep(delay * 1000);
    }
    const slow = this.fault('slowStorage', detector);
    if (slow) {
      const delay = slow.delay ?? 5;
      opts.reportFault(slow, where, `storage slowed by ${delay} s for ${key}`);
      await opts.clock.sleep(delay * 1000);
    }
    // Sidecar first: a consumer woken by the FITS notification must find it (prompt processing reads GROUPID).
    const sideKey = sidecarKey(key);
    const side = await opts.store.put(sideKey, sidecar);
    if (opts.notifySidecars) this.notify(side, detector);
    const stored = await opts.store.put(key, bytes);
    outcome.written = true;
    outcome.size = stored.size;
    this.notify(stored, detector);
    return outcome;
  }

  private notify(obj: { key: string; size: number; eTag: string }, detector: string): void {
    const { opts } = this.w;
    if (!opts.notifier) return;
    const where = { imageName: this.exposure.obsId, detector };
    const dropped = this.fault('notificationDropped', detector);
    if (dropped) {
      opts.reportFault(dropped, where, `notification for ${obj.key} not sent`);
      return;
    }
    const n = objectCreatedNotification({ bucket: opts.bucket, key: obj.key, size: obj.size, eTag: obj.eTag, taiMs: opts.clock.now() }, opts.notificationSecret);
    opts.notifier.enqueue(n);
    const dup = this.fault('notificationDuplicated', detector);
    if (dup) {
      opts.reportFault(dup, where, `notification for ${obj.key} sent twice`);
      opts.notifier.enqueue(n);
    }
  }
}

export class ImageWriter {
  readonly slots: Slots;
  private readonly inFlight = new Set<Promise<ImageResult>>();
  readonly fileNode = hostname();

  constructor(readonly opts: ImageWriterOptions) {
    this.slots = new Slots(opts.concurrency);
  }

  /** Start rendering an image's CCDs now; files are written when the job is released. */
  begin(exposure: ExposureRecord, detectors: readonly string[]): ImageJob {
    const job = new ImageJob(this, exposure, detectors);
    this.inFlight.add(job.done);
    void job.done.finally(() => this.inFlight.delete(job.done));
    return job;
  }

  /** Resolves when every image started so far has been written or cancelled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
