/**
 * Small nights for the transfer and report tests, written the way `daqsim night` lays them out: files rendered by
 * @daqsim/core's ExposureRenderer plus a manifest.json of the documented shape (the real `night` command is not
 * needed, and the tests do not change when its plans do).
 */
import { writeFile } from 'node:fs/promises';
import { ExposureRenderer, type ExposureInfo, type ImageType, Tai, getCamera, manifestEntry } from '@daqsim/core';

export interface NightExposure {
  imageType: ImageType;
  expTime: number;
  filter?: string;
  /** Seconds after the first exposure's start. */
  at: number;
}

export interface ManifestFault {
  kind: string;
  path?: string;
  detail?: string;
}

export const DEFAULT_EXPOSURES: NightExposure[] = [
  { imageType: 'BIAS', expTime: 0, at: 0 },
  { imageType: 'FLAT', expTime: 5, filter: 'r_03', at: 20 },
  { imageType: 'OBJECT', expTime: 30, filter: 'r_03', at: 60 },
];

/** Render a night under `root` and write its manifest; returns the manifest object. */
export async function makeNight(
  root: string,
  opts: { exposures?: NightExposure[]; detectors?: string[]; seed?: number; compress?: boolean; start?: string } = {},
): Promise<{ files: Array<Record<string, unknown>>; faults: ManifestFault[] } & Record<string, unknown>> {
  const camera = getCamera('comcam');
  const start = Tai.fromIso(opts.start ?? '2025-10-16T01:00:00');
  const seed = opts.seed ?? 1;
  const renderer = new ExposureRenderer({ workers: 2 });
  const files: Array<Record<string, unknown>> = [];
  try {
    let seqNum = 1;
    for (const e of opts.exposures ?? DEFAULT_EXPOSURES) {
      const info: ExposureInfo = {
        imageType: e.imageType,
        start: start.plus(e.at),
        expTime: e.expTime,
        seqNum: seqNum++,
        ...(e.filter ? { filter: e.filter } : {}),
        ...(e.imageType === 'OBJECT' ? { pointing: { ra: 53.13, dec: -28.1, rotPA: 0 } } : {}),
      };
      const written = await renderer.writeExposure(root, 'comcam', info, { detectors: opts.detectors ?? ['R22_S11'], compress: opts.compress ?? true, synth: { seed } });
      for (const w of written) files.push({ ...(await manifestEntry(root, w)) });
    }
  } finally {
    await renderer.close();
  }
  const manifest = {
    version: 1,
    generator: 'daqsim test helper',
    camera: 'comcam',
    instrument: camera.name,
    plan: 'test',
    seed,
    nights: [...new Set(files.map((f) => f['dayObs'] as number))],
    files,
    faults: [] as ManifestFault[],
  };
  await writeManifest(root, manifest);
  return manifest;
}

export async function writeManifest(root: string, manifest: unknown): Promise<void> {
  await writeFile(`${root}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
}
