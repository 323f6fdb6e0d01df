/**
 * The S3 store against a real Ceph RADOS Gateway (single-node memstore cluster started by scripts/ceph-local.sh):
 * round trips checked against FileStore, multipart, the gateway's own bucket notifications, a gateway killed and
 * frozen mid-run, a daqsim crash with objects still spooled, the typed errors at open, and the bucket-to-bucket copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckCode, DaqEmulator, InlineEncoder, RealClock, defaultConfig } from '../src/index.js';
import { DaqError } from '../src/errors.js';
import { FileStore, MemoryStore, rawKey, sidecarKey } from '../src/store.js';
import { S3Store, S3StoreError, copyBucket, createBucketIfMissing, createS3Client, setupBucketNotifications, type S3StoreEvent, type S3StoreOptions } from '../src/s3/index.js';
import { cephUnavailable, rgwPid, startCeph, stopCeph, type CephCluster } from './ceph.js';
import { TinyRenderer } from './helpers.js';

const skip = cephUnavailable();
if (skip) console.warn(`s3 tests skipped: ${skip}`);

interface Notice {
  eventName: string;
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  opaqueData: string;
}

/** The ingest side: an HTTP endpoint on loopback that records what the gateway POSTs. */
class Receiver {
  readonly notices: Notice[] = [];
  private server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          Records: Array<{ eventName: string; opaqueData: string; s3: { bucket: { name: string }; object: { key: string; size: number; eTag: string } } }>;
        };
        for (const r of body.Records) this.notices.push({ eventName: r.eventName, bucket: r.s3.bucket.name, key: r.s3.object.key, size: r.s3.object.size, eTag: r.s3.object.eTag, opaqueData: r.opaqueData });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  forKey(key: string): Notice[] {
    return this.notices.filter((n) => n.key === key);
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(skip !== undefined)('S3Store on a real Ceph RGW', () => {
  let dir: string;
  let ceph: CephCluster;
  const receiver = new Receiver();
  const stores: S3Store[] = [];
  const conn = (): Pick<S3StoreOptions, 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'region'> => ({
    endpoint: ceph.endpoint,
    accessKeyId: ceph.accessKeyId,
    secretAccessKey: ceph.secretAccessKey,
    region: ceph.region,
  });
  async function open(opts: Partial<S3StoreOptions> & { url: string }): Promise<S3Store> {
    const s = await S3Store.open({ ...conn(), ...opts });
    stores.push(s);
    return s;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daqsim-ceph-'));
    ceph = await startCeph(join(dir, 'ceph'));
    await receiver.start();
  }, 300_000);

  afterAll(async () => {
    for (const s of stores) await s.close();
    await receiver.stop();
    if (ceph) await stopCeph(ceph.dir);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('open() gives one typed error for a missing bucket, bad credentials or no gateway', async () => {
    await createBucketIfMissing(createS3Client({ endpoint: ceph.endpoint, region: ceph.region, credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey } }), 'errs', ceph.endpoint);
    const fail = async (opts: Partial<S3StoreOptions> & { url: string }): Promise<S3StoreError> => {
      const e: unknown = await S3Store.open({ ...conn(), ...opts }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(S3StoreError);
      expect(e).toBeInstanceOf(DaqError);
      return e as S3StoreError;
    };
    const noBucket = await fail({ url: 's3://no-such-bucket/raw' });
    expect(noBucket.reason).toBe('NO_BUCKET');
    expect(noBucket.code).toBe('NOT_FOUND');
    expect(noBucket.message).toMatch(/no-such-bucket.*does not exist/);
    const badSecret = await fail({ url: 's3://errs', secretAccessKey: 'not-the-secret' });
    expect(badSecret.reason).toBe('BAD_CREDENTIALS');
    expect(badSecret.code).toBe('UNAUTHORIZED');
    expect((await fail({ url: 's3://errs', accessKeyId: 'NOSUCHKEY' })).reason).toBe('BAD_CREDENTIALS');
    // A port nothing listens on: refused at once, retried for openTimeoutMs, then UNREACHABLE.
    const t = Date.now();
    expect((await fail({ url: 's3://errs', endpoint: 'http://127.0.0.1:9', openTimeoutMs: 500 })).reason).toBe('UNREACHABLE');
    expect(Date.now() - t).toBeLessThan(5000);
    expect(() => new S3Store({ ...conn(), url: 's3://Bad_Bucket' })).toThrow(S3StoreError);
  });

  it('puts, gets, lists and notifies like the summit bucket, matching FileStore', async () => {
    const setup = await setupBucketNotifications({
      ...conn(),
      bucket: 'rubinobs-raw-lsstcam',
      topic: 'raw-lsstcam',
      pushEndpoint: `http://127.0.0.1:${receiver.port}/notify`,
      opaqueData: 'secret-1',
    });
    expect(setup.bucketCreated).toBe(true);
    expect(setup.topicArn).toMatch(/raw-lsstcam$/);
    // Idempotent: a second setup keeps one notification.
    expect((await setupBucketNotifications({ ...conn(), bucket: 'rubinobs-raw-lsstcam', topic: 'raw-lsstcam', pushEndpoint: `http://127.0.0.1:${receiver.port}/notify`, opaqueData: 'secret-1' })).bucketCreated).toBe(false);

    const s3 = await open({ url: 's3://rubinobs-raw-lsstcam/summit' });
    const fsStore = new FileStore(join(dir, 'files'));
    const memStore = new MemoryStore();
    const written = new Map<string, Uint8Array>();
    const obsIds = ['MC_O_20260101_000001', 'MC_O_20260101_000002'];
    const puts: Array<Promise<unknown>> = [];
    for (const obsId of obsIds) {
      for (const det of ['R22_S11', 'R22_S12', 'R10_S00']) {
        const key = rawKey('LSSTCam', 20260101, obsId, det, true);
        const fits = randomBytes(50_000 + Math.floor(Math.random() * 200_000));
        const side = Buffer.from(JSON.stringify({ OBSID: obsId, GROUPID: '2026-01-01T00:00:00', DETECTOR: det }));
        written.set(sidecarKey(key), side);
        written.set(key, fits);
        puts.push(
          (async () => {
            const a = await s3.put(sidecarKey(key), side);
            const b = await s3.put(key, fits);
            expect(a).toMatchObject({ size: side.length, eTag: md5(side), spooled: false });
            expect(b).toMatchObject({ size: fits.length, eTag: md5(fits), md5: md5(fits), spooled: false, parts: 0 });
            await fsStore.put(sidecarKey(key), side);
            await fsStore.put(key, fits);
            await memStore.put(sidecarKey(key), side);
            await memStore.put(key, fits);
          })(),
        );
      }
    }
    await Promise.all(puts);

    for (const [key, bytes] of written) {
      const r = await s3.get(key);
      expect(r?.size).toBe(bytes.length);
      expect(md5(await r!.bytes())).toBe(md5(bytes));
    }
    const streamed: Buffer[] = [];
    const first = [...written.keys()][1]!;
    for await (const c of (await s3.get(first))!.stream()) streamed.push(c as Buffer);
    expect(md5(Buffer.concat(streamed))).toBe(md5(written.get(first)!));
    expect(await s3.get('LSSTCam/20260101/nothing.fits')).toBeUndefined();

    // Same answers as the other stores at every level of the layout. (FileStore.list reads one directory, so it is
    // compared where the objects are: in the exposure's directory.)
    for (const p of ['', 'LSSTCam/', 'LSSTCam/20260101/', `LSSTCam/20260101/${obsIds[0]}/`, `LSSTCam/20260101/${obsIds[1]}/MC_O_20260101_000002_R22`]) {
      expect(await s3.list(p)).toEqual(await memStore.list(p));
      if (p.endsWith('/') || p === '') expect(await s3.children(p)).toEqual(await fsStore.children(p));
    }
    for (const obsId of obsIds) {
      const p = `LSSTCam/20260101/${obsId}/`;
      expect(await s3.list(p)).toEqual(await fsStore.list(p));
      expect(await s3.list(`${p}${obsId}_R22`)).toEqual(await fsStore.list(`${p}${obsId}_R22`));
    }
    expect(await s3.children('')).toEqual(['LSSTCam']);
    expect((await s3.list('LSSTCam/')).length).toBe(12);

    // The gateway's own notifications: one per object (sync topic: delivered before each PUT returned).
    await until('notifications', () => receiver.notices.filter((n) => n.bucket === 'rubinobs-raw-lsstcam').length >= written.size, 5000);
    const ours = receiver.notices.filter((n) => n.bucket === 'rubinobs-raw-lsstcam');
    expect(ours.length).toBe(written.size);
    for (const [key, bytes] of written) {
      const n = receiver.forKey(`summit/${key}`);
      expect(n.length).toBe(1);
      expect(n[0]).toMatchObject({ eventName: 'ObjectCreated:Put', size: bytes.length, eTag: md5(bytes), opaqueData: 'secret-1' });
    }
  });

  it('uploads a large file in parts and checks the multipart eTag', async () => {
    const s3 = await open({ url: 's3://rubinobs-raw-lsstcam/summit', partSize: 8 << 20 });
    const key = rawKey('LSSTCam', 20260101, 'MC_O_20260101_000003', 'R22_S11', false);
    const bytes = randomBytes((17 << 20) + 12345);
    const stored = await s3.put(key, bytes);
    expect(stored).toMatchObject({ size: bytes.length, parts: 3, md5: md5(bytes), spooled: false });
    expect(stored.eTag).toMatch(/^[0-9a-f]{32}-3$/);
    const r = await s3.get(key);
    expect(r?.size).toBe(bytes.length);
    expect(md5(await r!.bytes())).toBe(md5(bytes));
    await until('multipart notification', () => receiver.forKey(`summit/${key}`).length > 0, 5000);
    expect(receiver.forKey(`summit/${key}`)).toEqual([expect.objectContaining({ eventName: 'ObjectCreated:CompleteMultipartUpload', size: bytes.length, eTag: stored.eTag })]);
    expect(s3.stats().multipart).toBe(1);
  });

  it('copies a night from bucket to bucket at a bounded rate, sidecars first', async () => {
    await createBucketIfMissing(createS3Client({ endpoint: ceph.endpoint, region: ceph.region, credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey } }), 'rubin-summit', ceph.endpoint);
    const src = await open({ url: 's3://rubinobs-raw-lsstcam/summit' });
    const dst = await open({ url: 's3://rubin-summit' });
    const order: string[] = [];
    const prefix = 'LSSTCam/20260101/MC_O_20260101_000001/';
    const objects = await src.list(prefix);
    const total = objects.reduce((n, o) => n + o.size, 0);
    const rate = total / 0.5; // about half a second at the limit
    const summary = await copyBucket(src, dst, { prefix, rateLimit: rate, concurrency: 3, onObject: (o) => order.push(o.key) });
    expect(summary).toMatchObject({ objects: objects.length, bytes: total, skipped: 0 });
    expect(summary.seconds).toBeGreaterThan(0.3);
    expect(await dst.list(prefix)).toEqual(objects);
    for (const k of order.filter((x) => x.endsWith('.fits.fz'))) expect(order.indexOf(sidecarKey(k))).toBeLessThan(order.indexOf(k));
    // A second run finds everything there.
    expect((await copyBucket(src, dst, { prefix })).skipped).toBe(objects.length);
  });

  it('takes images through the emulator into the bucket, every CCD file and sidecar notified by the gateway', async () => {
    await setupBucketNotifications({ ...conn(), bucket: 'rubinobs-raw-lsstcomcam', topic: 'raw-lsstcomcam', pushEndpoint: `http://127.0.0.1:${receiver.port}/notify` });
    const s3 = await open({ url: 's3://rubinobs-raw-lsstcomcam' });
    const emulator = await DaqEmulator.create(
      { ...defaultConfig('comcam'), store: null, heartbeat: false, initialState: 'ENABLED', timeScale: 0 },
      { clock: new RealClock(0), store: s3, renderer: new TinyRenderer(), encoder: new InlineEncoder() },
    );
    try {
      const ack = await emulator.csc.command('takeImages', { numImages: 2, expTime: 1, shutter: true, keyValueMap: 'imageType: FLAT, groupId: G-S3' }).done;
      expect(ack.ack).toBe(AckCode.COMPLETE);
      await emulator.writer.idle();
    } finally {
      await emulator.close();
    }
    const objects = await s3.list('LSSTComCam/');
    const fits = objects.filter((o) => o.key.endsWith('.fits.fz'));
    expect(fits.length).toBe(2 * 9);
    const obsIds = [...new Set(fits.map((o) => o.key.split('/')[2]!))];
    expect(obsIds.length).toBe(2);
    for (const o of fits) {
      const [, dayObs, obsId, name] = o.key.split('/') as [string, string, string, string];
      expect(name).toMatch(new RegExp(`^${obsId}_R22_S[0-2][0-2]\\.fits\\.fz$`));
      expect(obsId).toContain(`_${dayObs}_`);
      expect(objects.some((x) => x.key === sidecarKey(o.key))).toBe(true);
    }
    expect(objects.length).toBe(36);
    await until('comcam notifications', () => receiver.notices.filter((n) => n.bucket === 'rubinobs-raw-lsstcomcam').length >= 36, 5000);
    for (const o of objects) {
      const n = receiver.forKey(o.key);
      expect(n.length).toBe(1);
      const bytes = await (await s3.get(o.key))!.bytes();
      expect(n[0]).toMatchObject({ size: o.size, eTag: md5(bytes) });
      if (o.key.endsWith('.json')) expect(JSON.parse(Buffer.from(bytes).toString('utf8'))).toBeTypeOf('object');
    }
  });

  it('loses nothing when the gateway is killed mid-run and started again (spool + replay)', async () => {
    const events: S3StoreEvent[] = [];
    const spoolDir = join(dir, 'spool-kill');
    const s3 = await open({
      url: 's3://rubinobs-raw-lsstcam/kill',
      spoolDir,
      retryForMs: 1500,
      attemptTimeoutMs: 2000,
      replayIntervalMs: 200,
      backoff: { baseMs: 50, maxMs: 400 },
      onEvent: (e) => events.push(e),
    });
    const written = new Map<string, Buffer>();
    const results: Array<Promise<unknown>> = [];
    const N = 30;
    for (let i = 0; i < N; i++) {
      const key = rawKey('LSSTCam', 20260101, `MC_O_20260101_${String(100 + i).padStart(6, '0')}`, 'R22_S11', true);
      // One file, written while the gateway is down, is large enough for a multipart upload on replay.
      const bytes = randomBytes(i === 15 ? 18 << 20 : 100_000 + i * 20_000);
      written.set(key, bytes);
      results.push(s3.put(key, bytes));
      if (i === 8) {
        process.kill(rgwPid(ceph.dir), 'SIGKILL');
      }
      if (i === 20) {
        await until('a spooled write', () => events.some((e) => e.type === 'spooled'), 10_000);
        await startCeph(ceph.dir); // restarts radosgw only: mon and osd (and the objects in memory) are still up
      }
      await sleep(40);
    }
    const stored = (await Promise.all(results)) as Array<{ spooled: boolean }>;
    await s3.drain(30_000);

    expect(stored.some((s) => s.spooled)).toBe(true);
    const types = events.map((e) => e.type);
    expect(types).toContain('gatewayDown');
    expect(types).toContain('spooled');
    expect(types).toContain('gatewayUp');
    expect(types).toContain('replayed');
    expect(types[types.length - 1]).toBe('drained');
    expect(s3.stats()).toMatchObject({ pending: 0, gatewayDown: false });
    expect(await readdir(spoolDir)).toEqual([]);

    // Every object complete under its key: no loss, nothing half-written.
    const listed = await s3.list('LSSTCam/');
    expect(listed.map((o) => o.key)).toEqual([...written.keys()].sort());
    for (const [key, bytes] of written) {
      const r = await s3.get(key);
      expect(r?.size).toBe(bytes.length);
      expect(md5(await r!.bytes())).toBe(md5(bytes));
      // Notified at least once (a PUT cut by the kill may have landed and then been sent again).
      expect(receiver.forKey(`kill/${key}`).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('spools while the gateway is frozen (slow), and replays what a crashed run left', async () => {
    const spoolDir = join(dir, 'spool-freeze');
    const events: S3StoreEvent[] = [];
    const opts = { url: 's3://rubinobs-raw-lsstcam/freeze', spoolDir, retryForMs: 2500, attemptTimeoutMs: 300, replayIntervalMs: 200, backoff: { baseMs: 50, maxMs: 200 } };
    const a = await open({ ...opts, onEvent: (e) => events.push(e) });
    const pid = rgwPid(ceph.dir);
    const bytes = randomBytes(300_000);
    // SIGSTOP: connections are accepted by the kernel but never answered, like a hung gateway.
    process.kill(pid, 'SIGSTOP');
    let thawed = false;
    try {
      const t = Date.now();
      const r1 = await a.put('LSSTCam/20260101/F/F_R22_S11.fits', bytes);
      expect(r1.spooled).toBe(true);
      // Retried for the bound (2.5 s: a few attempts timing out), then spooled.
      expect(Date.now() - t).toBeGreaterThanOrEqual(2000);
      expect(Date.now() - t).toBeLessThan(8000);
      expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThan(0);
      // Known down: the next write goes to the spool at once.
      const t2 = Date.now();
      expect((await a.put('LSSTCam/20260101/F/F_R22_S12.fits', bytes)).spooled).toBe(true);
      expect(Date.now() - t2).toBeLessThan(1500);
      // Spooled objects are readable and listed before they reach the gateway.
      expect(md5(await (await a.get('LSSTCam/20260101/F/F_R22_S12.fits'))!.bytes())).toBe(md5(bytes));
      await a.close(); // daqsim stops with two objects in the spool
      process.kill(pid, 'SIGCONT');
      thawed = true;
    } finally {
      if (!thawed) process.kill(pid, 'SIGCONT');
    }
    const replayed: S3StoreEvent[] = [];
    const b = await open({ ...opts, onEvent: (e) => replayed.push(e) });
    await b.drain(20_000);
    expect(replayed.filter((e) => e.type === 'replayed').map((e) => (e as { key: string }).key).sort()).toEqual(['LSSTCam/20260101/F/F_R22_S11.fits', 'LSSTCam/20260101/F/F_R22_S12.fits']);
    for (const k of ['LSSTCam/20260101/F/F_R22_S11.fits', 'LSSTCam/20260101/F/F_R22_S12.fits']) expect(md5(await (await b.get(k))!.bytes())).toBe(md5(bytes));
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
