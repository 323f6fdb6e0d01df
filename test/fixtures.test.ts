/**
 * The committed fixtures: scenarios and plans that validate, a README that names every fixture, and the golden
 * night, which `daqsim night` must regenerate byte-identically (sha256 of every FITS file against
 * fixtures/golden/ci-night.json and the `sha256sum -c` list fixtures/golden/ci-night.sha256).
 *
 * After an intended change to the synthesis or the headers: UPDATE_GOLDEN=1 pnpm vitest run test/fixtures.test.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../packages/cli/src/rehearse/scenario.js';
import { loadPlan } from '../packages/cli/src/shared/plans.js';
import { tempDir } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'fixtures');
const GOLDEN_JSON = join(FIXTURES, 'golden/ci-night.json');
const GOLDEN_SUMS = join(FIXTURES, 'golden/ci-night.sha256');
const NIGHT_ARGS = ['night', '--camera', 'comcam', '--plan', 'fixtures/plans/ci-night.yaml', '--day-obs', '20251015', '--seed', '1'];

interface Golden {
  description: string;
  command: string;
  node: string;
  generator: string;
  files: Record<string, string>;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('fixtures/', () => {
  it('holds scenarios that validate and a plan checkPlan accepts', () => {
    // (Through the CLI's own loaders, which also hold the yaml dependency.)
    const scenarios = readdirSync(join(FIXTURES, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(scenarios.sort()).toEqual(['comcam-rehearsal.yaml', 'latiss-quick.yaml']);
    for (const f of scenarios) {
      const s = loadScenario(join(FIXTURES, 'scenarios', f));
      expect(s.start, f).toBeDefined();
      expect(s.start!.pixels, `${f} should use constant pixels for CI`).toBe('constant');
      expect(s.steps.some((x) => x.type === 'fault'), `${f} should inject a fault`).toBe(true);
    }
    const comcam = loadScenario(join(FIXTURES, 'scenarios/comcam-rehearsal.yaml'));
    expect(comcam.nights).toBe(2);
    expect(comcam.steps.some((x) => x.type === 'setFilter')).toBe(true);
    const plan = loadPlan(join(FIXTURES, 'plans/ci-night.yaml'));
    expect(plan.name).toBe('ci-night');
    // Tiny on purpose: every block limited to one or two CCDs.
    for (const b of plan.blocks) expect(b.detectors?.length ?? 99).toBeLessThanOrEqual(2);
  });

  it('has a README naming every fixture file', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    for (const dir of ['scenarios', 'plans', 'golden']) {
      for (const f of readdirSync(join(FIXTURES, dir))) expect(readme, `fixtures/README.md should mention ${dir}/${f}`).toContain(`${dir}/${f}`);
    }
  });

  it('regenerates the golden night byte-identically', () => {
    const { dir, cleanup } = tempDir('daqsim-golden-');
    try {
      const r = spawnSync(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', 'packages/cli/src/main.ts', ...NIGHT_ARGS, '--out', dir, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { generator: string; files: Array<{ path: string; sha256: string }> };
      const files: Record<string, string> = {};
      for (const f of manifest.files) {
        // The manifest's checksum and the bytes on disk must agree, and both must match the golden list.
        expect(sha256(join(dir, f.path)), f.path).toBe(f.sha256);
        files[f.path] = f.sha256;
      }
      if (process.env.UPDATE_GOLDEN) {
        const golden: Golden = {
          description: 'sha256 of every FITS file of the CI fixture night (see fixtures/README.md)',
          command: `pnpm daqsim ${NIGHT_ARGS.join(' ')} --out DIR`,
          node: process.versions.node.split('.')[0]!,
          generator: manifest.generator,
          files,
        };
        writeFileSync(GOLDEN_JSON, `${JSON.stringify(golden, null, 2)}\n`);
        writeFileSync(GOLDEN_SUMS, Object.entries(files).map(([p, h]) => `${h}  ${p}\n`).join(''));
      }
      const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8')) as Golden;
      expect(Object.keys(files).length).toBeGreaterThanOrEqual(3);
      expect(files).toEqual(golden.files);
      // The sha256sum list says the same thing, so `sha256sum -c` works in a CI shell step.
      const sums = Object.fromEntries(
        readFileSync(GOLDEN_SUMS, 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const [h, p] = l.split(/ {2}/);
            return [p!, h!];
          }),
      );
      expect(sums).toEqual(golden.files);
      expect(golden.node, 'golden hashes depend on the Node major version (V8 Math functions)').toBe(process.versions.node.split('.')[0]);
    } finally {
      cleanup();
    }
  });
});
