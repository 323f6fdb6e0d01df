/**
 * `pnpm bench [--quick] [--only case,case]`: runs every bench case in its own process (so each one's peak memory
 * is its own), collects their rows, and writes bench/results/latest.json and latest.md with the machine's
 * description. Every figure stands next to a reference measured in the same run, as a ratio; a missing reference
 * is reported as missing. --quick keeps the whole run under two minutes for CI smoke.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Row, machine, quick } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;

interface Case {
  name: string;
  script: string;
  args: string[];
  timeoutS: number;
}

const CASES: Case[] = quick
  ? [
      { name: 'synthesis', script: 'synthesis.ts', args: ['--quick'], timeoutS: 120 },
      { name: 'rice', script: 'rice.ts', args: ['--quick'], timeoutS: 120 },
      { name: 'write', script: 'write.ts', args: ['--quick'], timeoutS: 120 },
      { name: 'night', script: 'night.ts', args: ['--exposures', '2'], timeoutS: 120 },
      { name: 'lsstcam', script: 'lsstcam.ts', args: ['--quick'], timeoutS: 120 },
      { name: 'server', script: 'server.ts', args: ['--quick'], timeoutS: 120 },
    ]
  : [
      { name: 'synthesis', script: 'synthesis.ts', args: [], timeoutS: 900 },
      { name: 'rice', script: 'rice.ts', args: [], timeoutS: 600 },
      { name: 'write', script: 'write.ts', args: [], timeoutS: 600 },
      { name: 'night-10', script: 'night.ts', args: ['--exposures', '10'], timeoutS: 1200 },
      { name: 'night-50', script: 'night.ts', args: ['--exposures', '50'], timeoutS: 3600 },
      { name: 'night-200', script: 'night.ts', args: ['--exposures', '200'], timeoutS: 7200 },
      { name: 'lsstcam', script: 'lsstcam.ts', args: [], timeoutS: 1800 },
      { name: 'server', script: 'server.ts', args: [], timeoutS: 900 },
    ];

const rows: Row[] = [];
const failures: string[] = [];
const started = Date.now();
for (const c of CASES) {
  if (only && !only.has(c.name) && !only.has(c.script.replace(/\.ts$/, ''))) continue;
  process.stdout.write(`\n== ${c.name} ==\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', join(here, c.script), ...c.args], {
    encoding: 'utf8',
    timeout: c.timeoutS * 1000,
    maxBuffer: 64 << 20,
    cwd: dirname(here),
  });
  process.stdout.write((r.stdout ?? '').replace(/^BENCH_RESULT .*$/m, '').trimEnd() + '\n');
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (r.status !== 0 || !line) {
    failures.push(`${c.name}: ${r.error ? r.error.message : `exit ${r.status}`} ${(r.stderr ?? '').split('\n').slice(-5).join(' | ')}`);
    process.stdout.write(`(${c.name} failed after ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    continue;
  }
  const parsed = JSON.parse(line.slice('BENCH_RESULT '.length)) as { rows: Row[] };
  rows.push(...parsed.rows.map((x) => ({ ...x, case: c.name })));
  process.stdout.write(`(${c.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

// Scaling: time per exposure and peak memory against night length, from the night cases.
const scaling = rows
  .filter((r) => r.case.startsWith('night') && (r.figure.endsWith('wall time') || r.figure.endsWith('peak RSS')))
  .map((r) => `${r.case}: ${r.figure.replace(/ \(.*\)/, '')} = ${r.value?.median.toFixed(1)} ${r.unit}`);

const m = machine();
const result = { date: new Date().toISOString(), quick, machine: m, seconds: (Date.now() - started) / 1000, rows, failures };
const out = join(here, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
const num = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const md = [
  `# daqsim bench ${quick ? '(quick)' : ''}`,
  '',
  `${result.date} — ${m.cores} cores, ${m.memoryGiB} GiB, ${m.cpu}, Node ${m.node}; ${result.seconds.toFixed(0)} s`,
  '',
  '| case | figure | median (min–max) | unit | reference | reference median | ratio |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.case} | ${r.figure} | ${r.value ? `${num(r.value.median)} (${num(r.value.min)}–${num(r.value.max)})` : 'missing'} | ${r.unit} | ${r.reference ?? ''} | ${
        r.reference ? (r.referenceValue ? num(r.referenceValue.median) : 'missing') : ''
      } | ${r.ratio === undefined ? '' : r.ratio === null ? 'n/a' : r.ratio.toFixed(3)} |`,
  ),
  '',
  ...(scaling.length ? ['Scaling (night length):', '', ...scaling.map((s) => `- ${s}`), ''] : []),
  ...(failures.length ? ['Failed cases:', '', ...failures.map((f) => `- ${f}`), ''] : []),
].join('\n');
writeFileSync(join(out, 'latest.md'), md);
process.stdout.write(`\n${md}\n`);
process.exitCode = failures.length ? 1 : 0;
