/**
 * External validators for interop tests: cfitsio's fitsverify/fpack/funpack and astropy through Debian's python3.
 * Locally a missing tool skips its tests; under CI (CI=true) a missing tool is a failure, because .ci/run installs them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const FITS_TOOL = fileURLToPath(new URL('./fits_tool.py', import.meta.url));

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function pythonHasAstropy(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import astropy, numpy']).status === 0;
}

const available = {
  fitsverify: onPath('fitsverify'),
  fpack: onPath('fpack'),
  funpack: onPath('funpack'),
  astropy: pythonHasAstropy(),
};

export type Tool = keyof typeof available;

/** True when the tool is missing and the tests needing it may be skipped (never under CI). */
export function missing(...tools: Tool[]): boolean {
  const absent = tools.filter((t) => !available[t]);
  if (absent.length === 0) return false;
  if (process.env.CI) throw new Error(`CI needs ${absent.join(', ')}; .ci/run should have installed it`);
  return true;
}

export function tempDir(prefix = 'daqsim-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** fitsverify -q: returns its one-line verdict and whether it reported 0 errors and 0 warnings. */
export function fitsverify(path: string): { ok: boolean; output: string } {
  const r = run('fitsverify', ['-q', path]);
  const output = (r.stdout + r.stderr).trim();
  return { ok: r.status === 0 && /verification OK/.test(output) && !/warning/i.test(output.replace(/0 warnings/, '')), output };
}

export interface AstropyHdu {
  index: number;
  name: string;
  class: string;
  cards: Array<[string, string | number | boolean, string]>;
  dtype?: string;
  shape?: number[];
  /** The data as astropy decoded it, in a typed array of its dtype. */
  data?: ArrayLike<number | bigint>;
}

const DTYPES: Record<string, (b: ArrayBuffer) => ArrayLike<number | bigint>> = {
  uint8: (b) => new Uint8Array(b),
  int16: (b) => new Int16Array(b),
  uint16: (b) => new Uint16Array(b),
  int32: (b) => new Int32Array(b),
  int64: (b) => new BigInt64Array(b),
  float32: (b) => new Float32Array(b),
  float64: (b) => new Float64Array(b),
};

/** Open a file with astropy: headers, decoded data and astropy's checksum verdict. */
export function astropyDump(path: string): { hdus: AstropyHdu[]; checksumOk: boolean } {
  const { dir, cleanup } = tempDir('daqsim-astropy-');
  try {
    const r = run(PYTHON, [FITS_TOOL, 'dump', path, dir]);
    if (r.status !== 0) throw new Error(`astropy could not read ${path}: ${r.stderr}`);
    const parsed = JSON.parse(r.stdout) as { hdus: AstropyHdu[]; checksum_ok: boolean };
    for (const h of parsed.hdus) {
      const f = join(dir, `hdu${h.index}.bin`);
      if (h.dtype && existsSync(f)) {
        const make = DTYPES[h.dtype];
        if (!make) throw new Error(`unexpected dtype ${h.dtype}`);
        const buf = readFileSync(f);
        h.data = make(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      }
    }
    return { hdus: parsed.hdus, checksumOk: parsed.checksum_ok };
  } finally {
    cleanup();
  }
}

/** Compress an image with astropy's RICE_1 writer. */
export function astropyRice(path: string, data: Int16Array | Int32Array | Uint16Array | Uint8Array, naxis1: number, naxis2: number): void {
  const { dir, cleanup } = tempDir('daqsim-astropy-');
  try {
    const inp = join(dir, 'in.bin');
    const dtype = data instanceof Int16Array ? 'int16' : data instanceof Int32Array ? 'int32' : data instanceof Uint16Array ? 'uint16' : 'uint8';
    writeFileSync(inp, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const r = run(PYTHON, [FITS_TOOL, 'rice', inp, dtype, String(naxis1), String(naxis2), path]);
    if (r.status !== 0) throw new Error(`astropy rice failed: ${r.stderr}`);
  } finally {
    cleanup();
  }
}

/** Element-wise equality of two array-likes (numbers or bigints), with the first difference for messages. */
export function firstDifference(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): string | null {
  if (a.length !== b.length) return `length ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `index ${i}: ${a[i]} != ${b[i]}`;
  }
  return null;
}
