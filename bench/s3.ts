/**
 * S3 put throughput to a real Ceph RADOS Gateway (single-node memstore cluster on loopback): S3Store.put next to
 * FileStore.put (tmpfs-less local disk, no fsync) and next to a plain SDK PutObject of the same bytes with the same
 * client settings. The gap to the plain PutObject is S3Store's own cost: MD5 for Content-MD5 and the eTag check, the
 * concurrency slot, and for large objects the multipart upload.
 *
 *   node --conditions=daqsim-source --import tsx bench/s3.ts [--runs N]
 *
 * Uses the gateway in AWS_ENDPOINT_URL (with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) if set, else starts one with
 * scripts/ceph-local.sh in a temporary directory and stops it at the end. Each figure is the median MB/s (10^6
 * bytes) of N timed runs after one warm-up; a run writes COUNT objects one after another (sequential) or all at once
 * (concurrent, S3Store bounded at 4). Results also go to bench/results/s3.json, with the load average: the gateway,
 * the OSD and this process share the machine's cores, so other work on it shows in every S3 figure.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FileStore } from '../packages/daq/src/store.js';
import { S3Store, createBucketIfMissing, createS3Client, resolveS3Connection } from '../packages/daq/src/s3/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const RUNS = Math.max(3, Number(args[args.indexOf('--runs') + 1]) || 5);
const MiB = 1 << 20;
const CASES = [
  // A compressed LSSTCam CCD is ~20-30 MB; a sidecar or a LATISS compressed amp file is far smaller.
  { name: '256 KiB', size: 256 * 1024, count: 40 },
  { name: '8 MiB', size: 8 * MiB, count: 8 },
  // Above the 16 MiB threshold: S3Store uploads in 8 MiB parts; the plain SDK sends one PutObject.
  { name: '32 MiB', size: 32 * MiB, count: 4 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeRuns(label: string, bytesPerRun: number, fn: (run: number) => Promise<void>): Promise<number> {
  await fn(-1);
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await fn(r);
    rates.push(bytesPerRun / 1e6 / ((performance.now() - t) / 1000));
  }
  const m = median(rates);
  console.log(`  ${label.padEnd(34)} ${m.toFixed(0).padStart(5)} MB/s  (min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)})`);
  return m;
}

const work = mkdtempSync(join(tmpdir(), 'daqsim-bench-s3-'));
let cephDir: string | undefined;
let cephStartSeconds: number | null = null;
const script = join(here, '..', 'scripts', 'ceph-local.sh');
try {
  if (!process.env.AWS_ENDPOINT_URL) {
    cephDir = join(work, 'ceph');
    const t = performance.now();
    const out = execFileSync('bash', [script, 'start', cephDir, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const c = JSON.parse(out.trim().split('\n').pop()!) as { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
    cephStartSeconds = +((performance.now() - t) / 1000).toFixed(1);
    console.log(`ceph started in ${cephStartSeconds} s at ${c.endpoint} (load average ${loadavg()[0]!.toFixed(1)})`);
    Object.assign(process.env, { AWS_ENDPOINT_URL: c.endpoint, AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_REGION: c.region });
  }
  const conn = resolveS3Connection();
  const client = createS3Client(conn);
  await createBucketIfMissing(client, 'bench', conn.endpoint);
  const store = await S3Store.open({ url: 's3://bench/daqsim' });
  const files = new FileStore(join(work, 'files'));
  const results: Record<string, Record<string, number>> = {};

  for (const c of CASES) {
    const payloads = Array.from({ length: c.count }, () => randomBytes(c.size));
    const total = c.size * c.count;
    console.log(`${c.name} x ${c.count}:`);
    // Same keys every run: memstore frees what is overwritten, so the cluster's RAM stays bounded.
    const key = (i: number): string => `LSSTCam/20260101/MC_O_20260101_000001/MC_O_20260101_000001_R22_S${String(i).padStart(2, '0')}.fits`;
    const r: Record<string, number> = {};
    r.fileStore = await timeRuns('FileStore.put, sequential', total, async () => {
      for (let i = 0; i < c.count; i++) await files.put(key(i), payloads[i]!);
    });
    r.sdkPut = await timeRuns('SDK PutObject, sequential', total, async () => {
      for (let i = 0; i < c.count; i++) await client.send(new PutObjectCommand({ Bucket: 'bench', Key: `sdk/${key(i)}`, Body: payloads[i]! }));
    });
    r.s3Store = await timeRuns('S3Store.put, sequential', total, async () => {
      for (let i = 0; i < c.count; i++) await store.put(key(i), payloads[i]!);
    });
    r.sdkPutConcurrent = await timeRuns('SDK PutObject, concurrent', total, async () => {
      await Promise.all(payloads.map((p, i) => client.send(new PutObjectCommand({ Bucket: 'bench', Key: `sdk/${key(i)}`, Body: p }))));
    });
    r.s3StoreConcurrent = await timeRuns('S3Store.put, concurrent (4 at once)', total, async () => {
      await Promise.all(payloads.map((p, i) => store.put(key(i), p)));
    });
    console.log(
      `  ratios: S3Store/SDK ${(r.s3Store / r.sdkPut).toFixed(2)} sequential, ${(r.s3StoreConcurrent / r.sdkPutConcurrent).toFixed(2)} concurrent;` +
        ` S3Store/FileStore ${(r.s3Store / r.fileStore).toFixed(2)}`,
    );
    results[c.name] = r;
  }
  await store.close();
  client.destroy();
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 's3.json'), JSON.stringify({ date: new Date().toISOString(), runs: RUNS, node: process.version, cephStartSeconds, loadAverage: loadavg().map((x) => +x.toFixed(2)), mbPerSecond: results }, null, 2) + '\n');
} finally {
  if (cephDir) execFileSync('bash', [script, 'stop', cephDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(work, { recursive: true, force: true });
}
