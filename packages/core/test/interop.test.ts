/**
 * Files written through the header-only path, read back by astropy (Debian's python3-astropy) and checked by
 * cfitsio's fitsverify: keyword values, their Python types, HDU order and the constant pixels.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Header } from '@daqsim/fits';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExposureInfo,
  Tai,
  ampHeader,
  getCamera,
  getDetector,
  primaryHeader,
  resolveExposure,
  writeConstantCcd,
} from '../src/index.js';
import { runPython } from './helpers/python.js';

interface Case {
  key: string;
  detector: string;
  compressed: boolean;
  info: ExposureInfo;
  value?: number;
}

const start = Tai.fromIso('2026-10-16T03:00:00.000');
const CASES: Case[] = [
  { key: 'lsstcam', detector: 'R22_S11', compressed: false, info: { imageType: 'OBJECT', start, expTime: 30, seqNum: 11, pointing: { ra: 30, dec: -30, rotPA: 12.5 } } },
  { key: 'lsstcam', detector: 'R40_SW0', compressed: true, info: { imageType: 'FLAT', start, expTime: 5, seqNum: 12, filter: 'i_39' } },
  { key: 'comcam', detector: 'R22_S00', compressed: true, info: { imageType: 'BIAS', start, expTime: 0, seqNum: 13 }, value: 24000 },
  { key: 'latiss', detector: 'R00_S00', compressed: false, info: { imageType: 'DARK', start, expTime: 30, seqNum: 14 } },
  { key: 'dc2', detector: 'R01_S00', compressed: false, info: { imageType: 'OBJECT', start, expTime: 30, seqNum: 15, pointing: { ra: 15.3, dec: -33.7, rotPA: 195.6 } } },
];

type PyValue = [string, string | number | boolean | null];
interface PyFile {
  names: string[];
  primary: Record<string, PyValue>;
  amps: Record<string, PyValue>[];
  pixels: { dtype: string; shape: number[]; min: number; max: number }[];
}

const PY_TYPE: Record<string, string> = { string: 'str', int: 'int', float: 'float', bool: 'bool' };

let dir = '';
const files: string[] = [];
let read: PyFile[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'daqsim-core-'));
  for (const c of CASES) {
    const cam = getCamera(c.key);
    files.push(
      await writeConstantCcd(dir, cam, getDetector(cam, c.detector), c.info, {
        compressed: c.compressed,
        provenance: { seed: 99, planHash: 'interop' },
        ...(c.value !== undefined ? { value: c.value } : {}),
      }),
    );
  }
  read = runPython<PyFile[]>(
    `
from astropy.io import fits
out = []
def cards(h):
    skip = ('COMMENT', 'HISTORY', '')
    return {k: [type(v).__name__, v] for k, v in h.items() if k not in skip}
for f in args:
    with fits.open(f) as hl:
        entry = {'names': [h.name for h in hl], 'primary': cards(hl[0].header), 'amps': [], 'pixels': []}
        for h in hl[1:]:
            entry['amps'].append(cards(h.header))
            d = h.data
            entry['pixels'].append({'dtype': str(d.dtype.newbyteorder('=')), 'shape': list(d.shape), 'min': int(d.min()), 'max': int(d.max())})
        out.append(entry)
print(json.dumps(out))
`,
    files,
  );
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectSame(ours: Header, theirs: Record<string, PyValue>, where: string): void {
  for (const c of ours.list()) {
    if (c.type === 'commentary') continue;
    const got = theirs[c.key];
    expect(got, `${where} ${c.key}`).toBeDefined();
    expect(got![0], `${where} ${c.key} type`).toBe(PY_TYPE[c.type]);
    expect(got![1], `${where} ${c.key} value`).toEqual(typeof c.value === 'bigint' ? Number(c.value) : c.value);
  }
}

describe('astropy reads our files', () => {
  it.each(CASES.map((c, i) => [`${c.key} ${c.detector}${c.compressed ? ' (RICE)' : ''}`, i] as const))(
    '%s: names, keyword values and Python types, pixels',
    (_name, i) => {
      const c = CASES[i]!;
      const cam = getCamera(c.key);
      const det = getDetector(cam, c.detector);
      const e = resolveExposure(cam, c.info);
      const f = read[i]!;
      expect(files[i]!.endsWith(c.compressed ? '.fits.fz' : '.fits')).toBe(true);
      expect(f.names).toEqual(['PRIMARY', ...det.amps.map((a) => a.extname)]);
      expectSame(primaryHeader(cam, det, e, { seed: 99, planHash: 'interop' }, { compressed: c.compressed }), f.primary, 'primary');
      det.amps.forEach((a, k) => {
        expectSame(ampHeader(cam, det, a, e.pointing), f.amps[k]!, a.extname);
        const px = f.pixels[k]!;
        expect(px.dtype).toBe('int32');
        expect(px.shape).toEqual([det.layout.rawHeight, det.layout.rawWidth]);
        const v = c.value ?? a.biasLevel;
        expect([px.min, px.max]).toEqual([v, v]);
      });
      expect(f.primary.NAXIS).toEqual(['int', 0]);
      if (cam.headerStyle !== 'imsim') {
        expect(f.primary.DAYOBS).toEqual(['str', String(e.dayObs)]);
        expect(f.primary.SEQNUM).toEqual(['int', e.seqNum]);
      }
      expect(f.primary.SIMULATE).toEqual(['bool', true]);
    },
  );

  it('fitsverify passes every file with 0 warnings and 0 errors', () => {
    for (const f of files) {
      const out = execFileSync('fitsverify', [f], { encoding: 'utf8' });
      expect(out, f).toMatch(/Verification found 0 warning\(s\) and 0 error\(s\)/);
    }
  });
});
