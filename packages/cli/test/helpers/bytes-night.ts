/**
 * Nights of random bytes in the store layout, with a manifest: what the transfer tests need (the link does not
 * look inside files) without spending seconds synthesizing pixels.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ByteFile {
  obsId: string;
  detector: string;
  size: number;
}

export interface ByteNight {
  files: Array<{ path: string; size: number; sha256: string; obsId: string; dayObs: number; detector: string; truth: string }>;
  /** Every byte the transfer moves: images, sidecars and the manifest. */
  totalBytes: number;
  fileCount: number;
}

/** obsIds CC_S_{dayObs}_00000n and R22_S1x detectors, `perImage` CCDs each. */
export function layout(images: number, perImage: number, size: number, dayObs = 20251015): ByteFile[] {
  const out: ByteFile[] = [];
  for (let i = 1; i <= images; i++) {
    for (let d = 0; d < perImage; d++) out.push({ obsId: `CC_S_${dayObs}_${String(i).padStart(6, '0')}`, detector: `R22_S1${d}`, size });
  }
  return out;
}

export async function makeByteNight(root: string, files: ByteFile[], opts: { dayObs?: number; withSha?: boolean } = {}): Promise<ByteNight> {
  const dayObs = opts.dayObs ?? 20251015;
  const entries: ByteNight['files'] = [];
  let total = 0;
  for (const f of files) {
    const path = `LSSTComCam/${dayObs}/${f.obsId}/${f.obsId}_${f.detector}.fits.fz`;
    const truth = path.replace('.fits.fz', '.truth.json');
    const bytes = randomBytes(f.size);
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
    const side = Buffer.from(JSON.stringify({ detector: f.detector, note: 'sidecar' }));
    await writeFile(join(root, truth), side);
    total += f.size + side.length;
    entries.push({ path, size: f.size, sha256: createHash('sha256').update(bytes).digest('hex'), obsId: f.obsId, dayObs, detector: f.detector, truth });
  }
  const manifest = {
    version: 1,
    generator: 'daqsim test',
    camera: 'comcam',
    instrument: 'LSSTComCam',
    plan: 'bytes',
    seed: 1,
    nights: [dayObs],
    files: entries.map((e) => (opts.withSha === false ? { ...e, sha256: undefined } : e)),
    faults: [],
  };
  const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(root, 'manifest.json'), text);
  total += text.length;
  return { files: entries, totalBytes: total, fileCount: entries.length * 2 + 1 };
}
