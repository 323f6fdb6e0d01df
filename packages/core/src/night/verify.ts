/**
 * Verifying a night on disk: the manifest is complete and exact (every file present with its size and sha256,
 * nothing extra), every file is well-formed FITS whose CHECKSUM/DATASUM hold, carries the keywords its
 * instrument's translator needs, and agrees with its own name and path; identifiers are unique and consistent
 * across the night(s). Problems are collected, never thrown, so one run lists them all.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FitsError, FitsFile } from '@daqsim/fits';
import { getCamera, getDetector } from '../cameras/registry.js';
import type { Camera } from '../cameras/types.js';
import { MANIFEST_NAME, type Manifest } from './write.js';

export interface Problem {
  /** File (relative to the night root) or '' for the night as a whole. */
  path: string;
  kind: 'manifest' | 'missing' | 'extra' | 'size' | 'sha256' | 'fits' | 'checksum' | 'keyword' | 'identifier' | 'duplicate' | 'truth' | 'pixels';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  filesChecked: number;
  exposures: number;
  problems: Problem[];
}

const REQUIRED: Record<Camera['headerStyle'], string[]> = {
  lsst: ['INSTRUME', 'TELESCOP', 'OBSID', 'DAYOBS', 'SEQNUM', 'CONTRLLR', 'IMGTYPE', 'RAFTBAY', 'CCDSLOT', 'LSST_NUM', 'DATE', 'DATE-OBS', 'DATE-END', 'TIMESYS', 'EXPTIME', 'DARKTIME', 'FILTER', 'GROUPID'],
  latiss: ['INSTRUME', 'OBSID', 'DAYOBS', 'SEQNUM', 'IMGTYPE', 'DATE', 'DATE-OBS', 'DATE-END', 'TIMESYS', 'EXPTIME', 'DARKTIME', 'FILTER'],
  imsim: ['TESTTYPE', 'OBSID', 'RAFTNAME', 'SENSNAME', 'LSST_NUM', 'DATE-OBS', 'EXPTIME', 'DARKTIME', 'FILTER', 'RUNNUM'],
};
const AMP_REQUIRED = ['EXTNAME', 'DATASEC', 'DETSEC', 'BIASSEC'];

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function fitsFilesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.fits(\.fz)?$/.test(e.name)) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

export interface VerifyOptions {
  /** Decode every amp's pixels too (slower; checksums already cover the stored bytes). */
  deep?: boolean;
}

export async function verifyNight(root: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const add = (path: string, kind: Problem['kind'], message: string): void => {
    problems.push({ path, kind, message });
  };
  let manifest: Manifest | undefined;
  try {
    manifest = JSON.parse(await readFile(join(root, MANIFEST_NAME), 'utf8')) as Manifest;
    if (manifest.version !== 1 || !Array.isArray(manifest.files)) throw new Error('not a version-1 manifest');
  } catch (e) {
    add('', 'manifest', `${MANIFEST_NAME}: ${e instanceof Error ? e.message : String(e)}`);
    manifest = undefined;
  }
  const onDisk = existsSync(root) ? await fitsFilesUnder(root) : [];
  const listed = new Map((manifest?.files ?? []).map((f) => [f.path, f]));
  for (const f of manifest?.files ?? []) {
    const abs = join(root, f.path);
    if (!existsSync(abs)) {
      add(f.path, 'missing', 'listed in the manifest but not on disk');
      continue;
    }
    const { size } = await stat(abs);
    if (size !== f.size) add(f.path, 'size', `size ${size} != manifest ${f.size}`);
    else if ((await sha256File(abs)) !== f.sha256) add(f.path, 'sha256', 'content differs from the manifest sha256');
    if (!existsSync(join(root, f.truth))) add(f.path, 'truth', `truth sidecar ${f.truth} is missing`);
  }
  if (manifest) for (const p of onDisk) if (!listed.has(p)) add(p, 'extra', 'on disk but not in the manifest');

  let camera: Camera | undefined;
  try {
    camera = manifest ? getCamera(manifest.camera) : undefined;
  } catch {
    add('', 'manifest', `unknown camera ${manifest?.camera}`);
  }
  const seen = new Map<string, string>();
  const seqToObs = new Map<string, string>();
  for (const rel of onDisk) {
    const abs = join(root, rel);
    const parts = rel.split('/');
    const fname = parts[parts.length - 1]!;
    const m = /^(.+)_(R[0-9X]{2})_(S[A-Z0-9]{2})\.fits(\.fz)?$/.exec(fname);
    if (!m) {
      add(rel, 'identifier', 'file name is not {OBSID}_{Rnn}_{Snn}.fits[.fz]');
      continue;
    }
    const [, obsFromName, raft, slot] = m as unknown as [string, string, string, string];
    if (parts.length >= 2 && parts[parts.length - 2] !== obsFromName) add(rel, 'identifier', `directory ${parts[parts.length - 2]} differs from OBSID ${obsFromName}`);
    const key = `${obsFromName}/${raft}_${slot}`;
    if (seen.has(key)) add(rel, 'duplicate', `same OBSID and detector as ${seen.get(key)}`);
    seen.set(key, rel);
    let f: FitsFile | undefined;
    try {
      f = await FitsFile.open(abs);
      const n = await f.hduCount();
      const h = await f.header(0);
      for (let i = 0; i < n; i++) {
        const c = await f.verifyChecksums(i);
        if (c.checksum !== 'ok' || c.datasum !== 'ok') add(rel, 'checksum', `HDU ${i}: CHECKSUM ${c.checksum}, DATASUM ${c.datasum}`);
      }
      const style = camera?.headerStyle ?? (h.has('TESTTYPE') ? 'imsim' : h.get('INSTRUME') === 'LATISS' ? 'latiss' : 'lsst');
      for (const k of REQUIRED[style]) if (!h.has(k) || h.get(k) === null) add(rel, 'keyword', `primary header lacks ${k}`);
      const obs = String(h.get('OBSID') ?? '');
      if (obs !== obsFromName) add(rel, 'identifier', `OBSID ${obs} differs from the file name ${obsFromName}`);
      const hRaft = h.get(style === 'imsim' ? 'RAFTNAME' : 'RAFTBAY');
      const hSlot = h.get(style === 'imsim' ? 'SENSNAME' : 'CCDSLOT');
      if (style !== 'latiss' && (hRaft !== raft || hSlot !== slot)) add(rel, 'identifier', `header detector ${String(hRaft)}_${String(hSlot)} differs from the file name`);
      if (style !== 'imsim') {
        const day = String(h.get('DAYOBS') ?? '');
        const seq = Number(h.get('SEQNUM'));
        if (!obs.includes(`_${day}_`) || !obs.endsWith(`_${String(seq).padStart(6, '0')}`)) add(rel, 'identifier', `OBSID ${obs} disagrees with DAYOBS ${day} / SEQNUM ${seq}`);
        const sk = `${day}/${seq}`;
        const prev = seqToObs.get(sk);
        if (prev !== undefined && prev !== obs) add(rel, 'duplicate', `SEQNUM ${seq} of day_obs ${day} used by ${prev} and ${obs}`);
        seqToObs.set(sk, obs);
      }
      if (camera) {
        try {
          const det = getDetector(camera, `${raft}_${slot}`);
          if (n !== det.amps.length + 1) add(rel, 'fits', `${n - 1} amp HDUs, the detector has ${det.amps.length}`);
          for (let i = 1; i < n; i++) {
            const ah = await f.header(i);
            for (const k of AMP_REQUIRED) if (!ah.has(k)) add(rel, 'keyword', `HDU ${i} lacks ${k}`);
            const want = det.amps[i - 1]?.extname;
            if (want && ah.get('EXTNAME') !== want) add(rel, 'keyword', `HDU ${i} EXTNAME ${String(ah.get('EXTNAME'))}, expected ${want}`);
            if (opts.deep) await f.readImage(i);
          }
        } catch (e) {
          if (e instanceof FitsError) throw e;
          add(rel, 'identifier', e instanceof Error ? e.message : String(e));
        }
      }
      const entry = listed.get(rel);
      if (entry && (entry.obsId !== obs || entry.detector !== `${raft}_${slot}`)) add(rel, 'manifest', 'manifest identifiers differ from the file');
    } catch (e) {
      add(rel, e instanceof FitsError && opts.deep ? 'pixels' : 'fits', e instanceof Error ? e.message : String(e));
    } finally {
      await f?.close();
    }
  }
  const exposures = new Set(onDisk.map((p) => p.split('/').slice(0, -1).join('/'))).size;
  return { ok: problems.length === 0, filesChecked: onDisk.length, exposures, problems };
}
