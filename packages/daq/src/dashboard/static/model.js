/**
 * What the page knows about one CSC, built from a state snapshot and then the event stream: summary and detailed
 * states, the exposures with their planned instants (event fields) and actual send times (private_sndStamp),
 * recent errors and faults, and command acks. No DOM here, so it also runs under Node in the tests.
 */

/** Summary-state transitions and the states they start from (csc.ts). */
export const TRANSITIONS = {
  enterControl: ['OFFLINE'],
  start: ['STANDBY'],
  enable: ['DISABLED'],
  disable: ['ENABLED'],
  standby: ['DISABLED', 'FAULT'],
  exitControl: ['STANDBY'],
};

const DETAILED = [
  'offlineDetailedState',
  'imageReadinessDetailedState',
  'calibrationDetailedState',
  'shutterDetailedState',
  'raftsDetailedState',
  'ccsCommandState',
  'filterChangerDetailedState',
];
const SHUTTER_EVENTS = ['startShutterOpen', 'endShutterOpen', 'startShutterClose', 'endShutterClose'];
const MAX_EXPOSURES = 40;
const MAX_ERRORS = 100;

/** The CAP-572 ":"-list with "\:" escapes (key-value-map.ts). */
export function splitColonList(text) {
  if (!text) return [];
  const out = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) cur += text[++i];
    else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function invert(enums) {
  const out = {};
  for (const [field, table] of Object.entries(enums)) out[field] = Object.fromEntries(Object.entries(table).map(([k, v]) => [v, k]));
  return out;
}

export class CscModel {
  /** @param {object} info this CSC's entry of GET /api/v1/dashboard; @param {object} enums its `enums` */
  constructor(info, enums) {
    this.info = info;
    this.names = invert(enums);
    this.summary = null;
    this.detailed = {};
    this.filter = '';
    this.timeScale = info.timeScale;
    /** obsId -> exposure, oldest first. */
    this.exposures = new Map();
    this.current = null;
    this.errors = [];
    this.acks = new Map();
    this.lastAck = null;
    this.faults = [];
    this.stats = null;
    /** Latest emulated instant seen (TAI unix s) and the wall-clock ms it arrived at. */
    this.seen = null;
    this.heartbeat = null;
  }

  applySnapshot(s) {
    this.summary = s.summaryState;
    this.detailed = { ...s.detailedStates };
    this.filter = s.filter;
    this.timeScale = s.timeScale;
    this.faults = s.faults ?? [];
  }

  /** Emulated now (TAI unix s), extrapolated from the last event by the time scale. */
  now(wallMs = Date.now()) {
    if (!this.seen) return null;
    return this.seen.tai + ((wallMs - this.seen.wall) / 1000) * this.timeScale;
  }

  get busy() {
    return this.detailed.ccsCommandState === 'BUSY';
  }

  /** Whether the CSC would accept the command now (mirrors csc.ts; the CSC still has the last word). */
  allowed(command) {
    const s = this.summary;
    if (command in TRANSITIONS) return !this.busy && TRANSITIONS[command].includes(s);
    if (s !== 'ENABLED') return false;
    if (command === 'stop') return this.busy;
    if (command === 'setFilter') return !this.busy && this.info.hasSetFilter;
    if (command === 'takeImages') {
      const cal = this.detailed.calibrationDetailedState;
      return !this.busy && this.detailed.imageReadinessDetailedState === 'READY' && cal !== 'ENABLED' && cal !== 'INTEGRATING';
    }
    return !this.busy;
  }

  exposure(obsId) {
    let x = this.exposures.get(obsId);
    if (!x) {
      x = { obsId, plan: {}, sent: {}, files: null, notify: null, faults: [], state: 'integrating' };
      this.exposures.set(obsId, x);
      if (this.exposures.size > MAX_EXPOSURES) this.exposures.delete(this.exposures.keys().next().value);
    }
    return x;
  }

  error(kind, at, text) {
    this.errors.unshift({ kind, at, text });
    if (this.errors.length > MAX_ERRORS) this.errors.length = MAX_ERRORS;
  }

  /** Apply one stream event. */
  apply(e, wallMs = Date.now()) {
    const d = e.data;
    if (typeof d.private_sndStamp === 'number') this.seen = { tai: d.private_sndStamp, wall: wallMs };
    const at = d.private_sndStamp;
    if (DETAILED.includes(e.name)) {
      this.detailed[e.name] = this.names[e.name]?.[d.substate] ?? String(d.substate);
      // An image given up before its readout ended (stop, FAULT) leaves the sensors needing a clear.
      const x = this.current && this.exposures.get(this.current);
      if (e.name === 'raftsDetailedState' && this.detailed[e.name] === 'NEEDS_CLEAR' && x && x.plan.endReadout === undefined) {
        x.state = 'abandoned';
        x.endedAt = at;
      }
      return;
    }
    switch (e.name) {
      case 'heartbeat':
        this.heartbeat = at;
        return;
      case 'summaryState':
        this.summary = this.names.summaryState[d.summaryState] ?? String(d.summaryState);
        return;
      case 'errorCode':
        if (d.errorCode !== 0) this.error('error', at, `errorCode ${d.errorCode}: ${d.errorReport}`);
        return;
      case 'logMessage':
        // fireFault logs each fault too (functionName "fault"); the faultInjected entry already says it.
        if (d.level >= 30 && d.functionName !== 'fault') this.error(d.level >= 40 ? 'error' : 'warning', at, d.message);
        return;
      case 'faultInjected': {
        const where = [d.imageName, d.detector, d.amp].filter(Boolean).join(' ');
        this.error('fault', at, `${d.kind}${where ? ` (${where})` : ''}: ${d.detail}`);
        if (d.imageName && this.exposures.has(d.imageName)) this.exposures.get(d.imageName).faults.push(d.kind);
        return;
      }
      case 'notificationFailed':
        this.error('error', at, `notification of ${d.key} to ${d.target} failed after ${d.attempts} attempts: ${d.error}`);
        return;
      case 'ackcmd':
        this.onAck(d);
        return;
      case 'startSetFilter':
        this.filter = `→ ${d.filterName}`;
        return;
      case 'endSetFilter':
        this.filter = d.filterName;
        return;
    }
    if (SHUTTER_EVENTS.includes(e.name)) {
      // Shutter events name no image: they belong to the one integrating.
      const x = this.current && this.exposures.get(this.current);
      if (x) {
        x.plan[e.name] = d.timestampTransition;
        x.sent[e.name] = at;
      }
      return;
    }
    this.onImageEvent(e.name, d, at);
  }

  onAck(d) {
    const ack = { ...d, name: this.names.ack[d.ack] ?? String(d.ack) };
    this.acks.set(d.cmdId, ack);
    if (this.acks.size > 200) this.acks.delete(this.acks.keys().next().value);
    this.lastAck = ack;
    if (ack.name === 'FAILED' || ack.name === 'ABORTED') this.error(ack.name === 'FAILED' ? 'error' : 'warning', d.private_sndStamp, `${d.command} (command ${d.cmdId}): ${d.result}`);
  }

  onImageEvent(name, d, at) {
    switch (name) {
      case 'startIntegration': {
        const x = this.exposure(d.imageName);
        const keys = splitColonList(d.additionalKeys);
        const values = splitColonList(d.additionalValues);
        Object.assign(x, { index: d.imageIndex, count: d.imagesInSequence, expTime: d.exposureTime, mode: d.mode, imageType: values[keys.indexOf('imageType')] ?? '', state: 'integrating' });
        x.plan.startIntegration = d.timestampAcquisitionStart;
        x.sent.startIntegration = at;
        this.current = d.imageName;
        return;
      }
      case 'startReadout': {
        const x = this.exposure(d.imageName);
        x.plan.startReadout = d.timestampStartOfReadout;
        x.sent.startReadout = at;
        x.state = 'reading out';
        return;
      }
      case 'endReadout': {
        const x = this.exposure(d.imageName);
        x.plan.endReadout = d.timestampEndOfReadout;
        x.sent.endReadout = at;
        x.plan.endOfImageTelemetry = d.timestampEndOfReadout + this.info.timing.telemetryDelay;
        x.state = 'telemetry';
        return;
      }
      case 'endOfImageTelemetry': {
        const x = this.exposure(d.imageName);
        x.sent.endOfImageTelemetry = at;
        Object.assign(x, { measuredShutterOpenTime: d.measuredShutterOpenTime, darkTime: d.darkTime, dateObs: d.timestampDateObs, dateEnd: d.timestampDateEnd, state: 'writing files' });
        return;
      }
      case 'fitsFilesWritten':
        this.exposure(d.imageName).sent.fitsFilesWritten = d.timestampFilesWritten;
        return;
      case 'fileTransferPerImageSummary': {
        const x = this.exposure(d.obsId);
        let meta = {};
        try {
          meta = JSON.parse(d.metaData);
        } catch {
          // Not ours: no byte count.
        }
        x.files = { expected: d.expected, written: d.written, missing: meta.missing ?? [], bytes: meta.bytes ?? 0 };
        x.sent.files = at;
        x.state = d.written === d.expected ? 'files written' : `${d.expected - d.written} file(s) missing`;
        return;
      }
    }
  }

  /** Merge GET /api/v1/stats for this CSC: counters, and per image when its notifications went out. */
  applyStats(s) {
    this.stats = s;
    for (const img of s.images) {
      const x = this.exposures.get(img.obsId);
      if (!x) continue;
      x.notify = { n: img.notified, failed: img.notifyFailed, first: img.firstNotifiedAt, last: img.lastNotifiedAt, targets: s.notifications.targets.length };
    }
  }

  /** Most recent first. */
  recent(n) {
    return [...this.exposures.values()].slice(-n).reverse();
  }
}
