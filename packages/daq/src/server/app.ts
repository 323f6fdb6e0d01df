/**
 * The HTTP contract (extend it, do not rename it):
 *
 *   POST   /api/v1/{csc}/command/{name}          ts_xml parameters as JSON; answers the final ack (?wait=false: the first)
 *   GET    /api/v1/{csc}/state                   summary/detailed states, busy command, filter, faults, last image
 *   GET    /api/v1/{csc}/events                  SSE (resume: ?since=SEQ or Last-Event-ID; ?names=a,b filters)
 *   GET    /api/v1/{csc}/events/ws               WebSocket, msgpack frames, same resume rules
 *   GET|POST|DELETE /api/v1/{csc}/faults[/{id}]  scripted faults
 *   GET    /api/v1/notifications, POST /api/v1/notifications/retry
 *   GET    /api/v1/images/{obsid}[/{detector}[/{amp}]]   file list, CCD FITS stream, amp ImageBytes
 *   GET    /api/v1/openapi.json, /api/v1/health
 *   GET    /, /dashboard/{file}, /api/v1/dashboard, /api/v1/stats, /api/v1/images/{obsid}/{detector}/thumbnail.png
 *                                                the live dashboard (dashboard/routes.ts)
 *
 * Commands, fault changes and the notification retry need `Authorization: Bearer <token>` when a token is set
 * (required when the server listens beyond loopback).
 */
import { timingSafeEqual } from 'node:crypto';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FitsFile } from '@daqsim/fits';
import { AbortedError } from '../clock.js';
import { COMMANDS, bodySchema, type CommandName, type CommandParamMap, type CommandSpec } from '../commands.js';
import type { Ack, CommandHandle } from '../csc.js';
import { registerDashboard } from '../dashboard/routes.js';
import { AckCode, isFinalAck } from '../enums.js';
import { DaqError } from '../errors.js';
import type { DaqEmulator } from '../emulator.js';
import { FAULT_SCHEMA, type FaultSpec } from '../faults.js';
import { dayObsOfObsId } from '../frames.js';
import type { CscName } from '../profiles.js';
import { EventStreamer, type StreamSink } from './event-streamer.js';
import { errorReply, type ErrorBody } from './http-errors.js';
import { encodeImageBytes } from './image-bytes.js';
import { openApiDocument } from './openapi.js';
import { SseSink, WsSink } from './stream-sinks.js';

export interface ServerOptions {
  /** Bearer token for commands and faults; null/undefined: none needed (loopback only). */
  token?: string | null;
  /** Largest request body [bytes] (default 64 KiB). */
  bodyLimit?: number;
  /** Extra wait beyond a command's estimate before answering CMD_TIMEOUT [s, emulated] (default 30). */
  commandTimeoutGrace?: number;
  /** fastify logger option (default off). */
  logger?: boolean;
}

const OBSID_RE = /^([A-Z]{2})_([A-Z])_(\d{8})_(\d{6})$/;
const DETECTOR_RE = /^R[0-9X]{2}_S[A-Z0-9]{2}$/;
const AMP_RE = /^(?:C|Segment)([0-9]{2})$/;
const SEQ_RE = /^[0-9]{1,15}$/;

function badRequest(field: string, message: string): DaqError {
  return new DaqError('BAD_REQUEST', message, field);
}

function wallSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new AbortedError())), { once: true });
  });
}

/** Wait for the final ack, at most the command's estimate plus the grace period (emulated time). */
async function finalAck(em: DaqEmulator, handle: CommandHandle, graceS: number): Promise<Ack> {
  if (isFinalAck(handle.first.ack)) return handle.first;
  const limitMs = (handle.first.timeout + graceS) * 1000;
  const ctl = new AbortController();
  // At time scale 0 emulated durations are ~0; measure the limit on the wall clock instead.
  const deadline = (em.clock.timeScale === 0 ? wallSleep(limitMs, ctl.signal) : em.clock.sleep(limitMs, ctl.signal)).then(
    () => 'timeout' as const,
    () => 'cancelled' as const,
  );
  const winner = await Promise.race([handle.done, deadline]);
  ctl.abort();
  if (winner !== 'timeout' && winner !== 'cancelled') return winner;
  return {
    cmdId: handle.cmdId,
    command: handle.first.command,
    ack: AckCode.TIMEOUT,
    error: 1,
    result: `Timeout: no final ack within ${(limitMs / 1000).toFixed(1)} s; the command is still running (send stop to abort it)`,
    timeout: handle.first.timeout,
  };
}

function parseSince(req: FastifyRequest): number | undefined {
  const q = (req.query as { since?: string }).since;
  const header = req.headers['last-event-id'];
  const raw = q ?? (typeof header === 'string' && header !== '' ? header : undefined);
  if (raw === undefined) return undefined;
  if (!SEQ_RE.test(raw)) throw badRequest(q !== undefined ? 'since' : 'last-event-id', 'must be a non-negative integer sequence number');
  return Number(raw);
}

function parseNames(req: FastifyRequest): Set<string> | undefined {
  const n = (req.query as { names?: string }).names;
  if (n === undefined || n === '') return undefined;
  return new Set(n.split(',').map((x) => x.trim()).filter((x) => x !== ''));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Routes registered on each server (method, url), for checking the OpenAPI document against them. */
const routeTables = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

export function registeredRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  return [...(routeTables.get(app) ?? [])];
}

export async function buildServer(emulators: readonly DaqEmulator[], opts: ServerOptions = {}): Promise<FastifyInstance> {
  const byCsc = new Map<string, DaqEmulator>(emulators.map((e) => [e.profile.csc, e]));
  const grace = opts.commandTimeoutGrace ?? 30;
  const token = opts.token ?? null;
  const sinks = new Set<StreamSink>();

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 64 << 10,
    exposeHeadRoutes: false,
    // Shutdown must not wait for idle keep-alive sockets or half-open stream clients.
    forceCloseConnections: true,
    // Strict bodies: an unknown or mistyped field is a 400, never silently dropped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  const routes: Array<{ method: string; url: string }> = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method: m, url: r.url });
  });

  // Empty bodies count as {} (commands without parameters); anything else must be a JSON object.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(badRequest('body', `body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && (req.body === undefined || req.body === null)) req.body = {};
  });
  app.setErrorHandler(errorReply);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not found', message: `no route ${req.method} ${req.url.split('?')[0]}` } satisfies ErrorBody);
  });

  const authorize = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (token === null) return;
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !safeEqual(h, `Bearer ${token}`)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'a bearer token is required (Authorization: Bearer <token>)', field: 'authorization' } satisfies ErrorBody);
    }
  };

  const emulatorOf = (csc: string): DaqEmulator => {
    const em = byCsc.get(csc);
    if (!em) throw new DaqError('NOT_FOUND', `no CSC ${csc} here; this server runs ${[...byCsc.keys()].join(', ')}`, 'csc');
    return em;
  };

  app.addHook('preClose', async () => {
    for (const s of sinks) s.destroy();
  });

  await app.register(websocket, { options: { maxPayload: 4096 } });

  app.get('/api/v1/health', async () => ({ ok: true, cscs: [...byCsc.keys()], version: openApiDocument().info }));
  app.get('/api/v1/openapi.json', async () => openApiDocument());

  // ---------------------------------------------------------------- commands
  const cscParams = { type: 'object', properties: { csc: { type: 'string', maxLength: 32 } }, required: ['csc'] };
  const waitQuery = { type: 'object', additionalProperties: false, properties: { wait: { type: 'string', enum: ['true', 'false', '1', '0'] } } };
  for (const spec of COMMANDS) {
    app.post(
      `/api/v1/:csc/command/${spec.name}`,
      { onRequest: authorize, schema: { params: cscParams, querystring: waitQuery, body: bodySchema(spec) } },
      async (req) => runCommand(spec, req),
    );
  }

  async function runCommand(spec: CommandSpec, req: FastifyRequest): Promise<Ack> {
    const { csc } = req.params as { csc: string };
    const em = emulatorOf(csc);
    if (!spec.cscs.includes(em.profile.csc)) throw new DaqError('NOT_FOUND', `${csc} has no command ${spec.name}`, 'name');
    const wait = (req.query as { wait?: string }).wait;
    const handle = em.csc.command(spec.name as CommandName, req.body as CommandParamMap[CommandName]);
    if (wait === 'false' || wait === '0') return handle.first;
    return finalAck(em, handle, grace);
  }

  // ---------------------------------------------------------------- state and events
  app.get('/api/v1/:csc/state', { schema: { params: cscParams } }, async (req) => {
    const em = emulatorOf((req.params as { csc: string }).csc);
    return { ...em.csc.snapshot(), notifications: em.dispatcher.stats() };
  });

  const streamQuery = { type: 'object', additionalProperties: false, properties: { since: { type: 'string', maxLength: 16 }, names: { type: 'string', maxLength: 4096 } } };

  app.get('/api/v1/:csc/events', { schema: { params: cscParams, querystring: streamQuery } }, async (req, reply) => {
    const em = emulatorOf((req.params as { csc: string }).csc);
    const since = parseSince(req);
    const names = parseNames(req);
    reply.hijack();
    const sink = new SseSink(reply.raw);
    sinks.add(sink);
    const streamer = new EventStreamer(em.events, sink, { ...(since !== undefined ? { since } : {}), ...(names ? { names } : {}) });
    reply.raw.on('close', () => {
      streamer.stop();
      sinks.delete(sink);
    });
    streamer.start();
  });

  app.get('/api/v1/:csc/events/ws', { websocket: true, schema: { params: cscParams, querystring: streamQuery } }, (socket, req) => {
    let em: DaqEmulator;
    let since: number | undefined;
    let names: Set<string> | undefined;
    try {
      em = emulatorOf((req.params as { csc: string }).csc);
      since = parseSince(req);
      names = parseNames(req);
    } catch (e) {
      socket.close(1008, (e as Error).message.slice(0, 120));
      return;
    }
    const sink = new WsSink(socket);
    sinks.add(sink);
    const streamer = new EventStreamer(em.events, sink, { ...(since !== undefined ? { since } : {}), ...(names ? { names } : {}) });
    socket.on('close', () => {
      streamer.stop();
      sinks.delete(sink);
    });
    streamer.start();
  });

  // ---------------------------------------------------------------- faults
  app.get('/api/v1/:csc/faults', { schema: { params: cscParams } }, async (req) => emulatorOf((req.params as { csc: string }).csc).csc.snapshot().faults);
  app.post('/api/v1/:csc/faults', { onRequest: authorize, schema: { params: cscParams, body: FAULT_SCHEMA } }, async (req) =>
    emulatorOf((req.params as { csc: string }).csc).csc.armFault(req.body as FaultSpec),
  );
  app.delete('/api/v1/:csc/faults', { onRequest: authorize, schema: { params: cscParams } }, async (req) => ({
    cleared: emulatorOf((req.params as { csc: string }).csc).csc.clearFaults(),
  }));
  app.delete('/api/v1/:csc/faults/:id', { onRequest: authorize }, async (req) => {
    const { csc, id } = req.params as { csc: string; id: string };
    const cleared = emulatorOf(csc).csc.clearFaults(id);
    if (cleared === 0) throw new DaqError('NOT_FOUND', `no armed fault ${id}`, 'id');
    return { cleared };
  });

  // ---------------------------------------------------------------- notifications
  app.get('/api/v1/notifications', async () =>
    emulators.map((e) => ({
      csc: e.profile.csc,
      bucket: e.profile.bucket,
      ...e.dispatcher.stats(),
      failures: e.dispatcher.failures.map(({ notification: _n, ...f }) => f),
    })),
  );
  app.post('/api/v1/notifications/retry', { onRequest: authorize }, async () => ({
    requeued: emulators.reduce((n, e) => n + e.dispatcher.retryFailed(), 0),
  }));

  // ---------------------------------------------------------------- images
  function locate(obsid: string): { em: DaqEmulator; prefix: string; dayObs: number } {
    // XX_C_YYYYMMDD_NNNNNN, or the integer OBSID of an imSim (DC2) frame.
    if (!OBSID_RE.test(obsid) && !/^\d{1,7}$/.test(obsid)) {
      throw badRequest('obsid', `not an OBSID (XX_C_YYYYMMDD_NNNNNN): ${JSON.stringify(obsid.slice(0, 64))}`);
    }
    for (const em of emulators) {
      const dayObs = dayObsOfObsId(em.camera, obsid);
      if (dayObs !== undefined) return { em, dayObs, prefix: `${em.camera.instrument}/${dayObs}/${obsid}/` };
    }
    throw new DaqError('NOT_FOUND', `no camera here names its images like ${obsid}`, 'obsid');
  }

  async function findCcd(obsid: string, detector: string) {
    if (!DETECTOR_RE.test(detector)) throw badRequest('detector', `not a detector name (Rnn_Snn): ${JSON.stringify(detector.slice(0, 32))}`);
    const { em, prefix } = locate(obsid);
    for (const ext of ['.fits.fz', '.fits']) {
      const obj = await em.store.get(`${prefix}${obsid}_${detector}${ext}`);
      if (obj) return obj;
    }
    throw new DaqError('NOT_FOUND', `no file for ${obsid} ${detector}`, 'detector');
  }

  app.get('/api/v1/images/:obsid', async (req) => {
    const { obsid } = req.params as { obsid: string };
    const { em, prefix, dayObs } = locate(obsid);
    const objects = await em.store.list(prefix);
    const files = objects
      .filter((o) => /\.fits(\.fz)?$/.test(o.key))
      .map((o) => {
        const detector = o.key.slice(prefix.length + obsid.length + 1).replace(/\.fits(\.fz)?$/, '');
        const sidecar = o.key.replace(/\.fits(\.fz)?$/, '.json');
        return { detector, key: o.key, size: o.size, url: `/api/v1/images/${obsid}/${detector}`, sidecar: objects.some((x) => x.key === sidecar) ? sidecar : '' };
      });
    if (files.length === 0) throw new DaqError('NOT_FOUND', `no files for ${obsid}`, 'obsid');
    return { obsId: obsid, instrument: em.camera.instrument, dayObs, files };
  });

  app.get('/api/v1/images/:obsid/:detector', async (req, reply) => {
    const { obsid, detector } = req.params as { obsid: string; detector: string };
    const obj = await findCcd(obsid, detector);
    const name = obj.key.slice(obj.key.lastIndexOf('/') + 1);
    const headers = { 'content-type': 'application/fits', 'content-length': String(obj.size), 'content-disposition': `attachment; filename="${name}"` };
    if (!obj.writeTo) return reply.headers(headers).send(obj.stream());
    // Files go out through recycled buffers, written straight to the socket (see file-send.ts).
    reply.hijack();
    reply.raw.writeHead(200, headers);
    try {
      await obj.writeTo(reply.raw);
      reply.raw.end();
    } catch (e) {
      req.log.warn({ err: e, key: obj.key }, 'file download ended early');
      reply.raw.destroy();
    }
  });

  let serverTransaction = 0;
  app.get('/api/v1/images/:obsid/:detector/:amp', async (req, reply) => {
    const { obsid, detector, amp } = req.params as { obsid: string; detector: string; amp: string };
    const m = AMP_RE.exec(amp);
    if (!m) throw badRequest('amp', `not an amp name (C10 or Segment10): ${JSON.stringify(amp.slice(0, 32))}`);
    const q = (req.query as { ClientTransactionID?: string }).ClientTransactionID;
    if (q !== undefined && !/^[0-9]{1,10}$/.test(q)) throw badRequest('ClientTransactionID', 'must be an unsigned integer');
    const obj = await findCcd(obsid, detector);
    const f = FitsFile.fromBytes(await obj.bytes());
    const index = await f.findExtension(`Segment${m[1]}`);
    if (index < 0) throw new DaqError('NOT_FOUND', `${obsid} ${detector} has no amp Segment${m[1]}`, 'amp');
    const img = await f.readImage(index);
    const data = img.data instanceof Int32Array ? img.data : Int32Array.from(img.data as ArrayLike<number>);
    const body = encodeImageBytes(data, img.shape[0]!, img.shape[1] ?? 1, { client: Number(q ?? 0), server: ++serverTransaction });
    return reply.header('content-type', 'application/imagebytes').send(body);
  });

  await registerDashboard(app, emulators, { tokenRequired: token !== null });
  return app;
}

/** CSC names a server built from these emulators answers to. */
export function servedCscs(emulators: readonly DaqEmulator[]): CscName[] {
  return emulators.map((e) => e.profile.csc);
}
