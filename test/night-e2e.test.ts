/**
 * The CI night of issue 7: a ComCam rehearsal night (calibrations, then DC2-patch science) at reduced length but
 * real geometry, generated compressed, verified and reported by the daqsim command as a rehearsal lead would run it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'packages/cli/src/main.ts');

function daqsim(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('a ComCam rehearsal night end to end', () => {
  it('is generated, verified and reported', () => {
    const { dir, cleanup } = tempDir('daqsim-e2e-');
    try {
      const night = join(dir, 'night');
      const gen = daqsim('night', '--camera', 'comcam', '--plan', 'rehearsal', '--scale', '0.1', '--day-obs', '20251015', '--seed', '3', '--compress', 'rice', '--out', night, '--json');
      expect(gen.status, gen.stderr).toBe(0);
      const summary = JSON.parse(gen.stdout) as { exposures: number; files: number };
      // Every calibration block and the science visits in five bands, at least one of each.
      expect(summary.exposures).toBeGreaterThanOrEqual(9);
      const manifest = JSON.parse(readFileSync(join(night, 'manifest.json'), 'utf8')) as { files: Array<{ imageType: string; band: string }> };
      expect(new Set(manifest.files.map((f) => f.imageType))).toEqual(new Set(['BIAS', 'DARK', 'FLAT', 'OBJECT']));
      expect(new Set(manifest.files.filter((f) => f.imageType === 'OBJECT').map((f) => f.band))).toEqual(new Set(['g', 'r', 'i', 'z', 'y']));

      const ver = daqsim('verify', night);
      expect(ver.status, ver.stdout).toBe(0);
      expect(ver.stdout).toContain(`OK: ${summary.files} files`);

      const html = join(dir, 'report.html');
      const rep = daqsim('report', night, '--out', html);
      expect(rep.status, rep.stderr).toBe(0);
      expect(existsSync(html)).toBe(true);
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('LSSTComCam');
      // One QA row per CCD file, and thumbnails embedded in the page.
      expect((page.match(/CC_S_20251015_\d{6}/g) ?? []).length).toBeGreaterThanOrEqual(summary.files);
      expect(page).toMatch(/data:image\/png;base64,/);
    } finally {
      cleanup();
    }
  });
});
