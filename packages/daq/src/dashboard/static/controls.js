/**
 * The commands a rehearsal lead uses most: summary-state transitions, takeImages (image type, exposure time, count,
 * filter; setFilter first when the filter differs) and stop. Buttons are enabled only when the CSC's state allows
 * the command. Commands go out with ?wait=false; their final acks arrive on the event stream.
 */
import { TRANSITIONS } from './model.js';
import { esc, h } from './util.js';

const FINAL_OK = 'COMPLETE';
const isFinal = (name) => name !== 'INPROGRESS' && name !== 'ACK';

export class Controls {
  constructor(model, api) {
    this.model = model;
    this.api = api;
    this.csc = model.info.csc;
    this.pending = new Set();
    this.waiting = new Map();
    this.lastCmdId = null;
    /** The user picked a filter: stop following the one in the beam. */
    this.filterTouched = false;
    const info = model.info;
    this.buttons = {};
    const button = (name, cls = '', label = name) => (this.buttons[name] = h(`button${cls}`, { type: 'button', 'data-cmd': name, onclick: () => void this.send(name, {}) }, label));
    this.type = h('select', { name: 'imageType', onchange: () => this.typeChanged() }, info.imageTypes.map((t) => h('option', { value: t.name, selected: t.name === 'OBJECT' }, t.name)));
    this.expTime = h('input', { type: 'number', name: 'expTime', min: '0', step: 'any', value: '15' });
    this.count = h('input', { type: 'number', name: 'numImages', min: '1', max: '1000', step: '1', value: '1' });
    this.filter = h('select', { name: 'filter', disabled: !info.hasSetFilter, onchange: () => (this.filterTouched = true) }, info.hasSetFilter ? info.filters.map((f) => h('option', { value: f }, f)) : h('option', {}, 'n/a'));
    this.shutterNote = h('span.muted');
    this.take = h('button.primary', { type: 'button', 'data-cmd': 'takeImages', onclick: () => void this.takeImages() }, 'Take images');
    this.buttons.takeImages = this.take;
    this.ackLine = h('div.ack', { 'aria-live': 'polite' });
    this.el = h(
      'section.card.controls',
      {},
      h('h2', {}, 'Commands'),
      h('div.buttons', {}, Object.keys(TRANSITIONS).map((n) => button(n))),
      h(
        'div.form',
        {},
        h('label', {}, 'Image type', this.type),
        h('label', {}, 'Filter', this.filter),
        h('label', {}, 'Exposure time [s]', this.expTime),
        h('label', {}, 'Images', this.count),
        h('div.wide.row', {}, this.take, button('stop', '.danger', 'Stop'), this.shutterNote),
      ),
      this.ackLine,
    );
    this.typeChanged();
  }

  typeChanged() {
    const t = this.model.info.imageTypes.find((x) => x.name === this.type.value);
    this.shutterNote.textContent = t?.shutter ? 'shutter opens' : 'shutter closed';
    if (this.type.value === 'BIAS') this.expTime.value = '0';
  }

  /** Enable what the state allows; reflect the filter in the beam. */
  update() {
    for (const [name, b] of Object.entries(this.buttons)) b.disabled = this.pending.has(name) || !this.model.allowed(name);
    if (this.model.info.hasSetFilter && this.model.filter && !this.filterTouched && !this.model.filter.startsWith('→')) {
      this.filter.value = this.model.filter;
    }
    const a = this.model.lastAck;
    if (a && a.cmdId === this.lastCmdId) this.showAck(a);
  }

  showAck(a) {
    const name = a.name ?? this.model.names.ack[a.ack] ?? String(a.ack);
    this.ackLine.className = `ack ${name === FINAL_OK ? 'ok' : isFinal(name) ? 'bad' : 'run'}`;
    const eta = name === 'INPROGRESS' && a.timeout ? ` (about ${a.timeout.toFixed(1)} s)` : '';
    this.ackLine.innerHTML = `<b>${esc(a.command)}</b> (command ${a.cmdId}): ${esc(name)}${eta}${a.result ? ` — ${esc(a.result)}` : ''}`;
  }

  /** Called for every ack on the stream. */
  onAck(a) {
    const w = this.waiting.get(a.cmdId);
    if (w && isFinal(a.name)) {
      this.waiting.delete(a.cmdId);
      w(a);
    }
  }

  async send(name, params) {
    this.pending.add(name);
    this.update();
    try {
      const first = await this.api.command(this.csc, name, params);
      this.lastCmdId = first.cmdId;
      // The final ack may have arrived on the stream before this answer.
      this.showAck(this.model.acks.get(first.cmdId) ?? first);
      return first;
    } catch (e) {
      this.ackLine.className = 'ack bad';
      this.ackLine.textContent = `${name}: ${e.message}`;
      return null;
    } finally {
      this.pending.delete(name);
      this.update();
    }
  }

  finalAck(first) {
    const known = this.model.acks.get(first.cmdId);
    if (known && isFinal(known.name)) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.set(first.cmdId, resolve));
  }

  async takeImages() {
    const type = this.model.info.imageTypes.find((t) => t.name === this.type.value);
    const want = this.filter.value;
    if (this.model.info.hasSetFilter && want && want !== this.model.filter) {
      const first = await this.send('setFilter', { name: want });
      if (!first || this.model.names.ack[first.ack] !== 'INPROGRESS') return;
      if ((await this.finalAck(first)).name !== FINAL_OK) return;
      this.filterTouched = false;
    }
    await this.send('takeImages', {
      numImages: Math.round(Number(this.count.value)),
      expTime: Number(this.expTime.value),
      shutter: type?.shutter ?? true,
      keyValueMap: `imageType: ${this.type.value}`,
    });
  }
}
