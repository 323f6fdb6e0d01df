/* global fetch, TextDecoderStream, AbortController */
/**
 * The CSC event stream over SSE, read with fetch() rather than EventSource: the server prefers `?since=` over
 * Last-Event-ID, so an EventSource opened with `?since=` would replay from the same point on every reconnect. Here
 * the position always travels as the Last-Event-ID header (the last sequence number applied), reconnects back off
 * from 0.5 s to 10 s, and `daqsim.gap` / `daqsim.fellBehind` reach the caller.
 */

/** Split a text/event-stream into messages ({id, event, data}); call with each decoded chunk. */
export function sseParser(onMessage) {
  let rest = '';
  let id;
  let event = '';
  let data = [];
  return (chunk) => {
    const lines = (rest + chunk).split(/\r\n|\n|\r/);
    rest = lines.pop();
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0 || event !== '') onMessage({ id, event: event || 'message', data: data.join('\n') });
        id = undefined;
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class EventStream {
  /**
   * @param {string} url the SSE route
   * @param {{ lastEventId?: number, onEvent: (e: {seq: number, name: string, data: object}) => void,
   *           onControl?: (name: string, data: object) => void, onStatus?: (s: string) => void }} opts
   */
  constructor(url, opts) {
    this.url = url;
    this.opts = opts;
    this.lastEventId = opts.lastEventId;
    this.ctl = new AbortController();
  }

  start() {
    void this.run();
    return this;
  }

  stop() {
    this.ctl.abort();
  }

  async run() {
    let delay = 500;
    const status = (s) => this.opts.onStatus?.(s);
    status('connecting');
    while (!this.ctl.signal.aborted) {
      try {
        const headers = { accept: 'text/event-stream' };
        if (this.lastEventId !== undefined) headers['last-event-id'] = String(this.lastEventId);
        const res = await fetch(this.url, { headers, cache: 'no-store', signal: this.ctl.signal });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        status('live');
        delay = 500;
        const parse = sseParser((m) => this.dispatch(m));
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parse(value);
        }
      } catch {
        // Dropped or refused: reconnect below.
      }
      if (this.ctl.signal.aborted) return;
      status('reconnecting');
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  dispatch(m) {
    let data;
    try {
      data = JSON.parse(m.data);
    } catch {
      return;
    }
    if (m.event.startsWith('daqsim.')) {
      this.opts.onControl?.(m.event, data);
      return;
    }
    const seq = Number(m.id);
    if (!Number.isFinite(seq)) return;
    this.lastEventId = seq;
    this.opts.onEvent({ seq, name: m.event, data });
  }
}
