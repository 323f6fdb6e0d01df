/**
 * What a transfer moves, in order: the manifest's images in manifest order (the order they were written), each
 * followed by its truth sidecar, then every other file under SRC, then manifest.json last, so that a manifest at
 * the far end means the night has arrived. Images the manifest lists but SRC lacks are reported as not written.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { STATE_DIR } from './journal.js';
import { MANIFEST_NAME, type ManifestFile, type NightManifest, parseRawName, readManifest } from './manifest.js';

/** The summary the transfer writes at the top of DST; never copied from SRC (it describes a different hop). */
export const SUMMARY_NAME = 'transfer-summary.json';
/** Suffix of a file being received; the hidden prefix keeps it out of a watcher's way until the rename. */
export const PART_SUFFIX = '.daqsim-part';

export type ItemKind = 'image' | 'sidecar' | 'other' | 'manifest';

export interface PlanItem {
  /** Relative, '/'-separated. */
  path: string;
  kind: ItemKind;
  /** Size at the source now. */
  size: number;
  /** Checksum the far end must see: from the manifest when it has one, else computed from the source. */
  sha256?: string;
  /** The manifest record of an image. */
  image?: ManifestFile;
}

export interface TransferPlan {
  manifest: NightManifest | undefined;
  items: PlanItem[];
  /** Manifest images absent from SRC. */
  notWritten: ManifestFile[];
  /** Every image the night should have, for per-image counts: manifest files, or the raw files found. */
  images: ManifestFile[];
}

function isInternal(rel: string): boolean {
  const parts = rel.split('/');
  const name = parts[parts.length - 1]!;
  // Writers' temporary names (`.x.fits.tmp-<pid>-<rand>`, `x.json.tmp-<pid>`, `manifest.json.tmp`) are files
  // still being written by the night next door; they arrive under their real names on a later run.
  return parts[0] === STATE_DIR || name.endsWith(PART_SUFFIX) || (parts.length === 1 && name === SUMMARY_NAME) || /\.tmp(-[\w-]*)?$/.test(name);
}

async function walk(root: string, exclude: string | undefined): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (exclude !== undefined && (abs === exclude || abs.startsWith(exclude + sep))) continue;
      const rel = relative(root, abs).split(sep).join('/');
      if (isInternal(rel)) continue;
      if (e.isDirectory()) await visit(abs);
      else if (e.isFile()) found.set(rel, (await stat(abs)).size);
    }
  };
  await visit(root);
  return found;
}

export async function planTransfer(src: string, dst: string): Promise<TransferPlan> {
  const srcAbs = resolve(src);
  const dstAbs = resolve(dst);
  const manifest = await readManifest(srcAbs);
  const found = await walk(srcAbs, dstAbs.startsWith(srcAbs + sep) ? dstAbs : undefined);
  const items: PlanItem[] = [];
  const taken = new Set<string>([MANIFEST_NAME]);
  const notWritten: ManifestFile[] = [];
  let images: ManifestFile[];
  if (manifest) {
    images = manifest.files;
    for (const f of manifest.files) {
      const size = found.get(f.path);
      taken.add(f.path);
      if (size === undefined) {
        notWritten.push(f);
      } else {
        items.push({ path: f.path, kind: 'image', size, image: f, ...(f.sha256 ? { sha256: f.sha256 } : {}) });
      }
      const truth = f.truth ?? f.path.replace(/\.fits(\.fz)?$/, '.truth.json');
      const truthSize = found.get(truth);
      if (truthSize !== undefined && !taken.has(truth)) {
        taken.add(truth);
        items.push({ path: truth, kind: 'sidecar', size: truthSize });
      }
    }
  } else {
    images = [];
  }
  for (const [path, size] of found) {
    if (taken.has(path)) continue;
    const raw = manifest ? undefined : parseRawName(path);
    if (raw) {
      // No manifest: the file name still says which image and detector it is.
      const dayObs = Number(/(?:^|\/)(\d{8})\//.exec(path)?.[1] ?? 0);
      const image: ManifestFile = { path, size, obsId: raw.obsId, dayObs, detector: raw.detector };
      images.push(image);
      items.push({ path, kind: 'image', size, image });
    } else {
      items.push({ path, kind: path.endsWith('.truth.json') ? 'sidecar' : 'other', size });
    }
  }
  const manifestSize = found.get(MANIFEST_NAME);
  if (manifestSize !== undefined) items.push({ path: MANIFEST_NAME, kind: 'manifest', size: manifestSize });
  return { manifest, items, notWritten, images };
}
