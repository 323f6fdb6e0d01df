/**
 * Event streams: SSE and WebSocket clients that reconnect receive every event exactly once; a slow client is told
 * it fell behind and is disconnected; resuming from a position no longer held reports a gap.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  DaqClient,
  FakeClock,
  InlineEncoder,
  LogLevel,
  MemoryStore,
  defaultConfig,
  packr,
  startServer,
  type AnyDaqEvent,
  type DaqConfig,
  type RunningServer,
  type StreamControl,
} from '../src/index.js';
import { TinyRenderer } from './helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<DaqConfig> = {}): Promise<RunningServer> {
  server = await startServer(
    { ...defaultConfig('latiss'), store: null, port: 0, heartbeat: false, initialState: 'ENABLED', ...overrides },
    { clock: new FakeClock(), renderer: new TinyRenderer(), store: new MemoryStore(), encoder: new InlineEncoder() },
  );
  return server;
}

function publish(s: RunningServer, n: number, tag: string, size = 0): void {
  for (let i = 0; i < n; i++) s.emulator.csc.log(LogLevel.INFO, `${tag} ${i} ${'x'.repeat(size)}`);
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Kill every open connection of the server (HTTP and WebSocket) without stopping it. */
function dropConnections(s: RunningServer): void {
  s.app.server.closeAllConnections();
  for (const ws of s.app.websocketServer.clients) ws.terminate();
}

for (const transport of ['sse', 'ws'] as const) {
  describe(`${transport} client`, () => {
    it('receives every event exactly once across reconnections', async () => {
      const s = await start();
      const client = new DaqClient({ baseUrl: s.url, csc: 'ATCamera' });
      const since = s.emulator.events.lastSeq;
      const got: AnyDaqEvent[] = [];
      const connects: number[] = [];
      const ctl = new AbortController();
      const reader = (async () => {
        for await (const e of client.events({ since, transport, signal: ctl.signal, onConnect: (n) => connects.push(n) })) got.push(e);
      })();
      await until(() => connects.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      for (let round = 0; round < 4; round++) {
        publish(s, 200, `round${round}`);
        // Drop the connection while events are still flowing, then publish more while the client is away.
        await until(() => got.length > round * 300 + 50);
        dropConnections(s);
        publish(s, 100, `away${round}`);
        await until(() => connects.length === round + 2);
      }
      const last = s.emulator.events.lastSeq;
      await until(() => got.length >= last - since);
      ctl.abort();
      await reader;
      const seqs = got.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: last - since }, (_, i) => since + 1 + i));
      expect(got.map((e) => e.name)).toEqual(s.emulator.events.after(since, 1e9).map((e) => e.name));
      expect(connects.length).toBe(5);
      // Each reconnection resumed after the last event delivered.
      expect(connects.slice(1).every((c) => seqs.includes(c))).toBe(true);
    });

    it('reports a gap when resuming from events no longer held, and after a server restart', async () => {
      const s = await start({ eventBuffer: 100 });
      publish(s, 300, 'old');
      const client = new DaqClient({ baseUrl: s.url, csc: 'ATCamera' });
      const controls: StreamControl[] = [];
      const ctl = new AbortController();
      const got: AnyDaqEvent[] = [];
      const reader = (async () => {
        for await (const e of client.events({ since: 5, transport, signal: ctl.signal, onControl: (c) => controls.push(c) })) got.push(e);
      })();
      await until(() => got.length > 0 && got.at(-1)!.seq === s.emulator.events.lastSeq);
      expect(controls[0]).toMatchObject({ kind: 'gap', from: 6, to: s.emulator.events.firstSeq - 1 });
      expect(got[0]!.seq).toBe(s.emulator.events.firstSeq);
      ctl.abort();
      await reader;

      const restarted: StreamControl[] = [];
      const ctl2 = new AbortController();
      const got2: AnyDaqEvent[] = [];
      const reader2 = (async () => {
        for await (const e of client.events({ since: 1_000_000, transport, signal: ctl2.signal, onControl: (c) => restarted.push(c) })) got2.push(e);
      })();
      await until(() => restarted.length > 0 && got2.length > 0);
      expect(restarted[0]).toMatchObject({ kind: 'gap', from: 1 });
      expect((restarted[0] as { reason: string }).reason).toContain('earlier run');
      ctl2.abort();
      await reader2;
    });
  });
}

describe('slow clients', () => {
  it('SSE: a client that stops reading is told it fell behind and disconnected', async () => {
    const s = await start({ eventBuffer: 200 });
    const u = new URL(`${s.url}/api/v1/ATCamera/events?since=${s.emulator.events.lastSeq}`);
    let text = '';
    let ended = false;
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => request(u, (r) => resolve(r)).end());
    res.setEncoding('utf8');
    res.pause();
    // ~16 MB of events while the client reads nothing: far beyond the socket buffers and the 200 events held.
    for (let i = 0; i < 16; i++) {
      publish(s, 500, `flood${i}`, 2000);
      await new Promise((r) => setTimeout(r, 5));
    }
    const before = process.memoryUsage().rss;
    res.on('data', (c: string) => (text += c));
    res.on('end', () => (ended = true));
    res.resume();
    await until(() => ended, 20_000);
    expect(text).toContain('event: daqsim.fellBehind');
    const tail = text.slice(text.lastIndexOf('event: daqsim.fellBehind'));
    const data = JSON.parse(/data: (.*)\n/.exec(tail)![1]!) as { lastSent: number; firstHeld: number };
    expect(data.lastSent).toBeLessThan(data.firstHeld);
    // The server held at most its event buffer for this client, not the 16 MB it could not send.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  });

  it('WebSocket: a client that stops reading is told it fell behind and disconnected', async () => {
    const s = await start({ eventBuffer: 200 });
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ATCamera/events/ws?since=${s.emulator.events.lastSeq}`);
    await new Promise((r) => ws.once('open', r));
    const messages: Array<{ kind: string }> = [];
    let closeCode = 0;
    ws.on('message', (m: Buffer) => messages.push(packr.unpack(m) as { kind: string }));
    ws.on('close', (code) => (closeCode = code));
    ws.pause();
    for (let i = 0; i < 16; i++) {
      publish(s, 500, `flood${i}`, 2000);
      await new Promise((r) => setTimeout(r, 5));
    }
    ws.resume();
    await until(() => closeCode !== 0, 20_000);
    expect(closeCode).toBe(1008);
    expect(messages.at(-1)).toMatchObject({ kind: 'fellBehind' });
  });
});
