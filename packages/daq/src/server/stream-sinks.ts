/**
 * The two stream transports. SSE: `id:` is the sequence number, `event:` the ts_xml event name, `data:` the JSON
 * fields; control messages are named `daqsim.gap` and `daqsim.fellBehind` and carry no id, so Last-Event-ID keeps
 * pointing at the last real event. WebSocket: one msgpack frame per message, `{kind:'event', seq, name, data}` or
 * `{kind:'gap'|'fellBehind', ...}`.
 */
import type { ServerResponse } from 'node:http';
import { Packr } from 'msgpackr';
import type { WebSocket } from 'ws';
import type { StreamMessage, StreamSink } from './event-streamer.js';

export function sseFrame(m: StreamMessage): string {
  switch (m.kind) {
    case 'event':
      return `id: ${m.event.seq}\nevent: ${m.event.name}\ndata: ${JSON.stringify(m.event.data)}\n\n`;
    case 'gap':
      return `event: daqsim.gap\ndata: ${JSON.stringify({ from: m.from, to: m.to, reason: m.reason })}\n\n`;
    case 'fellBehind':
      return `event: daqsim.fellBehind\ndata: ${JSON.stringify({ lastSent: m.lastSent, firstHeld: m.firstHeld, lastSeq: m.lastSeq })}\n\n`;
  }
}

/** How long a dropped slow client gets to read its last message before the socket is destroyed. */
const LINGER_MS = 30_000;

export class SseSink implements StreamSink {
  private keepalive: ReturnType<typeof setInterval>;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // The stream owns the connection: when it ends (fell behind, shutdown) the socket goes too, not back to a
      // keep-alive pool where it would hold up server shutdown.
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    // A comment line now and then keeps proxies from closing an idle stream.
    this.keepalive = setInterval(() => {
      if (!this.closed) res.write(': keepalive\n\n');
    }, 15_000);
    this.keepalive.unref();
    res.on('close', () => clearInterval(this.keepalive));
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  send(message: StreamMessage): boolean {
    if (this.closed) return false;
    const ok = this.res.write(sseFrame(message));
    // ServerResponse corks the socket on write and flushes only at the next tick, i.e. after whatever the server
    // does next: uncorking now sends the event at once (measured: SSE p50 from ~30 ms to ~1 ms under load).
    this.res.socket?.uncork();
    return ok;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  end(): void {
    clearInterval(this.keepalive);
    if (!this.closed) this.res.end();
    setTimeout(() => this.res.destroy(), LINGER_MS).unref();
  }

  destroy(): void {
    clearInterval(this.keepalive);
    this.res.destroy();
  }
}

/** msgpack with typed arrays kept as typed arrays. */
export const packr = new Packr({ moreTypes: true });

export function wsMessage(m: StreamMessage): Record<string, unknown> {
  return m.kind === 'event' ? { kind: 'event', seq: m.event.seq, name: m.event.name, data: m.event.data } : { ...m };
}

/** Frames queued beyond this many bytes make send() report a full buffer. */
const WS_HIGH_WATER = 256 << 10;

export class WsSink implements StreamSink {
  private flushed: Promise<void> = Promise.resolve();

  constructor(private readonly ws: WebSocket) {}

  get closed(): boolean {
    return this.ws.readyState !== this.ws.OPEN;
  }

  send(message: StreamMessage): boolean {
    if (this.closed) return false;
    this.flushed = new Promise((resolve) => this.ws.send(packr.pack(wsMessage(message)), () => resolve()));
    return this.ws.bufferedAmount < WS_HIGH_WATER;
  }

  /** The send callback fires once the frame is handed to the socket: the queue ahead of it has gone too. */
  async drained(): Promise<void> {
    while (!this.closed && this.ws.bufferedAmount >= WS_HIGH_WATER) {
      await Promise.race([this.flushed, new Promise((r) => setTimeout(r, 50))]);
    }
  }

  destroy(): void {
    // 1001 going away: the server is shutting down.
    if (!this.closed) this.ws.close(1001, 'server shutting down');
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  end(): void {
    if (this.closed) return;
    // 1008 policy violation: the client was too slow; it may reconnect and resume.
    this.ws.close(1008, 'fell behind');
    setTimeout(() => this.ws.terminate(), LINGER_MS).unref();
  }
}
