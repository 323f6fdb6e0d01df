/**
 * The live dashboard's routes, registered by buildServer:
 *
 *   GET /                                                 the page (static/index.html)
 *   GET /dashboard/{file}                                 its ES modules and stylesheet, straight from static/
 *   GET /api/v1/dashboard                                 what the page starts from (cameras, layouts, enums, auth)
 *   GET /api/v1/stats                                     store and notification counts, per-image delivery times
 *   GET /api/v1/images/{obsid}/{detector}/thumbnail.png   one CCD, overscan removed, binned, zscale-stretched
 *
 * All are reads: the page's controls call the command API, with its bearer token. The static files are read once at
 * start-up (from src/, which ships with the package, so there is nothing to build).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DaqEmulator } from '../emulator.js';
import { DaqError } from '../errors.js';
import { dayObsOfObsId } from '../frames.js';
import { FileStore, rawKey } from '../store.js';
import { dashboardInfo } from './info.js';
import { ActivityStats } from './stats.js';
import { ThumbnailService, type ThumbnailSource } from './thumbnail-service.js';
import { THUMBNAIL_SIZES } from './thumbnail.js';

// Both src/dashboard/ and dist/dashboard/ are two levels below the package root; the page lives in src/ only.
const STATIC_DIR = new URL('../../src/dashboard/static/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const OBSID_RE = /^([A-Z]{2}_[A-Z]_\d{8}_\d{6}|\d{1,7})$/;
const DETECTOR_RE = /^R[0-9X]{2}_S[A-Z0-9]{2}$/;

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

async function loadStatic(): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of await readdir(STATIC_DIR)) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) continue;
    const body = await readFile(new URL(name, STATIC_DIR));
    files.set(name, { body, type, etag: `"${createHash('md5').update(body).digest('hex').slice(0, 16)}"` });
  }
  return files;
}

function sendStatic(file: StaticFile, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // no-cache: revalidate every time (a 304 is cheap), so a restarted server's new page is never missed.
  void reply.header('etag', file.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.header('content-type', file.type).send(file.body);
}

/** The stored file of one CCD: the emulator whose camera names images like `obsid`, a cache key, and how to read it. */
async function findCcd(emulators: readonly DaqEmulator[], obsid: string, detector: string): Promise<{ em: DaqEmulator; cacheKey: string; source: () => Promise<ThumbnailSource> }> {
  if (!OBSID_RE.test(obsid)) throw new DaqError('BAD_REQUEST', `not an OBSID (XX_C_YYYYMMDD_NNNNNN): ${JSON.stringify(obsid.slice(0, 64))}`, 'obsid');
  if (!DETECTOR_RE.test(detector)) throw new DaqError('BAD_REQUEST', `not a detector name (Rnn_Snn): ${JSON.stringify(detector.slice(0, 32))}`, 'detector');
  for (const em of emulators) {
    const dayObs = dayObsOfObsId(em.camera, obsid);
    if (dayObs === undefined) continue;
    for (const compressed of [true, false]) {
      const key = rawKey(em.camera.instrument, dayObs, obsid, detector, compressed);
      const obj = await em.store.get(key);
      if (!obj) continue;
      const store = em.store;
      // A file on this machine is read by the worker itself: nothing crosses the main thread.
      const source = store instanceof FileStore ? async () => ({ path: store.pathOf(key) }) : async () => ({ bytes: await obj.bytes() });
      return { em, cacheKey: `${key}#${obj.size}`, source };
    }
  }
  throw new DaqError('NOT_FOUND', `no file for ${obsid} ${detector}`, 'detector');
}

/** Aborts when the client goes away before the response is finished. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ctl = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

export async function registerDashboard(app: FastifyInstance, emulators: readonly DaqEmulator[], opts: { tokenRequired: boolean }): Promise<void> {
  const files = await loadStatic();
  const thumbnails = new ThumbnailService();
  const stats = emulators.map((em) => new ActivityStats(em));
  app.addHook('onClose', async () => {
    for (const s of stats) s.close();
    await thumbnails.close();
  });

  app.get('/', async (req, reply) => sendStatic(files.get('index.html')!, req, reply));
  app.get('/dashboard/:file', async (req, reply) => {
    const file = files.get((req.params as { file: string }).file);
    if (!file) throw new DaqError('NOT_FOUND', 'no such dashboard file', 'file');
    return sendStatic(file, req, reply);
  });

  app.get('/api/v1/dashboard', async () => dashboardInfo(emulators, opts.tokenRequired));
  app.get('/api/v1/stats', async () => ({ cscs: stats.map((s) => s.snapshot()), thumbnails: thumbnails.cached }));

  const sizeQuery = { type: 'object', additionalProperties: false, properties: { size: { type: 'string', pattern: '^[0-9]{1,5}$' } } };
  app.get('/api/v1/images/:obsid/:detector/thumbnail.png', { schema: { querystring: sizeQuery } }, async (req, reply) => {
    const { obsid, detector } = req.params as { obsid: string; detector: string };
    const q = (req.query as { size?: string }).size;
    const size = q === undefined ? THUMBNAIL_SIZES.default : Number(q);
    if (size < THUMBNAIL_SIZES.min || size > THUMBNAIL_SIZES.max) {
      throw new DaqError('BAD_REQUEST', `size must be ${THUMBNAIL_SIZES.min}..${THUMBNAIL_SIZES.max} pixels, got ${size}`, 'size');
    }
    const { em, cacheKey, source } = await findCcd(emulators, obsid, detector);
    const t = await thumbnails.get(`${cacheKey}@${size}`, { camera: em.camera.core.key, detector, size, source }, clientGone(reply));
    return reply
      .header('content-type', 'image/png')
      .header('cache-control', 'public, max-age=86400, immutable')
      .header('x-daqsim-zscale', `${t.z1.toFixed(2)},${t.z2.toFixed(2)}`)
      .header('x-daqsim-binning', String(t.factor))
      .send(Buffer.from(t.png.buffer, t.png.byteOffset, t.png.length));
  });
}
