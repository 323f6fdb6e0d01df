/**
 * The transfer proof, in real time: at a low rate the link takes the time the rate says (within 10%), and a
 * transfer killed with SIGKILL mid-way resumes, completes, verifies, and sends nothing twice beyond the partial
 * file it had started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PART_SUFFIX } from '../src/transfer/plan.js';
import type { TransferSummary } from '../src/transfer/summary.js';
import { transferNight } from '../src/transfer/transfer.js';
import { layout, makeByteNight } from './helpers/bytes-night.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = join(REPO, 'packages/cli/src/transfer/cli-entry.ts');

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'daqsim-transfer-proof-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function files(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(root, p), (await stat(p)).size);
    }
  };
  await walk(root);
  return out;
}

function cli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', ENTRY, 'transfer', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

describe('transfer in real time', () => {
  it('takes bytes / rate + latency per file, within 10%', async () => {
    const src = join(tmp, 'src');
    const night = await makeByteNight(src, layout(4, 2, 300_000));
    const rate = 1e6; // 8 Mbit/s
    const latencyMs = 20;
    const expected = night.totalBytes / rate + (night.fileCount * latencyMs) / 1000;
    const t0 = performance.now();
    const { summary, exitCode } = await transferNight({ src, dst: join(tmp, 'dst'), rate, rateLabel: '8Mbit', latencyMs });
    const elapsed = (performance.now() - t0) / 1000;
    console.log(`transfer timing: ${(night.totalBytes / 1e6).toFixed(2)} MB at 8 Mbit/s + ${night.fileCount} x ${latencyMs} ms: expected ${expected.toFixed(3)} s, took ${elapsed.toFixed(3)} s (${((elapsed / expected - 1) * 100).toFixed(1)}%)`);
    expect(exitCode).toBe(0);
    expect(expected).toBeGreaterThan(2);
    expect(Math.abs(elapsed / expected - 1)).toBeLessThan(0.1);
    expect(Math.abs(summary.run.elapsedSeconds / summary.run.modelSeconds - 1)).toBeLessThan(0.1);
  });

  it('resumes after kill -9 mid-way, completes, verifies, and resends nothing but the partial file', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    const night = await makeByteNight(src, layout(3, 2, 400_000));
    const args = [src, dst, '--rate', '16Mbit', '--json'];
    const first = cli(args);
    // Kill once some files are in place and one is half-way: a journal with at least two files and a part file.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error('the transfer never got half-way');
      const have = await files(dst).catch(() => new Map<string, number>());
      const parts = [...have].filter(([p, n]) => p.endsWith(PART_SUFFIX) && n > 0);
      const placed = [...have.keys()].filter((p) => p.endsWith('.fits.fz'));
      if (placed.length >= 2 && parts.length === 1) break;
      await sleep(20);
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const after = await files(dst);
    const complete = [...after].filter(([p]) => !p.startsWith('.daqsim-transfer') && !p.endsWith(PART_SUFFIX));
    const partial = [...after].filter(([p]) => p.endsWith(PART_SUFFIX));
    const completeBytes = complete.reduce((s, [, n]) => s + n, 0);
    const partialBytes = partial.reduce((s, [, n]) => s + n, 0);
    expect(partial).toHaveLength(1);
    expect(partialBytes).toBeGreaterThan(0);
    expect(completeBytes + partialBytes).toBeLessThan(night.totalBytes);

    const second = await cli(args).done;
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout) as TransferSummary;
    expect(summary.run.previousRuns).toBe(1);
    expect(summary.run.bytesResumed).toBe(partialBytes);
    // Nothing transferred twice: this run sent exactly what was not yet there.
    expect(summary.run.bytesSent).toBe(night.totalBytes - completeBytes - partialBytes);
    expect(summary.totals).toMatchObject({ verified: night.fileCount, failed: 0 });
    expect(summary.nightly[0]).toMatchObject({ expected: 6, written: 6, transferredAfterResend: 6, missingAfterResend: 0 });
    for (const f of night.files) {
      const got = createHash('sha256').update(await readFile(join(dst, f.path))).digest('hex');
      expect(got).toBe(f.sha256);
    }
    expect((await readFile(join(dst, 'manifest.json'))).equals(await readFile(join(src, 'manifest.json')))).toBe(true);
    expect([...(await files(dst)).keys()].filter((p) => p.endsWith(PART_SUFFIX))).toEqual([]);
  });
});
