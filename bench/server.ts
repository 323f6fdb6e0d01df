/**
 * Server (issue 8): streaming one CCD's FITS file over loopback, and event fan-out latency to many stream clients.
 *
 *   node --conditions=daqsim-source --import tsx bench/server.ts [--quick] [--runs N] [--clients N] [--bursts N]
 *                                                                 [--images N] [--time-scale X]
 *
 * Streaming: the real emulator (comcam, constant pixels, uncompressed) takes one image of one CCD (~75 MB) into a
 * temporary store; `GET /api/v1/images/{obsid}/{detector}` is downloaded N times after a warm-up with Node's fetch (in
 * the client process below) and with curl, alternating with a bare node:http server that answers the same bytes from
 * one Buffer (what loopback and the client manage when the server costs nothing). Ratio = ours / that.
 *
 * Fan-out: N SSE clients, then N WebSocket clients, then N in-process `emulator.events` subscribers (the reference)
 * follow the CSC while it runs bursts of takeImages (a `ccdNotWritten` fault keeps file writing out of the figure;
 * its faultInjected/logMessage events are part of the burst). Latency per delivery = receive time − the instant the
 * event was published, taken by a listener subscribed before any client, matched by sequence number. Clients run in
 * a child process so the server keeps its own core and event loop, as with real remote clients; both sides read
 * process.hrtime (CLOCK_MONOTONIC, one clock for the whole machine). Receive time is when the chunk or frame arrives,
 * before the client parses it. Each figure is the median (min, max) over bursts of that burst's p50 or p99, in µs
 * (not ms: the in-process reference is a few µs, and lib's table prints two decimals). The notes carry what explains
 * a figure: the server's event-loop delay and CPU per delivery, the client process's CPU, and the load average.
 */

import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, get as httpGet, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { argNumber, emit, quick, row, stat, type Row } from './lib.js';
// Relative import: the bench package does not depend on @daqsim/daq (the s3 case does the same).
import { AckCode, DaqClient, defaultConfig, startServer, type RunningServer } from '../packages/daq/src/index.js';

const CSC = 'CCCamera';
const DETECTOR = 'R22_S11';

// ws and msgpackr are the server's own dependencies; resolve them from the daq package rather than adding them here.
const daqRequire = createRequire(new URL('../packages/daq/package.json', import.meta.url));

/** The part of ws's client we use. */
interface WsClient {
  binaryType: string;
  on(event: 'open', cb: () => void): this;
  on(event: 'message', cb: (data: Buffer) => void): this;
  on(event: 'error', cb: (e: Error) => void): this;
  on(event: 'close', cb: () => void): this;
  close(): void;
  terminate(): void;
}
type WsClientCtor = new (url: string, opts?: { perMessageDeflate?: boolean }) => WsClient;
type PackrCtor = new (opts: { moreTypes: boolean }) => { unpack(bytes: Uint8Array): unknown };

// ---------------------------------------------------------------- messages between the bench and its client process
type Transport = 'sse' | 'ws';
type ToChild =
  | { op: 'download'; urls: string[]; runs: number; size: number }
  | { op: 'connect'; transport: Transport; url: string; n: number; since: number }
  | { op: 'collect'; from: number; to: number; timeoutMs: number }
  | { op: 'disconnect' }
  | { op: 'exit' };
type FromChild =
  | { op: 'ready' }
  | { op: 'download'; rates: number[][] }
  | { op: 'connected' }
  /** Deliveries with from < seq <= to: parallel arrays (seq, receive time [ms since T0]). */
  | { op: 'receipts'; seqs: number[]; times: number[]; missing: number; controls: number }
  /** CPU time the client process spent while connected [µs], user + system. */
  | { op: 'disconnected'; cpuUs: number }
  | { op: 'error'; message: string };

/** ms since the shared origin T0 (a process.hrtime.bigint() value the bench passes to its client process). */
function clockFrom(t0: bigint): () => number {
  return () => Number(process.hrtime.bigint() - t0) / 1e6;
}

// ================================================================= client process
async function clientProcess(): Promise<void> {
  const now = clockFrom(BigInt(process.argv[process.argv.indexOf('--t0') + 1]!));
  const WebSocket = daqRequire('ws') as WsClientCtor;
  const { Packr } = daqRequire('msgpackr') as { Packr: PackrCtor };
  // The server packs with `new Packr({ moreTypes: true })` and no shared structures, so records are defined inline
  // in every frame and a fresh Packr on this side decodes each frame by itself.
  const unpackr = new Packr({ moreTypes: true });
  // keep-alive off: an SSE stream owns its connection anyway.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

  interface Client {
    seqs: number[];
    times: number[];
    maxSeq: number;
    controls: number;
    close(): Promise<void>;
  }
  let clients: Client[] = [];
  let cpuAtConnect = process.cpuUsage();

  const sseClient = (url: string): Promise<Client> =>
    new Promise((resolve, reject) => {
      const c: Client = { seqs: [], times: [], maxSeq: 0, controls: 0, close: async () => undefined };
      const req = httpGet(url, { agent, headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          const t = now();
          buf += chunk;
          // The server writes `field: value` lines and a blank line after each message; nothing else to handle.
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let id: number | undefined;
            let event = '';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = Number(line.slice(4));
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (id !== undefined) {
              JSON.parse(data); // a real client decodes every message
              c.seqs.push(id);
              c.times.push(t);
              c.maxSeq = id;
            } else if (event.startsWith('daqsim.')) c.controls++;
          }
        });
        c.close = () =>
          new Promise((done) => {
            res.once('close', () => done());
            req.destroy();
          });
        resolve(c);
      });
      req.on('error', reject);
    });

  const wsClient = (url: string): Promise<Client> =>
    new Promise((resolve, reject) => {
      const c: Client = { seqs: [], times: [], maxSeq: 0, controls: 0, close: async () => undefined };
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      let open = false;
      const closed = new Promise<void>((done) => ws.on('close', () => done()));
      ws.on('message', (raw: Buffer) => {
        const t = now();
        const m = unpackr.unpack(raw) as { kind: string; seq?: number };
        if (m.kind === 'event' && typeof m.seq === 'number') {
          c.seqs.push(m.seq);
          c.times.push(t);
          c.maxSeq = m.seq;
        } else c.controls++;
      });
      ws.on('error', (e) => (open ? undefined : reject(e)));
      ws.on('open', () => {
        open = true;
        c.close = async () => {
          ws.close();
          await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
          ws.terminate();
        };
        resolve(c);
      });
    });

  const fetchOnce = async (url: string, size: number): Promise<number> => {
    const t = performance.now();
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
    let n = 0;
    for await (const chunk of res.body) n += chunk.byteLength;
    const s = (performance.now() - t) / 1000;
    if (n !== size) throw new Error(`GET ${url}: ${n} bytes, expected ${size}`);
    return n / s / 1e9;
  };

  const handle = async (m: ToChild): Promise<FromChild | undefined> => {
    switch (m.op) {
      case 'download': {
        // Alternate the URLs run by run so a drift of the machine affects both alike; the first round warms up.
        const rates = m.urls.map((): number[] => []);
        for (let r = -1; r < m.runs; r++) {
          for (const [i, url] of m.urls.entries()) {
            const g = await fetchOnce(url, m.size);
            if (r >= 0) rates[i]!.push(g);
          }
        }
        return { op: 'download', rates };
      }
      case 'connect': {
        const q = `?since=${m.since}`;
        clients = await Promise.all(Array.from({ length: m.n }, () => (m.transport === 'sse' ? sseClient(m.url + q) : wsClient(m.url + q))));
        cpuAtConnect = process.cpuUsage();
        return { op: 'connected' };
      }
      case 'collect': {
        const deadline = performance.now() + m.timeoutMs;
        while (clients.some((c) => c.maxSeq < m.to) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const seqs: number[] = [];
        const times: number[] = [];
        let controls = 0;
        for (const c of clients) {
          for (let i = 0; i < c.seqs.length; i++) {
            const s = c.seqs[i]!;
            if (s > m.from && s <= m.to) {
              seqs.push(s);
              times.push(c.times[i]!);
            }
          }
          controls += c.controls;
          // Keep only what a later burst may still ask for.
          const keep = c.seqs.findIndex((s) => s > m.to);
          c.seqs = keep < 0 ? [] : c.seqs.slice(keep);
          c.times = keep < 0 ? [] : c.times.slice(keep);
          c.controls = 0;
        }
        return { op: 'receipts', seqs, times, missing: clients.length * (m.to - m.from) - seqs.length, controls };
      }
      case 'disconnect': {
        const cpu = process.cpuUsage(cpuAtConnect);
        await Promise.all(clients.map((c) => c.close()));
        clients = [];
        return { op: 'disconnected', cpuUs: cpu.user + cpu.system };
      }
      case 'exit':
        agent.destroy();
        process.disconnect();
        return undefined;
    }
  };

  // One request at a time: the bench waits for each answer before it sends the next.
  process.on('message', (m: ToChild) => {
    handle(m).then(
      (reply) => reply && process.send!(reply),
      (e: unknown) => process.send!({ op: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies FromChild),
    );
  });
  process.send!({ op: 'ready' } satisfies FromChild);
}

// ================================================================= the bench
function percentile(sorted: Float64Array, q: number): number {
  // Nearest rank.
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

class ClientProcess {
  private waiting: { resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined;
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m: FromChild) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (!w) return;
      if (m.op === 'error') w.reject(new Error(`client process: ${m.message}`));
      else w.resolve(m);
    });
    child.once('exit', (code) => this.waiting?.reject(new Error(`client process exited (${code})`)));
  }

  static async start(t0: bigint): Promise<ClientProcess> {
    // The same file in the role of the clients; execArgv carries --conditions and --import tsx along.
    const child = fork(fileURLToPath(import.meta.url), ['--client-process', '--t0', String(t0)], { execArgv: process.execArgv, stdio: 'inherit' });
    const cp = new ClientProcess(child);
    const first = await new Promise<FromChild>((resolve, reject) => (cp.waiting = { resolve, reject }));
    if (first.op !== 'ready') throw new Error(`client process: unexpected ${first.op}`);
    return cp;
  }

  ask<O extends FromChild['op']>(m: ToChild, expect: O): Promise<Extract<FromChild, { op: O }>> {
    return new Promise((resolve, reject) => {
      this.waiting = {
        resolve: (r) => (r.op === expect ? resolve(r as Extract<FromChild, { op: O }>) : reject(new Error(`client process answered ${r.op}, expected ${expect}`))),
        reject,
      };
      this.child.send(m);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.child.send({ op: 'exit' } satisfies ToChild);
    const t = setTimeout(() => this.child.kill(), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

function curlOnce(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // execFile, not execFileSync: the servers live in this process and must keep running meanwhile.
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download} %{speed_download}', url], (err, stdout) => {
      if (err) return reject(err);
      const [n, speed] = stdout.trim().split(' ').map(Number);
      if (n !== size) return reject(new Error(`curl ${url}: ${n} bytes, expected ${size}`));
      resolve(speed! / 1e9);
    });
  });
}

function curlInstalled(): Promise<boolean> {
  return new Promise((resolve) => execFile('curl', ['--version'], (err) => resolve(!err)));
}

async function staticServer(bytes: Uint8Array): Promise<{ url: string; close(): Promise<void> }> {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/fits', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ccd.fits`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const runs = argNumber('runs', quick ? 5 : 15);
  const nClients = argNumber('clients', quick ? 20 : 100);
  const bursts = argNumber('bursts', quick ? 2 : 5);
  const images = argNumber('images', quick ? 2 : 3);
  const timeScale = argNumber('time-scale', 20);
  const t0 = process.hrtime.bigint();
  const now = clockFrom(t0);
  // Other work on the machine moves every figure here; the 1-minute load average goes into the notes.
  const load = (): string => `${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;

  const dir = mkdtempSync(join(tmpdir(), 'daqsim-bench-server-'));
  let srv: RunningServer | undefined;
  let ref: Awaited<ReturnType<typeof staticServer>> | undefined;
  let child: ClientProcess | undefined;
  const rows: Row[] = [];
  try {
    srv = await startServer(
      { ...defaultConfig('comcam'), port: 0, store: dir, pixels: 'constant', compress: false, timeScale },
      {},
      { logger: false },
    );
    const em = srv.emulator;
    // Publication instants by sequence number. Subscribed before any client, so it runs first in every publish()
    // and its instant is when the fan-out starts.
    const emitted = new Map<number, number>();
    let summaries = 0;
    em.events.subscribe((e) => {
      emitted.set(e.seq, now());
      if (e.name === 'fileTransferPerImageSummary') summaries++;
    });
    child = await ClientProcess.start(t0);

    // ------------------------------------------------------------ streaming
    const cam = new DaqClient({ baseUrl: srv.url, csc: CSC });
    await cam.toEnabled();
    let t = performance.now();
    const { imageNames } = await cam.takeImages({ numImages: 1, expTime: 1, shutter: true, sensors: DETECTOR, keyValueMap: 'imageType: FLAT' }, { waitForFiles: true });
    const obsid = imageNames[0]!;
    const listing = (await (await fetch(`${srv.url}/api/v1/images/${obsid}`)).json()) as { files: Array<{ detector: string; key: string; size: number; url: string }> };
    const file = listing.files.find((f) => f.detector === DETECTOR);
    if (!file || !file.key.endsWith('.fits')) throw new Error(`no uncompressed file for ${obsid} ${DETECTOR}: ${JSON.stringify(listing)}`);
    console.log(`setup: ${obsid} ${DETECTOR} taken and written in ${((performance.now() - t) / 1000).toFixed(1)} s, ${(file.size / 1e6).toFixed(1)} MB`);
    const bytes = await (await em.store.get(file.key))!.bytes();
    ref = await staticServer(bytes);
    const ours = `${srv.url}${file.url}`;

    const dl = await child.ask({ op: 'download', urls: [ours, ref.url], runs, size: file.size }, 'download');
    rows.push(
      row({ case: 'server', figure: 'CCD FITS download, fetch', value: stat(dl.rates[0]!), unit: 'GB/s', reference: 'same bytes from a Buffer (node:http), fetch', referenceValue: stat(dl.rates[1]!), note: `${(file.size / 1e6).toFixed(1)} MB, ${runs} runs; load average ${load()}` }),
    );
    if (await curlInstalled()) {
      const c: number[][] = [[], []];
      for (let r = -1; r < runs; r++) {
        const a = await curlOnce(ours, file.size);
        const b = await curlOnce(ref.url, file.size);
        if (r >= 0) {
          c[0]!.push(a);
          c[1]!.push(b);
        }
      }
      rows.push(row({ case: 'server', figure: 'CCD FITS download, curl', value: stat(c[0]!), unit: 'GB/s', reference: 'same bytes from a Buffer (node:http), curl', referenceValue: stat(c[1]!), note: `${runs} runs` }));
    } else {
      rows.push(row({ case: 'server', figure: 'CCD FITS download, curl', value: null, unit: 'GB/s', reference: 'same bytes from a Buffer (node:http), curl', referenceValue: null, note: 'curl not installed' }));
    }
    await ref.close();
    ref = undefined;

    // ------------------------------------------------------------ fan-out
    // No files during the bursts: writing 75 MB CCDs would measure the writer, not the event stream.
    await cam.armFault({ kind: 'ccdNotWritten', count: 0 });
    const burst = async (): Promise<{ from: number; to: number }> => {
      const from = em.events.lastSeq;
      const before = summaries;
      const res = await fetch(`${srv!.url}/api/v1/${CSC}/command/takeImages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ numImages: images, expTime: 1, shutter: true, keyValueMap: 'imageType: FLAT' }),
      });
      const ack = (await res.json()) as { ack: number; result: string };
      if (ack.ack !== AckCode.COMPLETE) throw new Error(`takeImages: ${ack.ack} ${ack.result}`);
      // The last image's file stage (here: its fault events and summary) follows the COMPLETE ack.
      const deadline = performance.now() + 10_000;
      while (summaries - before < images && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return { from, to: em.events.lastSeq };
    };
    const base = em.events.subscriberCount;
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = performance.now() + 20_000;
      while (!cond()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    interface Phase {
      p50: number[];
      p99: number[];
      deliveries: number;
      missing: number;
      controls: number;
      /** The server's event-loop delay over the measured bursts [ms]: how much of the latency is the server busy. */
      loopP99: number;
      loopMax: number;
      /** Deliveries including the warm-up burst, and the server process's CPU time over the whole phase [µs]. */
      allDeliveries: number;
      serverCpuUs: number;
    }
    /** One burst unmeasured (first-use costs), then `bursts` measured; `deliveries` returns (seq, receive time) pairs. */
    const phase = async (deliveries: (from: number, to: number) => Promise<{ seqs: ArrayLike<number>; times: ArrayLike<number>; missing: number; controls: number }>): Promise<Phase> => {
      const f: Phase = { p50: [], p99: [], deliveries: 0, missing: 0, controls: 0, loopP99: 0, loopMax: 0, allDeliveries: 0, serverCpuUs: 0 };
      const cpu0 = process.cpuUsage();
      const warm = await burst();
      f.allDeliveries += (await deliveries(warm.from, warm.to)).seqs.length;
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      for (let b = 0; b < bursts; b++) {
        const { from, to } = await burst();
        const r = await deliveries(from, to);
        const lat = new Float64Array(r.seqs.length);
        for (let i = 0; i < lat.length; i++) lat[i] = (r.times[i]! - emitted.get(r.seqs[i]!)!) * 1000; // µs
        lat.sort();
        f.p50.push(percentile(lat, 0.5));
        f.p99.push(percentile(lat, 0.99));
        f.deliveries += lat.length;
        f.allDeliveries += lat.length;
        f.missing += r.missing;
        f.controls += r.controls;
      }
      loop.disable();
      f.loopP99 = loop.percentile(99) / 1e6;
      f.loopMax = loop.max / 1e6;
      const cpu = process.cpuUsage(cpu0);
      f.serverCpuUs = cpu.user + cpu.system;
      return f;
    };

    const results: Partial<Record<Transport, Phase & { clientCpuUs: number }>> = {};
    for (const transport of ['sse', 'ws'] as const) {
      const url = transport === 'sse' ? `${srv.url}/api/v1/${CSC}/events` : `${srv.url.replace(/^http/, 'ws')}/api/v1/${CSC}/events/ws`;
      t = performance.now();
      await child.ask({ op: 'connect', transport, url, n: nClients, since: em.events.lastSeq }, 'connected');
      // Connected on the client side; wait until the server has a streamer subscribed for each.
      await until(() => em.events.subscriberCount >= base + nClients, `${nClients} ${transport} streamers`);
      console.log(`fan-out: ${nClients} ${transport} clients connected in ${(performance.now() - t).toFixed(0)} ms`);
      const f = await phase((from, to) => child!.ask({ op: 'collect', from, to, timeoutMs: 10_000 }, 'receipts'));
      results[transport] = { ...f, clientCpuUs: (await child.ask({ op: 'disconnect' }, 'disconnected')).cpuUs };
      await until(() => em.events.subscriberCount === base, `${transport} streamers to stop`);
    }

    // Reference: the same number of plain in-process subscribers on the same bursts.
    let seqs: number[] = [];
    let times: number[] = [];
    const unsubs = Array.from({ length: nClients }, () =>
      em.events.subscribe((e) => {
        seqs.push(e.seq);
        times.push(now());
      }),
    );
    const ip = await phase(async () => {
      const r = { seqs, times, missing: 0, controls: 0 };
      seqs = [];
      times = [];
      return r;
    });
    for (const u of unsubs) u();

    for (const transport of ['sse', 'ws'] as const) {
      const f = results[transport]!;
      const name = transport === 'sse' ? 'SSE' : 'WebSocket';
      const note =
        `load average ${load()}; ${nClients} clients, ${bursts} bursts of takeImages x${images} at time scale ${timeScale}, ${f.deliveries} deliveries` +
        (f.missing ? `, ${f.missing} MISSING` : '') +
        (f.controls ? `, ${f.controls} gap/fellBehind messages` : '') +
        `; server event-loop delay p99 ${f.loopP99.toFixed(1)} ms, max ${f.loopMax.toFixed(1)} ms (in-process run: ${ip.loopP99.toFixed(1)}, ${ip.loopMax.toFixed(1)})` +
        // CPU per delivery: the server's includes the emulator's own work, which the in-process run has too.
        `; CPU per delivery: server ${(f.serverCpuUs / f.allDeliveries).toFixed(1)} µs (in-process run ${(ip.serverCpuUs / ip.allDeliveries).toFixed(1)}),` +
        ` clients ${(f.clientCpuUs / f.allDeliveries).toFixed(1)} µs`;
      const refName = `${nClients} in-process subscribers`;
      rows.push(row({ case: 'server', figure: `${name} fan-out latency p50`, value: stat(f.p50), unit: 'µs', reference: refName, referenceValue: stat(ip.p50), note }));
      rows.push(row({ case: 'server', figure: `${name} fan-out latency p99`, value: stat(f.p99), unit: 'µs', reference: refName, referenceValue: stat(ip.p99) }));
    }
  } finally {
    await child?.stop();
    await ref?.close();
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  emit('server', rows);
}

if (process.argv.includes('--client-process')) await clientProcess();
else await main();

