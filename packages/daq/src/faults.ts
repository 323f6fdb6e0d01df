/**
 * Scripted faults. A fault is armed (from the config or the API) and fires when the emulator reaches the matching
 * point: a file about to be written, a readout about to end, a notification about to be sent. Each firing is
 * published as a `faultInjected` event (and a WARNING logMessage) so a rehearsal can score whether it was noticed.
 */
import { DaqError } from './errors.js';

export const FAULT_KINDS = [
  /** One CCD's file (and sidecar, and notification) is never written. */
  'ccdNotWritten',
  /** The CCD file is written without one amp HDU. */
  'ampNotWritten',
  /** The CCD file is written `delay` seconds (emulated) later than it would be. */
  'fileLate',
  /** The CCD file is cut short: `bytes` kept (default half of it). */
  'fileTruncated',
  /** `keyword` (default GROUPID) is removed from the CCD file's primary header. */
  'headerKeywordMissing',
  /** The next readout never ends: no endReadout, no files; the command hangs until stop, FAULT or its timeout. */
  'readoutHang',
  /** The camera reports notReadyToTakeImage for `duration` seconds (or until cleared or initImage). */
  'notReady',
  /** The CSC goes to FAULT with `errorCode` / `errorReport`, now or at the next `when` phase of an image. */
  'cscFault',
  /** Every file write takes `delay` more seconds (emulated), for `count` files (0 = until cleared). */
  'slowStorage',
  /** The file's notification is sent twice. */
  'notificationDuplicated',
  /** The file's notification is not sent. */
  'notificationDropped',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** Only files of this detector (Rnn_Snn); any detector when absent. */
  detector?: string;
  /** ampNotWritten: the amp left out (C10 or Segment10; default the first HDU). */
  amp?: string;
  /** fileLate, slowStorage: seconds of emulated time. */
  delay?: number;
  /** fileTruncated: bytes kept. */
  bytes?: number;
  /** headerKeywordMissing: the keyword removed. */
  keyword?: string;
  /** notReady: seconds; until cleared when absent. */
  duration?: number;
  /** cscFault: when it fires. */
  when?: 'now' | 'integration' | 'readout';
  errorCode?: number;
  errorReport?: string;
  /** How many times the fault fires (files, readouts) before it disarms; 0 = until cleared. Default 1. */
  count?: number;
}

export interface ArmedFault extends FaultSpec {
  id: string;
  /** Times fired so far. */
  fired: number;
}

/** JSON schema of a fault spec (request bodies and the config file). */
export const FAULT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: [...FAULT_KINDS] },
    detector: { type: 'string', pattern: '^R[0-9X]{2}_S[A-Z0-9]{2}$', maxLength: 16 },
    amp: { type: 'string', pattern: '^(C|Segment)[0-9]{2}$', maxLength: 16 },
    delay: { type: 'number', minimum: 0, maximum: 86400 },
    bytes: { type: 'integer', minimum: 0 },
    keyword: { type: 'string', pattern: '^[A-Z0-9_-]{1,8}$' },
    duration: { type: 'number', minimum: 0, maximum: 86400 },
    when: { type: 'string', enum: ['now', 'integration', 'readout'] },
    errorCode: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
    errorReport: { type: 'string', maxLength: 4096 },
    count: { type: 'integer', minimum: 0, maximum: 1000000 },
  },
} as const;

export interface FileMatch {
  detector: string;
}

export class FaultBoard {
  private faults: ArmedFault[] = [];
  private counter = 0;

  constructor(private readonly detectors: readonly string[]) {}

  arm(spec: FaultSpec): ArmedFault {
    if (spec.detector !== undefined && !this.detectors.includes(spec.detector)) {
      throw new DaqError('BAD_REQUEST', `no detector ${spec.detector} on this camera`, 'detector');
    }
    const fault: ArmedFault = { ...spec, id: `f${++this.counter}`, fired: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): ArmedFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(id?: string): number {
    const before = this.faults.length;
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
    return before - this.faults.length;
  }

  /** Has an armed fault of this kind (without firing it). */
  armed(kind: FaultKind, filter: (f: ArmedFault) => boolean = () => true): ArmedFault | undefined {
    return this.faults.find((f) => f.kind === kind && filter(f));
  }

  /** Fire the first armed fault of `kind` that matches, counting one use; undefined when none. */
  take(kind: FaultKind, match?: FileMatch, filter: (f: ArmedFault) => boolean = () => true): ArmedFault | undefined {
    const f = this.faults.find((x) => x.kind === kind && (x.detector === undefined || match === undefined || x.detector === match.detector) && filter(x));
    if (!f) return undefined;
    f.fired++;
    const count = f.count ?? 1;
    if (count > 0 && f.fired >= count) this.faults = this.faults.filter((x) => x !== f);
    return { ...f };
  }
}
