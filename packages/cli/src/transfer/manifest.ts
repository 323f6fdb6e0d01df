/**
 * The night manifest `daqsim night` writes (DIR/manifest.json), read defensively: the transfer and the report
 * take it from a directory that may have been damaged on purpose, so every field is checked before use and a
 * path that would escape the directory is refused.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

export const MANIFEST_NAME = 'manifest.json';

export interface ManifestFile {
  /** Relative to the night directory, '/'-separated. */
  path: string;
  size: number;
  /** Lower-case hex; absent when the writer did not record one. */
  sha256?: string;
  obsId: string;
  dayObs: number;
  seqNum?: number;
  /** Rnn_Snn. */
  detector: string;
  imageType?: string;
  band?: string;
  exptime?: number;
  /** TAI ISO times without a zone: integration start and end, file written. */
  dateBeg?: string;
  dateEnd?: string;
  fileDate?: string;
  /** The truth sidecar, relative like `path`. */
  truth?: string;
}

export interface ManifestFault {
  kind: string;
  path?: string;
  obsId?: string;
  detector?: string;
  detail?: string;
}

export interface NightManifest {
  version: number;
  generator?: string;
  camera?: string;
  instrument?: string;
  plan?: string;
  seed?: number;
  nights?: number[];
  files: ManifestFile[];
  faults: ManifestFault[];
}

export class ManifestError extends Error {
  readonly code = 'BAD_MANIFEST' as const;
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A relative path that stays inside its directory, normalized to '/' separators. */
export function safeRelativePath(p: unknown, what: string): string {
  if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) throw new ManifestError(`${what}: not a path`, { path: p });
  const n = normalize(p.split('/').join(sep));
  if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`)) throw new ManifestError(`${what}: ${JSON.stringify(p)} leaves the night directory`, { path: p });
  return n.split(sep).join('/');
}

function str(o: Json, k: string): string | undefined {
  return typeof o[k] === 'string' ? (o[k] as string) : undefined;
}

function num(o: Json, k: string): number | undefined {
  return typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined;
}

/** obsId and detector from a file name `{obsId}_{Rnn_Snn}.fits[.fz]`, for files the manifest does not describe. */
export function parseRawName(path: string): { obsId: string; detector: string } | undefined {
  const m = /([^/]+)_(R[0-9X]{2}_S[A-Z0-9]{2})\.fits(?:\.fz)?$/.exec(path);
  return m ? { obsId: m[1]!, detector: m[2]! } : undefined;
}

export function parseManifest(value: unknown): NightManifest {
  if (!isObject(value)) throw new ManifestError('manifest is not a JSON object');
  const files = value['files'];
  if (!Array.isArray(files)) throw new ManifestError('manifest has no "files" array');
  const seen = new Set<string>();
  const out: ManifestFile[] = files.map((f, i) => {
    if (!isObject(f)) throw new ManifestError(`files[${i}] is not an object`);
    const path = safeRelativePath(f['path'], `files[${i}].path`);
    if (seen.has(path)) throw new ManifestError(`files[${i}]: ${path} is listed twice`, { path });
    seen.add(path);
    const parsed = parseRawName(path);
    const size = num(f, 'size');
    if (size === undefined || size < 0 || !Number.isSafeInteger(size)) throw new ManifestError(`files[${i}].size must be a byte count`, { path });
    const sha = str(f, 'sha256');
    if (sha !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha)) throw new ManifestError(`files[${i}].sha256 is not a SHA-256 hex digest`, { path });
    const dayObs = num(f, 'dayObs') ?? Number(/\/(\d{8})\//.exec(`/${path}`)?.[1] ?? NaN);
    const file: ManifestFile = {
      path,
      size,
      obsId: str(f, 'obsId') ?? parsed?.obsId ?? '',
      dayObs: Number.isFinite(dayObs) ? dayObs : 0,
      detector: str(f, 'detector') ?? parsed?.detector ?? '',
    };
    if (sha !== undefined) file.sha256 = sha.toLowerCase();
    const opt: Array<[keyof ManifestFile, unknown]> = [
      ['seqNum', num(f, 'seqNum')],
      ['imageType', str(f, 'imageType')],
      ['band', str(f, 'band')],
      ['exptime', num(f, 'exptime')],
      ['dateBeg', str(f, 'dateBeg')],
      ['dateEnd', str(f, 'dateEnd')],
      ['fileDate', str(f, 'fileDate')],
      ['truth', f['truth'] === undefined || f['truth'] === null ? undefined : safeRelativePath(f['truth'], `files[${i}].truth`)],
    ];
    for (const [k, v] of opt) if (v !== undefined) (file as unknown as Json)[k] = v;
    return file;
  });
  const faultsIn = value['faults'];
  const faults: ManifestFault[] = Array.isArray(faultsIn)
    ? faultsIn.filter(isObject).map((f) => {
        const fault: ManifestFault = { kind: str(f, 'kind') ?? 'unknown' };
        for (const k of ['path', 'obsId', 'detector', 'detail'] as const) {
          const v = str(f, k);
          if (v !== undefined) fault[k] = v;
        }
        if (fault.path !== undefined) fault.path = safeRelativePath(fault.path, 'faults[].path');
        return fault;
      })
    : [];
  const manifest: NightManifest = { version: num(value, 'version') ?? 1, files: out, faults };
  for (const k of ['generator', 'camera', 'instrument', 'plan'] as const) {
    const v = str(value, k);
    if (v !== undefined) manifest[k] = v;
  }
  const seed = num(value, 'seed');
  if (seed !== undefined) manifest.seed = seed;
  const nights = value['nights'];
  if (Array.isArray(nights)) manifest.nights = nights.filter((n): n is number => typeof n === 'number');
  return manifest;
}

/** DIR/manifest.json, or undefined when there is none; ManifestError when it is there but unreadable. */
export async function readManifest(dir: string): Promise<NightManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${MANIFEST_NAME} is not valid JSON: ${(err as Error).message}`);
  }
  return parseManifest(value);
}
