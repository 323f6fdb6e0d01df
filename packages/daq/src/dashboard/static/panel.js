/* global requestAnimationFrame, setInterval */
/**
 * One served CSC on the page: its states, controls, counters, exposure timeline, last-exposure thumbnails and
 * recent errors. Starts from the state snapshot, replays recent history from the event stream, then follows it
 * live; store and notification counts (and armed faults) are polled every 2 s. Renders are coalesced into one per
 * animation frame, so a burst of events (an LSSTCam readout, a replay) costs one repaint.
 */
import { Controls } from './controls.js';
import { FocalPlane, openViewer } from './focalplane.js';
import { CscModel } from './model.js';
import { EventStream } from './sse.js';
import { LEGEND, renderDetail, renderTimeline } from './timeline.js';
import { bytes, esc, h, hhmmss, tai } from './util.js';

/** Events replayed on load, for the recent exposures and errors. */
const HISTORY = 3000;
const POLL_MS = 2000;

const STATE_ROWS = [
  ['ccsCommandState', 'command'],
  ['imageReadinessDetailedState', 'readiness'],
  ['raftsDetailedState', 'rafts'],
  ['shutterDetailedState', 'shutter'],
  ['calibrationDetailedState', 'calibration'],
  ['filterChangerDetailedState', 'filter changer'],
  ['offlineDetailedState', 'offline'],
];
const HOT = new Set(['BUSY', 'INTEGRATING', 'READING_OUT', 'OPEN', 'OPENING', 'CLOSING', 'CLEARING', 'ROTATING', 'LOADING', 'UNLOADING', 'GETTING_READY']);
const GOOD = new Set(['READY', 'IDLE', 'QUIESCENT', 'CLOSED', 'LOADED', 'AVAILABLE', 'DISABLED']);
const BAD = new Set(['NOT_READY', 'NEEDS_CLEAR']);

export class CscPanel {
  constructor(info, enums, api) {
    this.api = api;
    this.csc = info.csc;
    this.model = new CscModel(info, enums);
    this.controls = new Controls(this.model, api);
    this.fp = new FocalPlane(info, openViewer);
    this.selected = null;
    this.raf = 0;
    this.status = 'connecting';
    this.shown = null;

    const card = (cls, title, ...body) => h(`section.card.${cls}`, {}, h('h2', {}, title), ...body);
    this.stateChip = h('span.state', { 'data-role': 'summary' }, '…');
    this.conn = h('span.conn.connecting', {}, 'connecting');
    this.clock = h('span.clock.muted');
    this.states = h('dl.states');
    this.counts = h('div.counts');
    this.timeline = h('div.timeline', { onclick: (e) => this.select(e) });
    this.detail = h('div');
    this.fpTitle = h('span.muted', {}, 'no exposure yet');
    this.armed = h('div.armed');
    this.errors = h('ul.errors');
    this.retry = h('button.small', { type: 'button', hidden: true, onclick: () => void this.api.send('POST', '/api/v1/notifications/retry').catch(() => undefined) }, 'Resend failed');
    this.disarm = h('button.small', { type: 'button', hidden: true, onclick: () => void this.api.send('DELETE', `/api/v1/${this.csc}/faults`).then(() => this.poll(), () => undefined) }, 'Disarm all');
    this.fpCard = card('lastexp', 'Last exposure', h('div.fp-head', {}, this.fpTitle), this.fp.el);
    this.el = h(
      'section.csc',
      { 'data-csc': this.csc },
      h('div.csc-head', {}, h('h3', {}, this.csc), h('span.muted', {}, `${info.instrument} (${info.camera})`), this.stateChip, this.conn, h('span.spacer'), this.clock),
      h('div.side', {}, card('statecard', 'Detailed states', this.states), this.controls.el, card('countcard', 'Store and notifications', this.counts, h('div.row.end', {}, this.retry))),
      h(
        'div.mainc',
        {},
        card('timelinecard', 'Exposures', this.timeline, h('div', { innerHTML: LEGEND }), this.detail),
        h('div.split', {}, this.fpCard, card('errorcard', 'Errors and injected faults', h('div.row', {}, this.armed, h('span.spacer'), this.disarm), this.errors)),
      ),
    );
  }

  async start() {
    this.fp.layout(this.fpCard.clientWidth - 26);
    let snap;
    // The server may be starting or restarting: keep asking.
    while (!snap) {
      snap = await this.api.get(`/api/v1/${this.csc}/state`).catch(() => new Promise((r) => setTimeout(() => r(undefined), 2000)));
    }
    this.model.applySnapshot(snap);
    if (snap.lastImageName) this.showFiles(snap.lastImageName);
    this.stream = new EventStream(`/api/v1/${this.csc}/events`, {
      lastEventId: Math.max(0, snap.eventSeq - HISTORY),
      onEvent: (e) => this.onEvent(e),
      onControl: (name) => {
        // Events were lost (too old, or the server restarted): start again from a fresh snapshot.
        if (name === 'daqsim.gap') void this.api.get(`/api/v1/${this.csc}/state`).then((s) => (this.model.applySnapshot(s), this.dirty()));
      },
      onStatus: (s) => {
        this.status = s;
        this.dirty();
      },
    }).start();
    void this.poll();
    setInterval(() => void this.poll(), POLL_MS);
    // Bars of an exposure under way grow with time, not only with events.
    setInterval(() => this.animating && this.dirty(), 250);
    this.dirty();
  }

  onEvent(e) {
    this.model.apply(e);
    if (e.name === 'ackcmd') this.controls.onAck(this.model.acks.get(e.data.cmdId));
    if (e.name === 'fileTransferPerImageSummary') this.showFiles(e.data.obsId);
    this.dirty();
  }

  async poll() {
    try {
      const [stats, faults] = await Promise.all([this.api.get('/api/v1/stats'), this.api.get(`/api/v1/${this.csc}/faults`)]);
      const mine = stats.cscs.find((c) => c.csc === this.csc);
      if (mine) this.model.applyStats(mine);
      this.model.faults = faults;
      this.dirty();
    } catch {
      // The stream's status already shows a server that went away.
    }
  }

  /** Show an exposure's thumbnails once its files are listed; a burst (replay) shows only the last one. */
  showFiles(obsId) {
    this.shown = obsId;
    setTimeout(async () => {
      if (this.shown !== obsId) return;
      try {
        const r = await this.api.get(`/api/v1/images/${obsId}`);
        if (this.shown !== obsId) return;
        this.fp.show(obsId, new Set(r.files.map((f) => f.detector)));
        this.fpTitle.innerHTML = `<b>${esc(obsId)}</b> · ${r.files.length}/${this.model.info.detectors.length} CCDs · click a CCD to enlarge`;
      } catch {
        // No files (all missing): the timeline says so.
      }
    }, 50);
  }

  select(e) {
    const row = e.target.closest('.tl-row');
    if (!row) return;
    this.selected = row.dataset.obs === this.selected ? null : row.dataset.obs;
    this.dirty();
  }

  dirty() {
    if (!this.raf) this.raf = requestAnimationFrame(() => ((this.raf = 0), this.render()));
  }

  render() {
    const m = this.model;
    this.stateChip.textContent = m.summary ?? '…';
    this.stateChip.className = `state ${m.summary ?? ''}`;
    this.conn.className = `conn ${this.status}`;
    this.conn.textContent = this.status;
    const now = m.now();
    this.clock.textContent = now === null ? '' : `${tai(now)} TAI · time scale ×${m.timeScale}`;
    this.renderStates();
    this.controls.update();
    const html = renderTimeline(m, this.selected, now);
    this.animating = html.includes(' running');
    this.timeline.innerHTML = html;
    const sel = (this.selected && m.exposures.get(this.selected)) || m.recent(1)[0];
    this.detail.innerHTML = renderDetail(sel);
    this.renderCounts();
    this.renderErrors();
  }

  renderStates() {
    const m = this.model;
    const rows = STATE_ROWS.filter(([k]) => m.detailed[k] !== undefined).map(([k, label]) => {
      const v = m.detailed[k];
      const cls = HOT.has(v) ? 'hot' : BAD.has(v) ? 'bad' : GOOD.has(v) ? 'good' : '';
      return `<dt>${label}</dt><dd class="${cls}" data-state="${k}">${esc(v)}</dd>`;
    });
    if (m.info.hasSetFilter) rows.push(`<dt>filter</dt><dd data-state="filter">${esc(m.filter || '—')}</dd>`);
    rows.push(`<dt>heartbeat</dt><dd class="muted">${m.heartbeat ? hhmmss(m.heartbeat) : '—'}</dd>`);
    this.states.innerHTML = rows.join('');
  }

  renderCounts() {
    const s = this.model.stats;
    if (!s) return;
    const n = s.notifications;
    const row = (label, value, bad = false) => `<span>${label}</span><span${bad ? ' class="bad"' : ''} data-count="${label}">${value}</span>`;
    this.counts.innerHTML = [
      row('images', s.store.images),
      row('files', s.store.files),
      row('bytes', bytes(s.store.bytes)),
      row('files missing', s.store.missing, s.store.missing > 0),
      row('notification targets', n.targets.length),
      row('notifications sent', n.delivered),
      row('failed', n.failed, n.failed > 0),
      row('retried', n.retried),
      row('queued', n.queued),
    ].join('');
    this.retry.hidden = n.failed === 0;
  }

  renderErrors() {
    const m = this.model;
    this.armed.innerHTML = m.faults.length ? `armed: ${m.faults.map((f) => `<code title="${esc(JSON.stringify(f))}">${esc(f.kind)}</code>`).join('')}` : '<span class="muted">no armed faults</span>';
    this.disarm.hidden = m.faults.length === 0;
    this.errors.innerHTML = m.errors.length
      ? m.errors
          .slice(0, 40)
          .map((e) => `<li class="${e.kind}"><span class="muted">${hhmmss(e.at)}</span> <span class="kind">${e.kind}</span>${esc(e.text)}</li>`)
          .join('')
      : '<li class="muted">nothing yet</li>';
  }
}
