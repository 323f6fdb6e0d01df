/**
 * The HTTP contract: command acks (final, ?wait=false, TIMEOUT), state, 400s that name the field, the bearer token,
 * and an OpenAPI document that describes every registered route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AckCode,
  COMMANDS,
  FakeClock,
  InlineEncoder,
  MemoryStore,
  defaultConfig,
  registeredRoutes,
  startServer,
  type DaqConfig,
  type RunningServer,
} from '../src/index.js';
import { TinyRenderer } from './helpers.js';

let server: RunningServer | undefined;
let clock: FakeClock;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<DaqConfig> = {}, camera: DaqConfig['camera'] = 'latiss'): Promise<RunningServer> {
  clock = new FakeClock();
  server = await startServer(
    { ...defaultConfig(camera), store: null, port: 0, heartbeat: false, initialState: 'ENABLED', ...overrides },
    { clock, renderer: new TinyRenderer(), store: new MemoryStore(), encoder: new InlineEncoder() },
  );
  return server;
}

async function post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method: 'POST', headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${server!.url}${path}`, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Resolve a request while driving the fake clock. */
async function driven<T>(p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await clock.runUntil(() => done, 3_600_000);
  return p;
}

describe('commands over HTTP', () => {
  it('answers the final ack, or the first with ?wait=false', async () => {
    await start({ initialState: 'OFFLINE' });
    expect(await post('/api/v1/ATCamera/command/enterControl')).toEqual({
      status: 200,
      json: { cmdId: 1, command: 'enterControl', ack: AckCode.COMPLETE, error: 0, result: 'Done', timeout: 0 },
    });
    expect((await post('/api/v1/ATCamera/command/enterControl', {})).json).toMatchObject({ ack: AckCode.FAILED, error: 1, result: 'Failed: enterControl not allowed in state STANDBY' });
    await post('/api/v1/ATCamera/command/start', { configurationOverride: '' });
    await post('/api/v1/ATCamera/command/enable', {});
    const first = await post('/api/v1/ATCamera/command/takeImages?wait=false', { numImages: 1, expTime: 1, shutter: true });
    expect(first.json).toMatchObject({ ack: AckCode.INPROGRESS, command: 'takeImages' });
    expect(first.json.timeout as number).toBeGreaterThan(3);
    const state = await (await fetch(`${server!.url}/api/v1/ATCamera/state`)).json();
    expect(state).toMatchObject({ csc: 'ATCamera', summaryState: 'ENABLED', busy: { command: 'takeImages' }, detailedStates: { ccsCommandState: 'BUSY' } });
    const final = await driven(post('/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 1, shutter: true }));
    expect(final.json).toMatchObject({ ack: AckCode.FAILED, result: 'Failed: camera is busy: takeImages is running (ccsCommandState BUSY)' });
  });

  it('answers CMD_TIMEOUT when a readout never ends, and stop then aborts the command', async () => {
    await start({ commandTimeoutGrace: 5 });
    expect((await post('/api/v1/ATCamera/faults', { kind: 'readoutHang' })).status).toBe(200);
    const res = await driven(post('/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 2, shutter: true }));
    expect(res.json).toMatchObject({ ack: AckCode.TIMEOUT, error: 1 });
    expect(String(res.json.result)).toMatch(/^Timeout: no final ack within [\d.]+ s; the command is still running/);
    const state = (await (await fetch(`${server!.url}/api/v1/ATCamera/state`)).json()) as { busy: unknown; detailedStates: Record<string, string> };
    expect(state.busy).toMatchObject({ command: 'takeImages' });
    expect(state.detailedStates.raftsDetailedState).toBe('READING_OUT');
    expect((await post('/api/v1/ATCamera/command/stop', {})).json).toMatchObject({ ack: AckCode.COMPLETE });
    const after = (await (await fetch(`${server!.url}/api/v1/ATCamera/state`)).json()) as { busy: unknown };
    expect(after.busy).toBeNull();
  });

  it('has no command a CSC lacks and no CSC it does not serve', async () => {
    await start();
    expect(await post('/api/v1/ATCamera/command/setFilter', { name: 'r' })).toEqual({
      status: 404,
      json: { error: 'not found', message: 'ATCamera has no command setFilter', field: 'name' },
    });
    const other = await post('/api/v1/MTCamera/command/enable', {});
    expect(other).toMatchObject({ status: 404, json: { field: 'csc' } });
    expect((await post('/api/v1/ATCamera/command/selfDestruct', {})).status).toBe(404);
  });
});

describe('malformed and oversized requests get 400 naming the field', () => {
  const cases: Array<[string, string, unknown, string, Record<string, string>?]> = [
    ['a wrong type', '/api/v1/ATCamera/command/takeImages', { numImages: 'three', expTime: 1 }, 'numImages'],
    ['a fraction for an integer', '/api/v1/ATCamera/command/takeImages', { numImages: 1.5, expTime: 1 }, 'numImages'],
    ['an int32 overflow', '/api/v1/ATCamera/command/takeImages', { numImages: 2 ** 31, expTime: 1 }, 'numImages'],
    ['a missing required parameter', '/api/v1/ATCamera/command/takeImages', { numImages: 1 }, 'expTime'],
    ['an unknown parameter', '/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 1, exptime: 1 }, 'exptime'],
    ['a string for a boolean', '/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 1, shutter: 'yes' }, 'shutter'],
    ['an oversized string', '/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 1, keyValueMap: 'x'.repeat(9000) }, 'keyValueMap'],
    ['an oversized body', '/api/v1/ATCamera/command/takeImages', { numImages: 1, expTime: 1, obsNote: 'x'.repeat(70_000) }, 'body'],
    ['invalid JSON', '/api/v1/ATCamera/command/takeImages', '{"numImages": 1,', 'body'],
    ['a JSON array', '/api/v1/ATCamera/command/enable', '[1,2]', 'body'],
    ['a bad query parameter', '/api/v1/ATCamera/command/enable?wait=maybe', {}, 'wait'],
    ['an unknown query parameter', '/api/v1/ATCamera/command/enable?hurry=1', {}, 'hurry'],
    ['a non-JSON content type', '/api/v1/ATCamera/command/enable', 'enable=1', 'content-type', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a bad fault kind', '/api/v1/ATCamera/faults', { kind: 'meteorStrike' }, 'kind'],
    ['a bad fault detector', '/api/v1/ATCamera/faults', { kind: 'ccdNotWritten', detector: 'R22_S11' }, 'detector'],
  ];
  for (const [what, path, body, field, headers] of cases) {
    it(`for ${what}`, async () => {
      await start();
      const res = await post(path, body, headers);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'bad request', field });
      expect(typeof res.json.message).toBe('string');
    });
  }

  it('for bad resume positions and image names', async () => {
    await start();
    for (const [path, field] of [
      ['/api/v1/ATCamera/events?since=abc', 'since'],
      ['/api/v1/images/not-an-obsid', 'obsid'],
      ['/api/v1/images/AT_S_20251015_000001/R2_S1', 'detector'],
      ['/api/v1/images/AT_S_20251015_000001/R00_S00/amp1', 'amp'],
    ] as const) {
      const res = await fetch(`${server!.url}${path}`);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ field });
    }
  });
});

describe('bearer token', () => {
  it('protects commands and faults, not reads', async () => {
    await start({ token: 's3cret' });
    expect(await post('/api/v1/ATCamera/command/enable', {})).toMatchObject({ status: 401, json: { error: 'unauthorized', field: 'authorization' } });
    expect((await post('/api/v1/ATCamera/command/enable', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/api/v1/ATCamera/faults', { kind: 'notReady' })).status).toBe(401);
    expect((await driven(post('/api/v1/ATCamera/command/clear', { nClears: 1 }, { authorization: 'Bearer s3cret' }))).json).toMatchObject({ ack: AckCode.COMPLETE });
    expect((await fetch(`${server!.url}/api/v1/ATCamera/state`)).status).toBe(200);
  });

  it('is required to listen beyond loopback', async () => {
    await expect(startServer({ ...defaultConfig('latiss'), host: '0.0.0.0', port: 0, store: null })).rejects.toMatchObject({ code: 'BAD_CONFIG', field: 'token' });
  });
});

describe('OpenAPI', () => {
  it('describes every registered route', async () => {
    await start();
    const doc = (await (await fetch(`${server!.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes = registeredRoutes(server!.app);
    expect(routes.length).toBeGreaterThan(COMMANDS.length);
    const missing = routes
      .map((r) => ({ method: r.method.toLowerCase(), path: r.url.replace(/:([A-Za-z]+)/g, '{$1}') }))
      .filter((r) => !doc.paths[r.path]?.[r.method]);
    expect(missing).toEqual([]);
    // And nothing described that is not served.
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    const extra = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).filter((k) => !served.has(k));
    expect(extra).toEqual([]);
  });
});
