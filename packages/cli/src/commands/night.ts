/** `daqsim night`: whole nights without a server, as fast as the machine allows. */
import type { Command } from 'commander';
import { BUILTIN_PLANS, checkDayObs, listCameras, scalePlan, writeNight } from '@daqsim/core';
import { loadPlan } from '../shared/plans.js';
import { EXIT, UsageError, parseIntOption, parseNumberOption, progress, runCommand } from '../shared/output.js';

interface NightOptions {
  camera: string;
  plan: string;
  dayObs: string;
  nights: string;
  seed: string;
  compress?: string;
  jobs: string;
  scale?: string;
  magLimit?: string;
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
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
    .option('--out <dir>', 'output directory (the store root)', 'out/night')
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
  const bar = progress(`night ${plan.name}`);
  const t0 = performance.now();
  const manifest = await writeNight(o.out, o.camera, plan, {
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
  const summary = { ok: true, out: o.out, plan: plan.name, camera: o.camera, nights: manifest.nights, exposures: manifest.exposures, files: manifest.files.length, bytes, seconds };
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `${manifest.exposures} exposures, ${manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s ` +
        `(nights ${manifest.nights.join(', ')}) -> ${o.out}/manifest.json\n`,
    );
  }
  return EXIT.OK;
}
