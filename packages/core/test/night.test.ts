/**
 * Nights: plan expansion (times, identifiers, patch detectors), whole nights written with a manifest, byte-identical
 * for the same seed, identifiers continuing across consecutive nights, and verification catching each corruption.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLANS, type NightPlan, addDays, checkPlan, expandNight, getCamera, verifyNight, writeNight } from '../src/index.js';
import { tempDir } from '../../../test/support/tools.js';

const tiny: NightPlan = {
  name: 'tiny',
  description: 'two calibrations and a patch visit',
  blocks: [
    { name: 'bias', imageType: 'BIAS', count: 1, exptime: 0, detectors: ['R22_S11'] },
    { name: 'flat', imageType: 'FLAT', count: 1, exptime: 2, bands: ['r'], detectors: ['R22_S00'] },
    { name: 'sci', imageType: 'OBJECT', count: 1, exptime: 15, bands: ['i'], target: { ra: 61.855, dec: -36.6, dither: 0, patch: 0.05 } },
  ],
};

describe('plan expansion', () => {
  it('orders exposures in time with consecutive seq numbers and the right filters', () => {
    const ex = expandNight('comcam', BUILTIN_PLANS.rehearsal!, { dayObs: 20251015, seed: 1 });
    expect(ex.length).toBe(BUILTIN_PLANS.rehearsal!.blocks.reduce((n, b) => n + b.count * (b.groupByBand ? b.bands!.length : 1), 0));
    ex.forEach((e, k) => {
      expect(e.info.seqNum).toBe(k + 1);
      if (k > 0) expect(e.info.start.minus(ex[k - 1]!.info.start)).toBeGreaterThan(ex[k - 1]!.info.expTime);
    });
    const flats = ex.filter((e) => e.info.imageType === 'FLAT');
    expect(new Set(flats.map((e) => e.band))).toEqual(new Set(['g', 'r', 'i', 'z']));
    expect(flats.every((e) => getCamera('comcam').filters.some((f) => f.physical === e.info.filter && f.band === e.band))).toBe(true);
    // PTC ladder: pairs of equal exposure times.
    const ptc = ex.filter((e) => e.block === 'PTC ladder').map((e) => e.info.expTime);
    expect(ptc).toEqual([0.5, 0.5, 2, 2, 8, 8]);
    const sci = ex.filter((e) => e.info.imageType === 'OBJECT');
    expect(sci.length).toBe(50);
    // Only the CCDs that see the patch, and never none.
    for (const e of sci) {
      expect(e.detectors.length).toBeGreaterThan(0);
      expect(e.detectors.length).toBeLessThanOrEqual(9);
    }
    expect(sci.some((e) => e.detectors.length < 9)).toBe(true);
  });

  it('keeps a DC2 patch to a handful of the 189 LSSTCam-imSim CCDs', () => {
    const ex = expandNight('dc2', BUILTIN_PLANS['dc2-patch']!, { dayObs: 20251015, seed: 3 });
    const counts = ex.map((e) => e.detectors.length);
    expect(Math.max(...counts)).toBeLessThanOrEqual(12);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad plans with the field named', () => {
    expect(() => checkPlan({ name: 'x', blocks: [{ imageType: 'NOPE', count: 1, exptime: 1 }] })).toThrow(/blocks\[0\].imageType/);
    expect(() => checkPlan({ name: 'x', blocks: [{ imageType: 'OBJECT', count: 1, exptime: 1 }] })).toThrow(/needs a target/);
    expect(() => checkPlan({ name: 'x', blocks: [{ imageType: 'BIAS', count: 0, exptime: 0 }] })).toThrow(/count/);
    expect(checkPlan(JSON.parse(JSON.stringify(tiny))).blocks).toHaveLength(3);
  });

  it('rolls day_obs over month and year ends', () => {
    expect(addDays(20251231, 1)).toBe(20260101);
    expect(addDays(20240228, 1)).toBe(20240229);
    expect(addDays(20250228, 1)).toBe(20250301);
  });
});

describe('nights on disk', () => {
  it('writes identical nights for the same seed, keeps identifiers unique over three nights, and verifies', async () => {
    const a = tempDir();
    const b = tempDir();
    try {
      const ma = await writeNight(a.dir, 'comcam', tiny, { dayObs: 20251231, nights: 3, seed: 5, compress: true, workers: 2 });
      const mb = await writeNight(b.dir, 'comcam', tiny, { dayObs: 20251231, nights: 3, seed: 5, compress: true, workers: 1 });
      expect(ma.nights).toEqual([20251231, 20260101, 20260102]);
      expect(ma.files.length).toBeGreaterThanOrEqual(6);
      expect(ma.files.map((f) => f.sha256)).toEqual(mb.files.map((f) => f.sha256));
      expect(readFileSync(join(a.dir, 'manifest.json'), 'utf8')).toBe(readFileSync(join(b.dir, 'manifest.json'), 'utf8'));
      const ids = ma.files.map((f) => `${f.obsId}/${f.detector}`);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ma.files.map((f) => f.obsId))).toEqual(
        new Set([20251231, 20260101, 20260102].flatMap((d) => [1, 2, 3].map((q) => `CC_S_${d}_00000${q}`))),
      );
      const report = await verifyNight(a.dir);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);

      // Each corruption we can inject is caught and named.
      const f0 = join(a.dir, ma.files[0]!.path);
      const f1 = join(a.dir, ma.files[1]!.path);
      const f2 = join(a.dir, ma.files[2]!.path);
      truncateSync(f0, 5000);
      const bytes = readFileSync(f1);
      bytes[bytes.length - 3000] ^= 0xff;
      writeFileSync(f1, bytes);
      unlinkSync(f2);
      const dupDir = join(a.dir, 'LSSTComCam', '20260101', 'CC_S_20260101_000009');
      mkdirSync(dupDir, { recursive: true });
      copyFileSync(join(a.dir, ma.files[3]!.path), join(dupDir, 'CC_S_20260101_000009_R22_S11.fits.fz'));
      appendFileSync(join(a.dir, ma.files[4]!.path), Buffer.alloc(2880));
      const bad = await verifyNight(a.dir);
      const kinds = (p: string): string[] => bad.problems.filter((x) => x.path === p).map((x) => x.kind);
      expect(bad.ok).toBe(false);
      expect(kinds(ma.files[0]!.path)).toEqual(expect.arrayContaining(['size', 'fits']));
      expect(kinds(ma.files[1]!.path)).toEqual(expect.arrayContaining(['sha256', 'checksum']));
      expect(kinds(ma.files[2]!.path)).toEqual(['missing']);
      expect(kinds('LSSTComCam/20260101/CC_S_20260101_000009/CC_S_20260101_000009_R22_S11.fits.fz')).toEqual(expect.arrayContaining(['extra', 'identifier']));
      expect(kinds(ma.files[4]!.path)).toContain('size');
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
