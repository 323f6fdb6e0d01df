/** `daqsim frame`: one exposure's files, synthesized and written in the store layout. */
import type { Command } from 'commander';
import { ExposureRenderer, Tai, altAzToRaDec, filterForBand, getCamera, listCameras, type ExposureInfo } from '@daqsim/core';
import { EXIT, UsageError, parseIntOption, parseNumberOption, runCommand } from '../shared/output.js';

const TYPES = ['BIAS', 'DARK', 'FLAT', 'OBJECT', 'ACQ', 'FOCUS', 'ENGTEST', 'SPOT'] as const;
/** A fixed default start keeps `daqsim frame` byte-reproducible; pass --start to choose (or "now"). */
export const DEFAULT_START = '2025-10-16T03:00:00';

interface FrameOptions {
  camera: string;
  type: string;
  band?: string;
  exptime?: string;
  seed?: string;
  detectors?: string;
  compress?: string;
  out: string;
  start: string;
  seq: string;
  ra?: string;
  dec?: string;
  rot?: string;
  workers: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('frame')
    .description("write one exposure's raw files (and truth sidecars) under --out, in the {instrument}/{day_obs}/{obs_id}/ layout")
    .requiredOption('--camera <camera>', `camera: ${listCameras().join(', ')}`)
    .requiredOption('--type <type>', `image type: ${TYPES.join(', ')}`)
    .option('--band <band>', 'band (u g r i z y) mapped to the camera filter [camera default]')
    .option('--exptime <s>', 'exposure time in seconds [0 for BIAS, else 30]')
    .option('--seed <n>', 'random seed [0]')
    .option('--detectors <list>', 'comma-separated detector names, e.g. R22_S11,R22_S12 [all science detectors]')
    .option('--compress <codec>', 'tile-compress the amp HDUs: rice')
    .requiredOption('--out <dir>', 'output directory (the store root)')
    .option('--start <iso>', 'exposure start, TAI ISO (or "now")', DEFAULT_START)
    .option('--seq <n>', 'seq_num within the day_obs', '1')
    .option('--ra <deg>', 'pointing RA for on-sky types [zenith]')
    .option('--dec <deg>', 'pointing Dec for on-sky types [zenith]')
    .option('--rot <deg>', 'rotation angle (ROTPA) [0]')
    .option('--workers <n>', 'synthesis worker threads', '2')
    .option('--json', 'machine-readable output')
    .action((o: FrameOptions) => runCommand(o, () => frame(o)));
}

async function frame(o: FrameOptions): Promise<number> {
  const camera = getCamera(o.camera);
  const type = o.type.toUpperCase();
  if (!(TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${TYPES.join(', ')}`, 'type');
  if (o.compress !== undefined && o.compress !== 'rice') throw new UsageError('--compress supports: rice', 'compress');
  const start = o.start === 'now' ? Tai.now() : Tai.fromIso(o.start);
  const exptime = parseNumberOption('exptime', o.exptime, 0, 3600) ?? (type === 'BIAS' ? 0 : 30);
  const seqNum = parseIntOption('seq', o.seq, 0, 99999)!;
  const seed = parseIntOption('seed', o.seed, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const workers = parseIntOption('workers', o.workers, 0, 64)!;
  const info: ExposureInfo = { imageType: type as ExposureInfo['imageType'], start, expTime: type === 'BIAS' ? 0 : exptime, seqNum };
  if (o.band) info.filter = filterForBand(camera, o.band);
  const onSky = type === 'OBJECT' || type === 'ACQ' || type === 'FOCUS' || type === 'ENGTEST';
  if (onSky || o.ra !== undefined || o.dec !== undefined) {
    const z = altAzToRaDec(0, 89.9, start, camera.site);
    info.pointing = {
      ra: parseNumberOption('ra', o.ra, 0, 360) ?? z.ra,
      dec: parseNumberOption('dec', o.dec, -90, 90) ?? z.dec,
      rotPA: parseNumberOption('rot', o.rot, -360, 360) ?? 0,
    };
  }
  const detectors = o.detectors ? o.detectors.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const renderer = new ExposureRenderer({ workers });
  try {
    const t0 = performance.now();
    const files = await renderer.writeExposure(o.out, camera.key, info, {
      compress: o.compress === 'rice',
      synth: { seed },
      ...(detectors ? { detectors } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, seconds, files })}\n`);
    else {
      for (const f of files) process.stdout.write(`${f.path}\n`);
      process.stderr.write(`daqsim: ${files.length} file(s) of ${files[0]?.obsId ?? '-'} in ${seconds.toFixed(1)} s\n`);
    }
  } finally {
    await renderer.close();
  }
  return EXIT.OK;
}

