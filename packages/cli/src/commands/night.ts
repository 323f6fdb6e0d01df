/** `daqsim night`: whole nights without a server, as fast as the machine allows. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isS3Url } from '@daqsim/daq';
import { BUILTIN_PLANS, checkDayObs, listCameras, scalePlan, writeNight } from '@daqsim/core';
import { loadPlan } from '../shared/plans.js';
import { EXIT, UsageError, parseIntOption, parseNumberOption, progress, runCommand } from '../shared/output.js';
import { addS3Options, openS3Store, uploadDir, type S3CliOptions } from '../shared/s3.js';

const DEFAULT_OUT = 'out/night';

interface NightOptions extends S3CliOptions {
  camera: string;
  plan: string;
  dayObs: string;
  nights: string;
  seed: string;
  compress?: string;
  jobs: string;
  scale?: string;
  magLimit?: string;
  out?: string;
  store?: string;
  uploadJobs: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('night')
    .description('generate one or more nights of raws with truth sidecars and a manifest.json under --out')
    .option('--camera <camera>', `camera: ${listCameras().join(', ')}`, 'comcam')
    .option('--plan <plan>', `built-in plan (${Object.keys(BUILTIN_PLANS).join(', ')}) or a .yaml/.json plan file`, 'fixture')
    .option('--day-obs <YYYYMMDD>', 'day_obs of the first night', '20251015')
    .option('--nights <n>', 'consecutive nights (day_obs continues, seq_num restarts each day_obs)', '1')
    .option('--seed <n>', 'random seed: the same seed and plan give byte-identical nights', '0')
    .option('--compress <codec>', 'tile-compress the amp HDUs: rice, or none', 'rice')
    .option('--jobs <n>', 'synthesis worker threads', '2')
    .option('--scale <f>', 'multiply every block count (at least 1 each): small CI nights with the real geometry')
    .option('--mag-limit <m>', 'faintest magnitude rendered [24]')
    .option('--out <dir>', `output directory (the store root) [${DEFAULT_OUT}]; with --store, the staging directory, kept`)
    .option('--store <s3://BUCKET/PREFIX>', 'also upload the night (FITS, truth sidecars, manifest.json) to this bucket; staged in a temporary directory unless --out is given')
    .option('--upload-jobs <n>', 'objects uploaded at once with --store', '4');
  addS3Options(cmd)
    .option('--json', 'print the manifest summary as JSON')
    .action((o: NightOptions) => runCommand(o, () => night(o)));
}

async function night(o: NightOptions): Promise<number> {
  let plan = loadPlan(o.plan);
  const scale = parseNumberOption('scale', o.scale, 0.001, 1000);
  if (scale !== undefined) plan = scalePlan(plan, scale);
  if (o.compress !== undefined && o.compress !== 'rice' && o.compress !== 'none') throw new UsageError('--compress supports: rice, none', 'compress');
  const dayObs = checkDayObs(o.dayObs);
  const nights = parseIntOption('nights', o.nights, 1, 366)!;
  const seed = parseIntOption('seed', o.seed, 0, Number.MAX_SAFE_INTEGER)!;
  const jobs = parseIntOption('jobs', o.jobs, 0, 64)!;
  const magLimit = parseNumberOption('mag-limit', o.magLimit, 10, 25);
  const uploadJobs = parseIntOption('upload-jobs', o.uploadJobs, 1, 64)!;
  if (o.store !== undefined && !isS3Url(o.store)) throw new UsageError(`--store must be an s3://BUCKET/PREFIX URL (for a directory use --out), got ${JSON.stringify(o.store)}`, 'store');
  // Check the bucket and the credentials before spending minutes on synthesis.
  const store = o.store !== undefined ? await openS3Store(o.store, o) : undefined;
  const staged = store !== undefined && o.out === undefined;
  let out: string;
  try {
    out = staged ? await mkdtemp(join(tmpdir(), 'daqsim-night-')) : (o.out ?? DEFAULT_OUT);
  } catch (e) {
    await store?.close();
    throw e;
  }
  try {
    return await render(o, out, plan, { dayObs, nights, seed, jobs, magLimit }, store, uploadJobs, staged);
  } finally {
    await store?.close();
    if (staged) await rm(out, { recursive: true, force: true });
  }
}

async function render(
  o: NightOptions,
  out: string,
  plan: ReturnType<typeof loadPlan>,
  p: { dayObs: number; nights: number; seed: number; jobs: number; magLimit: number | undefined },
  store: Awaited<ReturnType<typeof openS3Store>> | undefined,
  uploadJobs: number,
  staged: boolean,
): Promise<number> {
  const { dayObs, nights, seed, jobs, magLimit } = p;
  const bar = progress(`night ${plan.name}`);
  const t0 = performance.now();
  const manifest = await writeNight(out, o.camera, plan, {
    dayObs,
    nights,
    seed,
    compress: o.compress === 'rice',
    workers: jobs,
    ...(magLimit !== undefined ? { magLimit } : {}),
    onProgress: (done, total, e) => bar.update(done, total, `${e.block} seq ${e.info.seqNum}`),
  });
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
  const upload = store ? await uploadDir(out, store, uploadJobs) : undefined;
  const summary = {
    ok: true,
    out: staged ? null : out,
    plan: plan.name,
    camera: o.camera,
    nights: manifest.nights,
    exposures: manifest.exposures,
    files: manifest.files.length,
    bytes,
    seconds,
    ...(store && upload ? { store: store.url, upload: { ...upload, mbPerSecond: upload.seconds > 0 ? upload.bytes / 1e6 / upload.seconds : 0 } } : {}),
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `${manifest.exposures} exposures, ${manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s ` +
        `(nights ${manifest.nights.join(', ')}) -> ${staged ? '(staging, removed)' : `${out}/manifest.json`}\n`,
    );
    if (store && upload) {
      process.stdout.write(
        `uploaded ${upload.objects} objects, ${(upload.bytes / 1e6).toFixed(1)} MB in ${upload.seconds.toFixed(1)} s ` +
          `(${(upload.bytes / 1e6 / Math.max(upload.seconds, 1e-3)).toFixed(1)} MB/s) -> ${store.url}manifest.json\n`,
      );
    }
  }
  return EXIT.OK;
}
