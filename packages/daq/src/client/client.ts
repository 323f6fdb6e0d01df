/**
 * Typed client of the DAQ emulator's HTTP API, for scripts, examples and tests.
 *
 *   const cam = new DaqClient({ baseUrl: 'http://127.0.0.1:8123', csc: 'ATCamera' });
 *   await cam.enterControl(); await cam.start(); await cam.enable();
 *   const { imageNames } = await cam.takeImages({ numImages: 2, expTime: 5, shutter: true }, { waitForFiles: true });
 *   for await (const e of cam.events({ names: ['endReadout'] })) console.log(e.data.imageName);
 *
 * Command methods resolve with the COMPLETE ack and throw `CommandFailedError` (FAILED, ABORTED) or
 * `CommandTimeoutError` (TIMEOUT) otherwise; `command()` returns any ack without throwing. `events()` reconnects by
 * itself and resumes after the last sequence number it delivered, so each event is delivered once.
 */
import WebSocket from 'ws';
import type { CommandName, CommandParamMap } from '../commands.js';
import type { Ack, CscSnapshot } from '../csc.js';
import { AckCode } from '../enums.js';
import type { AnyDaqEvent, DaqEvent, EventName } from '../event-types.js';
import type { ArmedFault, FaultSpec } from '../faults.js';
import type { CscName } from '../profiles.js';
import { decodeImageBytes, type DecodedImageBytes } from '../server/image-bytes.js';
import { packr } from '../server/stream-sinks.js';
import { readSse } from './sse-reader.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; field?: string },
  ) {
    super(`HTTP ${status}: ${body.message ?? body.error ?? 'error'}${body.field ? ` (field ${body.field})` : ''}`);
    this.name = 'HttpError';
  }
}

export class CommandFailedError extends Error {
  constructor(readonly ack: Ack) {
    super(`${ack.command} ${ack.ack === AckCode.ABORTED ? 'aborted' : 'failed'} (ack ${ack.ack}): ${ack.result}`);
    this.name = 'CommandFailedError';
  }
}

export class CommandTimeoutError extends CommandFailedError {
  constructor(ack: Ack) {
    super(ack);
    this.name = 'CommandTimeoutError';
  }
}

export interface DaqClientOptions {
  /** http://host:port */
  baseUrl: string;
  csc: CscName;
  token?: string;
}

export type StreamControl =
  | { kind: 'gap'; from: number; to: number; reason: string }
  | { kind: 'fellBehind'; lastSent: number; firstHeld: number; lastSeq: number };

export interface EventStreamOptions {
  /** Deliver events after this sequence number; default: only events published from now on. */
  since?: number;
  names?: readonly EventName[];
  transport?: 'sse' | 'ws';
  signal?: AbortSignal;
  /** Reconnect and resume when the connection drops (default true). */
  reconnect?: boolean;
  onControl?: (control: StreamControl) => void;
  /** Called on every (re)connection with the sequence number it resumes after. */
  onConnect?: (since: number) => void;
}

export interface TakeImagesOptions {
  /** Also wait until every image's files are reported (fileTransferPerImageSummary). */
  waitForFiles?: boolean;
  signal?: AbortSignal;
}

export interface TakeImagesResult {
  ack: Ack;
  imageNames: string[];
  /** Every event of the command, from its INPROGRESS ack to the end (and the file reports with waitForFiles). */
  events: AnyDaqEvent[];
}

type StreamItem = { kind: 'event'; event: AnyDaqEvent } | StreamControl;

/** A push-to-pull queue bridging callbacks to an async iterator. */
class ItemQueue<T> {
  private items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private error: unknown;

  push(item: T): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.error) throw this.error;
        return;
      }
      const r = await new Promise<IteratorResult<T>>((resolve) => (this.waiting = resolve));
      if (r.done) {
        if (this.error) throw this.error;
        return;
      }
      yield r.value;
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class DaqClient {
  readonly baseUrl: string;
  readonly csc: CscName;
  private readonly token: string | undefined;

  constructor(opts: DaqClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.csc = opts.csc;
    this.token = opts.token;
  }

  private headers(json: boolean): Record<string, string> {
    return { ...(json ? { 'content-type': 'application/json' } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (!res.ok) throw new HttpError(res.status, parsed as HttpError['body']);
    return parsed as T;
  }

  /** Send a command and return its ack (final, or the first with wait: false) whatever it is. */
  command<N extends CommandName>(name: N, params: CommandParamMap[N], opts: { wait?: boolean; signal?: AbortSignal } = {}): Promise<Ack> {
    const q = opts.wait === false ? '?wait=false' : '';
    return this.request<Ack>('POST', `/api/v1/${this.csc}/command/${name}${q}`, params, opts.signal);
  }

  /** Send a command; resolve with its COMPLETE ack, throw for any other final ack. */
  async run<N extends CommandName>(name: N, params: CommandParamMap[N], signal?: AbortSignal): Promise<Ack> {
    const ack = await this.command(name, params, signal ? { signal } : {});
    if (ack.ack === AckCode.COMPLETE) return ack;
    throw ack.ack === AckCode.TIMEOUT ? new CommandTimeoutError(ack) : new CommandFailedError(ack);
  }

  enterControl(): Promise<Ack> {
    return this.run('enterControl', {});
  }
  start(configurationOverride = ''): Promise<Ack> {
    return this.run('start', { configurationOverride });
  }
  enable(): Promise<Ack> {
    return this.run('enable', {});
  }
  disable(): Promise<Ack> {
    return this.run('disable', {});
  }
  standby(): Promise<Ack> {
    return this.run('standby', {});
  }
  exitControl(): Promise<Ack> {
    return this.run('exitControl', {});
  }
  setLogLevel(level: number, subsystem = ''): Promise<Ack> {
    return this.run('setLogLevel', { level, subsystem });
  }
  startImage(params: CommandParamMap['startImage']): Promise<Ack> {
    return this.run('startImage', params);
  }
  endImage(): Promise<Ack> {
    return this.run('endImage', {});
  }
  discardRows(nRows: number): Promise<Ack> {
    return this.run('discardRows', { nRows });
  }
  clear(nClears = 1): Promise<Ack> {
    return this.run('clear', { nClears });
  }
  initImage(deltaT = 0): Promise<Ack> {
    return this.run('initImage', { deltaT });
  }
  enableCalibration(): Promise<Ack> {
    return this.run('enableCalibration', {});
  }
  disableCalibration(): Promise<Ack> {
    return this.run('disableCalibration', {});
  }
  stop(): Promise<Ack> {
    return this.run('stop', {});
  }
  setFilter(name: string): Promise<Ack> {
    return this.run('setFilter', { name });
  }
  playlist(playlist: string, folder: string, images: readonly string[]): Promise<Ack> {
    return this.run('playlist', { playlist, folder, images: images.join(':') });
  }
  play(playlist: string, repeat = false): Promise<Ack> {
    return this.run('play', { playlist, repeat });
  }

  /** Bring the CSC from wherever it is to ENABLED (OFFLINE -> STANDBY -> DISABLED -> ENABLED; FAULT via standby). */
  async toEnabled(): Promise<void> {
    const path: Record<string, CommandName | undefined> = { OFFLINE: 'enterControl', STANDBY: 'start', DISABLED: 'enable', FAULT: 'standby' };
    for (let i = 0; i < 5; i++) {
      const s = (await this.state()).summaryState;
      if (s === 'ENABLED') return;
      await this.run(path[s]!, {});
    }
  }

  /**
   * takeImages; resolves at endTakeImage (the COMPLETE ack follows it) with the image names, or once every image's
   * files are reported with `waitForFiles`. Throws CommandFailedError / CommandTimeoutError otherwise.
   */
  async takeImages(params: CommandParamMap['takeImages'], opts: TakeImagesOptions = {}): Promise<TakeImagesResult> {
    const since = (await this.state()).eventSeq;
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const seen: AnyDaqEvent[] = [];
    let wake: (() => void) | undefined;
    const collector = (async () => {
      for await (const e of this.events({ since, signal })) {
        seen.push(e);
        wake?.();
      }
    })().catch(() => undefined);
    try {
      const ack = await this.command('takeImages', params, opts.signal ? { signal: opts.signal } : {});
      if (ack.ack !== AckCode.COMPLETE) throw ack.ack === AckCode.TIMEOUT ? new CommandTimeoutError(ack) : new CommandFailedError(ack);
      const mine = (): AnyDaqEvent[] => {
        const start = seen.findIndex((e) => e.name === 'ackcmd' && e.data.cmdId === ack.cmdId);
        return start < 0 ? [] : seen.slice(start);
      };
      const names = (): string[] => mine().filter((e): e is DaqEvent<'startIntegration'> => e.name === 'startIntegration').map((e) => e.data.imageName);
      const complete = (): boolean => {
        const m = mine();
        const ended = m.some((e) => e.name === 'ackcmd' && e.data.cmdId === ack.cmdId && e.data.ack === AckCode.COMPLETE);
        if (!ended || !opts.waitForFiles) return ended;
        const reported = new Set(m.filter((e): e is DaqEvent<'fileTransferPerImageSummary'> => e.name === 'fileTransferPerImageSummary').map((e) => e.data.obsId));
        return names().every((n) => reported.has(n));
      };
      while (!complete()) {
        if (signal.aborted) throw new Error('takeImages wait aborted');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 250);
        });
      }
      return { ack, imageNames: names(), events: mine() };
    } finally {
      stop.abort();
      await collector;
    }
  }

  state(): Promise<CscSnapshot & { notifications: Record<string, unknown> }> {
    return this.request('GET', `/api/v1/${this.csc}/state`);
  }

  armFault(spec: FaultSpec): Promise<ArmedFault> {
    return this.request('POST', `/api/v1/${this.csc}/faults`, spec);
  }

  faults(): Promise<ArmedFault[]> {
    return this.request('GET', `/api/v1/${this.csc}/faults`);
  }

  clearFaults(id?: string): Promise<{ cleared: number }> {
    return this.request('DELETE', `/api/v1/${this.csc}/faults${id ? `/${encodeURIComponent(id)}` : ''}`);
  }

  imageFiles(obsId: string): Promise<{ obsId: string; instrument: string; dayObs: number; files: Array<{ detector: string; key: string; size: number; url: string; sidecar: string }> }> {
    return this.request('GET', `/api/v1/images/${encodeURIComponent(obsId)}`);
  }

  async ccdFile(obsId: string, detector: string): Promise<Uint8Array> {
    const res = await fetch(`${this.baseUrl}/api/v1/images/${encodeURIComponent(obsId)}/${encodeURIComponent(detector)}`);
    if (!res.ok) throw new HttpError(res.status, (await res.json()) as HttpError['body']);
    return new Uint8Array(await res.arrayBuffer());
  }

  async ampImage(obsId: string, detector: string, amp: string): Promise<DecodedImageBytes> {
    const res = await fetch(`${this.baseUrl}/api/v1/images/${encodeURIComponent(obsId)}/${encodeURIComponent(detector)}/${encodeURIComponent(amp)}`, {
      headers: { accept: 'application/imagebytes' },
    });
    if (!res.ok) throw new HttpError(res.status, (await res.json()) as HttpError['body']);
    return decodeImageBytes(new Uint8Array(await res.arrayBuffer()));
  }

  /**
   * The CSC's events, in order, each once. Reconnects (after 100 ms, then backing off to 2 s) and resumes after
   * the last delivered sequence number. Ends when `signal` aborts, or on disconnect with `reconnect: false`.
   */
  async *events(opts: EventStreamOptions = {}): AsyncGenerator<AnyDaqEvent> {
    let last = opts.since ?? (await this.state()).eventSeq;
    let delay = 100;
    for (;;) {
      if (opts.signal?.aborted) return;
      opts.onConnect?.(last);
      try {
        const stream = opts.transport === 'ws' ? this.connectWs(last, opts) : this.connectSse(last, opts);
        for await (const item of stream) {
          if (item.kind === 'event') {
            if (item.event.seq <= last) continue;
            last = item.event.seq;
            delay = 100;
            yield item.event;
          } else {
            // Events up to `to` cannot be had; the server continues after them.
            if (item.kind === 'gap') last = item.to;
            opts.onControl?.(item);
          }
        }
      } catch (e) {
        if (opts.signal?.aborted) return;
        if (opts.reconnect === false) throw e;
      }
      if (opts.reconnect === false || opts.signal?.aborted) return;
      await sleep(delay, opts.signal);
      delay = Math.min(2000, delay * 2);
    }
  }

  private query(since: number, opts: EventStreamOptions): string {
    const q = new URLSearchParams({ since: String(since) });
    if (opts.names && opts.names.length > 0) q.set('names', opts.names.join(','));
    return q.toString();
  }

  private async *connectSse(since: number, opts: EventStreamOptions): AsyncGenerator<StreamItem> {
    const res = await fetch(`${this.baseUrl}/api/v1/${this.csc}/events?${this.query(since, opts)}`, {
      headers: { accept: 'text/event-stream' },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!res.ok || !res.body) throw new HttpError(res.status, (await res.json().catch(() => ({}))) as HttpError['body']);
    for await (const m of readSse(res.body)) {
      if (m.event === 'daqsim.gap') yield { kind: 'gap', ...(JSON.parse(m.data) as { from: number; to: number; reason: string }) };
      else if (m.event === 'daqsim.fellBehind') yield { kind: 'fellBehind', ...(JSON.parse(m.data) as { lastSent: number; firstHeld: number; lastSeq: number }) };
      else if (m.id !== undefined) yield { kind: 'event', event: { seq: Number(m.id), name: m.event, data: JSON.parse(m.data) } as AnyDaqEvent };
    }
  }

  private async *connectWs(since: number, opts: EventStreamOptions): AsyncGenerator<StreamItem> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/api/v1/${this.csc}/events/ws?${this.query(since, opts)}`;
    const queue = new ItemQueue<StreamItem>();
    const ws = new WebSocket(url);
    const onAbort = (): void => ws.terminate();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (raw: Buffer) => {
      const m = packr.unpack(raw) as { kind: string; seq?: number; name?: string; data?: unknown } & Record<string, unknown>;
      if (m.kind === 'event') queue.push({ kind: 'event', event: { seq: m.seq, name: m.name, data: m.data } as AnyDaqEvent });
      else if (m.kind === 'gap' || m.kind === 'fellBehind') queue.push(m as unknown as StreamControl);
    });
    ws.on('close', () => queue.end());
    ws.on('error', (e) => queue.end(e));
    try {
      yield* queue.drain();
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      ws.terminate();
    }
  }
}
