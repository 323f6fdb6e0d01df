/**
 * The daqsim commands on an s3:// store against a real Ceph RADOS Gateway (scripts/ceph-local.sh through the daq
 * package's test helper): `serve --store s3://` (its store wiring, in process, and its start-up error as a real
 * process), `night --store s3://` then `verify s3://`, and `s3 setup` making the gateway notify an HTTP receiver.
 * Skipped locally without Ceph; under CI cephUnavailable() returns undefined, so the tests run and must pass.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AckCode, InlineEncoder, S3Store, createBucketIfMissing, createS3Client, defaultConfig, resolveS3Connection, sidecarKey, startServer } from '@daqsim/daq';
import { cephUnavailable, startCeph, stopCeph, type CephCluster } from '../../daq/test/ceph.js';
import { deleteObject, headObject } from '../../daq/test/s3-objects.js';
import { openServeStore } from '../src/commands/serve.js';
import { main } from '../src/main.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const skip = cephUnavailable();
if (skip) console.warn(`s3 CLI tests skipped: ${skip}`);

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** Run the daqsim command in this process; its exit code and what it printed. */
async function daqsim(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    await main(['node', 'daqsim', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe.skipIf(skip !== undefined)('daqsim commands on a real Ceph RGW', () => {
  let dir: string;
  let ceph: CephCluster;
  let s3opts: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daqsim-s3cli-'));
    ceph = await startCeph(join(dir, 'ceph'));
    s3opts = ['--s3-endpoint', ceph.endpoint, '--s3-access-key', ceph.accessKeyId, '--s3-secret-key', ceph.secretAccessKey];
  });

  afterAll(async () => {
    if (ceph) await stopCeph(join(dir, 'ceph'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve --store s3://: takeImages puts every CCD file and sidecar under its key, sizes and eTags matching', async () => {
    const conn = { endpoint: ceph.endpoint, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey };
    const client = createS3Client(resolveS3Connection(conn, {}));
    await createBucketIfMissing(client, 'rubinobs-raw-latiss', ceph.endpoint);
    client.destroy();
    const config = { ...defaultConfig('latiss'), port: 0, store: 's3://rubinobs-raw-latiss/serve', stateDir: join(dir, 'state'), pixels: 'constant' as const, heartbeat: false, initialState: 'ENABLED' as const, timeScale: 0 };
    const logged: string[] = [];
    const s3 = (await openServeStore(config, { s3Endpoint: ceph.endpoint, s3AccessKey: ceph.accessKeyId, s3SecretKey: ceph.secretAccessKey }, (l) => logged.push(l)))!;
    expect(s3.store).toBeInstanceOf(S3Store);
    const running = await startServer(config, { store: s3.store, encoder: new InlineEncoder() });
    s3.attach(running.emulator);
    try {
      const ack = await running.emulator.csc.command('takeImages', { numImages: 2, expTime: 0, shutter: false, keyValueMap: 'imageType: BIAS, groupId: G-CLI' }).done;
      expect(ack.ack).toBe(AckCode.COMPLETE);
      await running.emulator.writer.idle();
    } finally {
      await running.close();
      await s3.close(10_000);
    }
    const reader = await S3Store.open({ url: 's3://rubinobs-raw-latiss/serve', ...conn });
    try {
      const objects = await reader.list('');
      const fits = objects.filter((o) => /\.fits(\.fz)?$/.test(o.key));
      expect(fits.length).toBe(2); // LATISS: one CCD, two images
      expect(objects.length).toBe(4);
      for (const f of fits) {
        expect(f.key).toMatch(/^LATISS\/(\d{8})\/(AT_[A-Z]_\1_\d{6})\/\2_R00_S00\.fits(\.fz)?$/);
        expect(objects.some((o) => o.key === sidecarKey(f.key))).toBe(true);
      }
      for (const o of objects) {
        const bytes = await (await reader.get(o.key))!.bytes();
        expect(bytes.length).toBe(o.size);
        expect(await headObject(reader.client, 'rubinobs-raw-latiss', `serve/${o.key}`)).toEqual({ eTag: md5(bytes), size: o.size });
      }
    } finally {
      await reader.close();
    }
    // The sequence numbers live in the explicit state directory, not in the bucket.
    expect(spawnSync('ls', [join(dir, 'state')], { encoding: 'utf8' }).stdout).toMatch(/seq\.json/);
  });

  it('serve --store s3:// with a missing bucket exits 2 with one clear line', () => {
    const r = spawnSync(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', MAIN, 'serve', '--port', '0', '--store', 's3://no-such-bucket-x/p', '--state-dir', join(dir, 'state2'), ...s3opts], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no-such-bucket-x');
    expect(r.stderr).toContain('does not exist');
  });

  it('night --store s3:// then verify s3://: exit 0, and 1 naming a deleted object', async () => {
    const conn = { endpoint: ceph.endpoint, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey };
    const client = createS3Client(resolveS3Connection(conn, {}));
    try {
      await createBucketIfMissing(client, 'night-cli', ceph.endpoint);
      const plan = join(dir, 'plan.yaml');
      writeFileSync(plan, 'name: s3-tiny\ndescription: one bias on one ComCam CCD\nblocks:\n  - name: bias\n    imageType: BIAS\n    count: 1\n    exptime: 0\n    detectors: [R22_S11]\n');
      const n = await daqsim('night', '--plan', plan, '--jobs', '0', '--store', 's3://night-cli/n1', ...s3opts, '--json');
      expect(n.err).toBe('');
      expect(n.code).toBe(0);
      const summary = JSON.parse(n.out) as { files: number; upload: { objects: number; bytes: number } };
      expect(summary.files).toBe(1);
      expect(summary.upload.objects).toBe(3); // FITS, truth sidecar, manifest.json

      const ok = await daqsim('verify', 's3://night-cli/n1', ...s3opts);
      expect(ok.out).toContain('OK: 1 files in 1 exposures');
      expect(ok.code).toBe(0);

      // The summit-to-USDF hop between buckets: paced at the link rate, every file verified at the far end.
      await createBucketIfMissing(client, 'usdf-cli', ceph.endpoint);
      const t0 = performance.now();
      const hop = await daqsim('transfer', 's3://night-cli/n1', 's3://usdf-cli/n1', '--rate', '200Mbit', ...s3opts, '--json');
      const seconds = (performance.now() - t0) / 1000;
      expect(hop.code, hop.err).toBe(0);
      const moved = JSON.parse(hop.out) as { bytes: number; objects: number; failed: string[]; fileTransferNightlySummary: Array<{ expected: number; transferredAfterResend: number }> };
      expect(moved.objects).toBe(3);
      expect(moved.failed).toEqual([]);
      expect(moved.fileTransferNightlySummary[0]).toMatchObject({ expected: 1, transferredAfterResend: 1 });
      // Not faster than the link allows.
      expect(seconds).toBeGreaterThanOrEqual((moved.bytes * 8) / 200e6 * 0.9);
      const far = await daqsim('verify', 's3://usdf-cli/n1', ...s3opts);
      expect(far.code, far.out).toBe(0);
      const again = await daqsim('transfer', 's3://night-cli/n1', 's3://usdf-cli/n1', '--rate', '200Mbit', ...s3opts, '--json');
      expect((JSON.parse(again.out) as { skipped: number }).skipped).toBe(3); // a rerun resumes: nothing sent twice

      // An object the manifest does not list is reported as extra.
      const store = await S3Store.open({ url: 's3://night-cli/n1', ...conn });
      const objects = await store.list('');
      await store.put('LSSTComCam/stray.txt', new Uint8Array([1, 2, 3]));
      await store.close();
      const extra = await daqsim('verify', 's3://night-cli/n1', ...s3opts);
      expect(extra.code).toBe(1);
      expect(extra.out).toMatch(/extra\s+LSSTComCam\/stray\.txt/);
      await deleteObject(client, 'night-cli', 'n1/LSSTComCam/stray.txt');

      const fits = objects.find((o) => o.key.endsWith('.fits.fz'))!.key;
      await deleteObject(client, 'night-cli', `n1/${fits}`);
      const bad = await daqsim('verify', 's3://night-cli/n1', ...s3opts);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(fits);
      expect(bad.out).toContain('FAILED');

      const missing = await daqsim('verify', 's3://no-such-night/n1', ...s3opts);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain('does not exist');
    } finally {
      client.destroy();
    }
  });

  it('s3 setup: a put makes the gateway POST a notification with the key to the receiver', async () => {
    const keys: string[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Records: Array<{ opaqueData: string; s3: { object: { key: string } } }> };
        for (const r of body.Records) keys.push(`${r.opaqueData}:${r.s3.object.key}`);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await daqsim('s3', 'setup', '--bucket', 'notify-cli', '--topic', 'notify-cli', '--push-endpoint', `http://127.0.0.1:${port}/notify`, '--opaque-data', 'sekrit', ...s3opts, '--json');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.out) as { topicArn: string; bucketCreated: boolean };
      expect(out.topicArn).toContain('notify-cli');
      expect(out.bucketCreated).toBe(true);
      const store = await S3Store.open({ url: 's3://notify-cli/raw', endpoint: ceph.endpoint, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey });
      await store.put('LSSTCam/20260101/x.fits', new Uint8Array(1000));
      await store.close();
      const end = Date.now() + 10_000;
      while (keys.length === 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      expect(keys).toEqual(['sekrit:raw/LSSTCam/20260101/x.fits']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
