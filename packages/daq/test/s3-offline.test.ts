/**
 * The parts of the S3 store that need no gateway: s3:// URLs and the AWS environment, eTag arithmetic, backoff,
 * error classification, the spool on its own (torn writes, damaged copies), a store whose gateway never answers,
 * and the store-to-store copy between in-memory stores.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, sidecarKey } from '../src/store.js';
import { S3Store, S3StoreError, backoffDelay, classifyS3Error, copyStore, expectedETag, parseS3Url, resolveS3Connection, type S3StoreEvent } from '../src/s3/index.js';
import { Spool } from '../src/s3/spool.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daqsim-s3-offline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const creds = { accessKeyId: 'AK', secretAccessKey: 'SK' };

describe('s3:// URLs and connection settings', () => {
  it('parses bucket and prefix', () => {
    expect(parseS3Url('s3://rubinobs-raw-lsstcam')).toEqual({ bucket: 'rubinobs-raw-lsstcam', prefix: '' });
    expect(parseS3Url('s3://rubinobs-raw-lsstcam/')).toEqual({ bucket: 'rubinobs-raw-lsstcam', prefix: '' });
    expect(parseS3Url('s3://rubin-summit/a/b')).toEqual({ bucket: 'rubin-summit', prefix: 'a/b/' });
    expect(parseS3Url('s3://rubin-summit//a//b/')).toEqual({ bucket: 'rubin-summit', prefix: 'a/b/' });
    for (const bad of ['rubin', 's3://', 's3://UPPER', 's3://ab', 's3://a..b', 's3://ok-bucket/../x', 's3://ok-bucket/sp ace']) {
      expect(() => parseS3Url(bad), bad).toThrow(S3StoreError);
    }
    const e = (() => {
      try {
        parseS3Url('file:///x');
      } catch (x) {
        return x as S3StoreError;
      }
      return undefined;
    })();
    expect(e?.reason).toBe('BAD_URL');
    expect(e?.code).toBe('BAD_CONFIG');
  });

  it('takes options over the AWS environment variables', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:7480/', AWS_ACCESS_KEY_ID: 'EK', AWS_SECRET_ACCESS_KEY: 'ES', AWS_REGION: 'default' };
    expect(resolveS3Connection({}, env)).toEqual({ endpoint: 'http://127.0.0.1:7480', region: 'default', credentials: { accessKeyId: 'EK', secretAccessKey: 'ES' } });
    expect(resolveS3Connection({ endpoint: 'http://127.0.0.1:9000', ...creds }, env)).toMatchObject({ endpoint: 'http://127.0.0.1:9000', credentials: creds });
    expect(resolveS3Connection({}, { ...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' }).endpoint).toBe('http://127.0.0.1:1');
    expect(resolveS3Connection({}, { S3_ENDPOINT_URL: 'https://s3.example', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 't' })).toEqual({
      endpoint: 'https://s3.example',
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 't' },
    });
    expect(() => resolveS3Connection({}, {})).toThrow(/no S3 credentials/);
    expect(() => resolveS3Connection({ endpoint: 'ftp://x', ...creds }, {})).toThrow(/http/);
  });
});

describe('eTags, backoff and error classes', () => {
  it('computes the single-part and multipart eTags S3 reports', () => {
    const b = randomBytes(3 * 1024 + 5);
    expect(expectedETag(b, undefined)).toBe(createHash('md5').update(b).digest('hex'));
    const parts = [b.subarray(0, 1024), b.subarray(1024, 2048), b.subarray(2048, 3072), b.subarray(3072)];
    const cat = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
    expect(expectedETag(b, 1024)).toBe(`${createHash('md5').update(cat).digest('hex')}-4`);
  });

  it('backs off exponentially with jitter, capped', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(p, 1, () => 0)).toBe(50);
    expect(backoffDelay(p, 1, () => 1)).toBe(100);
    expect(backoffDelay(p, 3, () => 1)).toBe(400);
    expect(backoffDelay(p, 10, () => 1)).toBe(1000);
  });

  it('retries network failures and 5xx, not refusals', () => {
    const withStatus = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(classifyS3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('transient');
    expect(classifyS3Error(withStatus('InternalError', 500))).toBe('transient');
    expect(classifyS3Error(withStatus('SlowDown', 503))).toBe('transient');
    expect(classifyS3Error(withStatus('BadDigest', 400))).toBe('transient');
    expect(classifyS3Error(withStatus('NoSuchBucket', 404))).toBe('no-bucket');
    expect(classifyS3Error(withStatus('SignatureDoesNotMatch', 403))).toBe('bad-credentials');
    expect(classifyS3Error(withStatus('InvalidAccessKeyId', 403))).toBe('bad-credentials');
    expect(classifyS3Error(withStatus('AccessDenied', 403))).toBe('access-denied');
    expect(classifyS3Error(withStatus('InvalidArgument', 400))).toBe('request');
  });
});

describe('the spool', () => {
  it('keeps entries across restarts, drops torn writes, and sets damaged copies aside', async () => {
    const d = join(dir, 'spool');
    const a = new Spool(d);
    await a.init();
    const one = await a.add('A/1.json', Buffer.from('{}'), 'down');
    const two = await a.add('A/1.fits', randomBytes(1000), 'down');
    await a.add('A/1.fits', randomBytes(2000), 'down');
    // A crash between the data and its record: data without a record.
    await writeFile(join(d, '99999999999999-000000-1.data'), 'torn');
    await writeFile(join(d, 'x.json.tmp-abcd'), 'torn');

    const b = new Spool(d);
    await b.init();
    expect(b.pending().map((e) => [e.key, e.size])).toEqual([
      ['A/1.json', 2],
      ['A/1.fits', 1000],
      ['A/1.fits', 2000],
    ]);
    expect(b.latest('A/1.fits')?.size).toBe(2000);
    expect((await readdir(d)).filter((n) => n.includes('torn') || n.startsWith('9999') || n.includes('.tmp-'))).toEqual([]);
    expect((await b.read(b.pending()[0]!)).toString()).toBe('{}');

    await writeFile(join(d, `${two.id}.data`), 'damaged');
    const damaged = b.pending().find((e) => e.id === two.id)!;
    await expect(b.read(damaged)).rejects.toThrow(/damaged/);
    await b.quarantine(damaged);
    expect(b.size).toBe(2);
    expect((await readdir(d)).filter((n) => n.endsWith('.damaged')).length).toBe(2);

    await b.supersede('A/1.fits');
    await b.remove(b.pending().find((e) => e.id === one.id)!);
    expect(b.size).toBe(0);
    expect((await readdir(d)).filter((n) => !n.endsWith('.damaged'))).toEqual([]);
  });
});

describe('S3Store with no gateway', () => {
  // Port 9 (discard) is closed on loopback: every request is refused at once.
  const dead = { url: 's3://raw-bucket/night', endpoint: 'http://127.0.0.1:9', ...creds, env: {} };

  it('fails open() with UNREACHABLE', async () => {
    await expect(S3Store.open({ ...dead, openTimeoutMs: 300 })).rejects.toMatchObject({ name: 'S3StoreError', reason: 'UNREACHABLE', code: 'STORE' });
  });

  it('without a spool, gives up after the retry bound with UNAVAILABLE', async () => {
    const events: S3StoreEvent[] = [];
    const s = new S3Store({ ...dead, retryForMs: 300, backoff: { baseMs: 20, maxMs: 50 }, onEvent: (e) => events.push(e) });
    await expect(s.put('A/b.fits', Buffer.from('x'))).rejects.toMatchObject({ reason: 'UNAVAILABLE', key: 'A/b.fits' });
    expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThan(1);
    await s.close();
  });

  it('with a spool, keeps every write on disk and readable until the gateway returns', async () => {
    const events: S3StoreEvent[] = [];
    const s = new S3Store({ ...dead, spoolDir: join(dir, 'spool-dead'), retryForMs: 200, attemptTimeoutMs: 100, replayIntervalMs: 50, backoff: { baseMs: 20, maxMs: 50 }, onEvent: (e) => events.push(e) });
    const first = await s.put('LATISS/20260101/AT_O_1/AT_O_1_R00_S00.json', Buffer.from('{"GROUPID":"g"}'));
    expect(first).toMatchObject({ spooled: true, size: 15 });
    const t = Date.now();
    const second = await s.put('LATISS/20260101/AT_O_1/AT_O_1_R00_S00.fits', Buffer.from('fits'));
    expect(second.spooled).toBe(true);
    expect(Date.now() - t).toBeLessThan(150); // known down: no retries
    expect(events.map((e) => e.type).filter((x) => x !== 'retry')).toEqual(['gatewayDown', 'spooled', 'spooled']);
    // Spooled objects are served from the spool; listings need the gateway and say so.
    await expect(s.children('LATISS/20260101/AT_O_1/')).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    expect(s.stats()).toMatchObject({ pending: 2, spooled: 2, gatewayDown: true });
    expect(Buffer.from(await (await s.get('LATISS/20260101/AT_O_1/AT_O_1_R00_S00.fits'))!.bytes()).toString()).toBe('fits');
    await expect(s.drain(200)).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    await s.close();
    await expect(s.put('A/x', Buffer.from('x'))).rejects.toMatchObject({ reason: 'CLOSED' });
    // Still on disk for the next run.
    expect((await readdir(join(dir, 'spool-dead'))).length).toBe(4);
  });

  it('rejects keys FileStore would reject', async () => {
    const s = new S3Store({ ...dead });
    for (const k of ['', '/a', 'a//b', 'a/../b', 'a b']) await expect(s.put(k, Buffer.from('x')), k).rejects.toThrow(/bad object key/);
    await s.close();
  });
});

describe('copyStore', () => {
  it('copies at a bounded rate, sidecars before their FITS file, and skips what is there', async () => {
    const src = new MemoryStore();
    const dst = new MemoryStore();
    const keys: string[] = [];
    for (const d of ['R22_S11', 'R22_S12', 'R22_S10']) {
      const k = `LSSTCam/20260101/MC_O_1/MC_O_1_${d}.fits.fz`;
      await src.put(k, randomBytes(20_000));
      await src.put(sidecarKey(k), Buffer.from('{}'));
      keys.push(k);
    }
    await src.put('LSSTCam/20260102/other.json', Buffer.from('{}'));
    const order: string[] = [];
    const s = await copyStore(src, dst, { prefix: 'LSSTCam/20260101/', rateLimit: 60_006 / 0.3, concurrency: 3, onObject: (o) => order.push(o.key) });
    expect(s).toMatchObject({ objects: 6, bytes: 60_006, skipped: 0 });
    expect(s.seconds).toBeGreaterThan(0.25);
    for (const k of keys) expect(order.indexOf(sidecarKey(k))).toBeLessThan(order.indexOf(k));
    expect((await dst.list('')).map((o) => o.key)).toEqual((await src.list('LSSTCam/20260101/')).map((o) => o.key));
    expect(await copyStore(src, dst, { prefix: 'LSSTCam/20260101/' })).toMatchObject({ objects: 0, skipped: 6 });
  });
});
