/**
 * The transfer link emulator with a virtual clock: rate parsing, exact pacing arithmetic, seeded loss and
 * corruption, resends, verification failures, resume from a journal or a partial file, and the CLI's exit codes.
 */
import { mkdtemp, readFile, rm, stat, writeFile, mkdir, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../src/commands/transfer.js';
import { runStandalone } from '../src/run-program.js';
import { runTransferCli } from '../src/transfer/cli.js';
import { VirtualClock } from '../src/transfer/clock.js';
import { TransferError } from '../src/transfer/errors.js';
import { Journal } from '../src/transfer/journal.js';
import { retransmitTimeoutMs } from '../src/transfer/link.js';
import { ManifestError, parseManifest } from '../src/transfer/manifest.js';
import { PART_SUFFIX, SUMMARY_NAME } from '../src/transfer/plan.js';
import { parseRate } from '../src/transfer/rate.js';
import { TokenBucket } from '../src/transfer/token-bucket.js';
import { transferNight } from '../src/transfer/transfer.js';
import { layout, makeByteNight } from './helpers/bytes-night.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'daqsim-transfer-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function sink(): { stream: NodeJS.WritableStream & { isTTY?: boolean }; text: () => string } {
  let buf = '';
  const stream = { write: (s: string) => ((buf += s), true), isTTY: false } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, text: () => buf };
}

describe('parseRate', () => {
  it.each([
    ['40Mbit', 5e6],
    ['40Mbit/s', 5e6],
    ['40Mbps', 5e6],
    ['40 Mb/s', 5e6],
    ['10MB/s', 10e6],
    ['1Gbit', 125e6],
    ['512KiB/s', 512 * 1024],
    ['8bit', 1],
    ['2.5e1MB/s', 25e6],
  ])('%s is %d bytes/s', (text, bytes) => {
    expect(parseRate(text)).toBeCloseTo(bytes, 6);
  });

  it.each(['40', 'fast', '-5Mbit', '0Mbit', '10Xbit', 'Mbit'])('refuses %s', (text) => {
    expect(() => parseRate(text)).toThrow(TransferError);
  });
});

describe('TokenBucket', () => {
  it('paces N bytes to exactly N / rate however they are chunked, starting empty', async () => {
    const clock = new VirtualClock(0);
    const b = new TokenBucket(1000, 100, clock);
    for (const n of [1, 99, 250, 650]) await b.take(n);
    expect(clock.now()).toBeCloseTo(1000, 9);
    await b.wait(30);
    expect(clock.now()).toBeCloseTo(1030, 9);
  });

  it('lets a sender that fell behind catch up by at most the burst, never more', async () => {
    const clock = new VirtualClock(0);
    const b = new TokenBucket(1000, 100, clock);
    await b.take(100); // t = 100
    clock.advance(50); // a 50 ms hiccup (disk, GC): caught up on the next chunk
    await b.take(100);
    expect(clock.now()).toBeCloseTo(200, 9);
    clock.advance(500); // idle far longer than the burst: only 100 ms of credit
    await b.take(300);
    expect(clock.now()).toBeCloseTo(900, 9);
  });
});

describe('transferNight (virtual clock)', () => {
  it('copies everything, verifies it, and takes bytes / rate + latency per file', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    const night = await makeByteNight(src, layout(3, 2, 100_000));
    const clock = new VirtualClock();
    const t0 = clock.now();
    const { summary, exitCode } = await transferNight({ src, dst, rate: 1e6, latencyMs: 40, clock });
    expect(exitCode).toBe(0);
    const seconds = night.totalBytes / 1e6 + (night.fileCount * 40) / 1000;
    expect((clock.now() - t0) / 1000).toBeCloseTo(seconds, 6);
    expect(summary.run.modelSeconds).toBeCloseTo(seconds, 2);
    expect(summary.run.bytesSent).toBe(night.totalBytes);
    expect(summary.totals).toEqual({ files: night.fileCount, bytes: night.totalBytes, verified: night.fileCount, failed: 0, notWritten: 0 });
    for (const f of night.files) expect((await readFile(join(dst, f.path))).equals(await readFile(join(src, f.path)))).toBe(true);
    expect(await readFile(join(dst, 'manifest.json'), 'utf8')).toBe(await readFile(join(src, 'manifest.json'), 'utf8'));
    // Shaped like the events: ts_xml field names, one per image and one per night.
    expect(summary.perImage).toHaveLength(3);
    expect(Object.keys(summary.perImage[0]!).sort()).toEqual(
      ['site', 'dayObs', 'obsId', 'expected', 'written', 'transferredBeforeResend', 'missingBeforeResend', 'resendCount', 'transferredAfterResend', 'missingAfterResend', 'metaData'].sort(),
    );
    expect(summary.perImage[0]).toMatchObject({ site: 'USDF', dayObs: '20251015', obsId: 'CC_S_20251015_000001', expected: 2, written: 2, transferredBeforeResend: 2, missingBeforeResend: 0, resendCount: 0, transferredAfterResend: 2, missingAfterResend: 0 });
    expect(JSON.parse(summary.perImage[0]!.metaData)).toMatchObject({ bytes: 200_000 });
    expect(summary.nightly).toHaveLength(1);
    expect(Object.keys(summary.nightly[0]!)).toEqual(
      expect.arrayContaining(['site', 'dayObs', 'expected', 'written', 'transferredBeforeResend', 'missingBeforeResend', 'resendCount', 'transferredAfterResend', 'missingAfterResend', 'maxFullDiskNode', 'maxFullDiskPercent', 'metaData']),
    );
    expect(summary.nightly[0]).toMatchObject({ expected: 6, written: 6, transferredAfterResend: 6, missingAfterResend: 0 });
    expect(JSON.parse(await readFile(join(dst, SUMMARY_NAME), 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
  });

  it('loses chunks deterministically from the seed, each costing a retransmission timeout and a resend', async () => {
    const src = join(tmp, 'src');
    await makeByteNight(src, layout(2, 2, 200_000));
    const run = async (seed: number, dst: string): Promise<{ lost: number; sent: number; ms: number }> => {
      const clock = new VirtualClock();
      const t0 = clock.now();
      const { summary } = await transferNight({ src, dst: join(tmp, dst), rate: 2e6, latencyMs: 30, loss: 0.05, seed, chunkBytes: 10_000, clock });
      return { lost: summary.files.reduce((s, f) => s + f.lostChunks, 0), sent: summary.run.bytesSent, ms: clock.now() - t0 };
    };
    const a = await run(7, 'a');
    const b = await run(7, 'b');
    const c = await run(8, 'c');
    expect(a).toEqual(b);
    expect(a.lost).toBeGreaterThan(0);
    expect(c.lost).not.toBe(a.lost);
    const baseClock = new VirtualClock();
    const baseStart = baseClock.now();
    const base = await transferNight({ src, dst: join(tmp, 'none'), rate: 2e6, latencyMs: 30, chunkBytes: 10_000, clock: baseClock });
    const baseMs = baseClock.now() - baseStart;
    // Every loss resends its chunk (10 000 bytes here; file tails are shorter) and waits max(200 ms, 2 × latency).
    expect(a.sent - base.summary.run.bytesSent).toBeGreaterThan(0);
    expect(a.sent - base.summary.run.bytesSent).toBeLessThanOrEqual(a.lost * 10_000);
    expect(a.ms).toBeCloseTo(baseMs + a.lost * retransmitTimeoutMs(30) + ((a.sent - base.summary.run.bytesSent) / 2e6) * 1000, 3);
  });

  it('resends a file that arrives corrupted and counts it as a resend', async () => {
    const src = join(tmp, 'src');
    await makeByteNight(src, layout(4, 1, 50_000));
    const { summary, exitCode } = await transferNight({ src, dst: join(tmp, 'dst'), rate: 1e7, corrupt: 0.5, seed: 3, maxResends: 20, clock: new VirtualClock() });
    expect(exitCode).toBe(0);
    const resent = summary.perImage.filter((p) => p.resendCount > 0);
    expect(resent.length).toBeGreaterThan(0);
    for (const p of resent) expect(p).toMatchObject({ transferredBeforeResend: 0, missingBeforeResend: 1, transferredAfterResend: 1, missingAfterResend: 0 });
    expect(summary.nightly[0]!.resendCount).toBe(resent.reduce((s, p) => s + p.resendCount, 0));
  });

  it('fails (exit 1) when a source file does not match its manifest checksum, or is missing', async () => {
    const src = join(tmp, 'src');
    const night = await makeByteNight(src, layout(2, 1, 20_000));
    const bad = join(src, night.files[0]!.path);
    const bytes = await readFile(bad);
    bytes[100] = bytes[100]! ^ 1;
    await writeFile(bad, bytes);
    await rm(join(src, night.files[1]!.path));
    const dst = join(tmp, 'dst');
    const { summary, exitCode } = await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    expect(exitCode).toBe(1);
    expect(summary.perImage[0]).toMatchObject({ expected: 1, written: 1, transferredBeforeResend: 0, resendCount: 1, transferredAfterResend: 0, missingAfterResend: 1 });
    expect(summary.perImage[1]).toMatchObject({ expected: 1, written: 0, transferredAfterResend: 0, missingAfterResend: 1 });
    expect(summary.problems.map((p) => p.kind).sort()).toEqual(['not-written', 'verification']);
    expect(summary.problems.find((p) => p.kind === 'verification')!.reason).toMatch(/manifest checksum/);
    // Nothing unverified is left under its final name, and no part file either.
    await expect(stat(join(dst, night.files[0]!.path))).rejects.toThrow();
    await expect(stat(join(dst, night.files[0]!.path.replace(/[^/]+$/, (n) => `.${n}${PART_SUFFIX}`)))).rejects.toThrow();
  });

  it('checks files against the sender when the manifest has no checksums', async () => {
    const src = join(tmp, 'src');
    await makeByteNight(src, layout(2, 1, 30_000), { withSha: false });
    const { summary, exitCode } = await transferNight({ src, dst: join(tmp, 'dst'), rate: 1e7, corrupt: 0.5, seed: 1, maxResends: 20, clock: new VirtualClock() });
    expect(exitCode).toBe(0);
    expect(summary.totals.verified).toBe(summary.totals.files);
  });

  it('resumes: skips journaled files, keeps a partial file, and verifies files placed without a journal line', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    const night = await makeByteNight(src, layout(3, 1, 100_000));
    await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    // Rewind the destination to "killed during image 3": image 3 half there as a part file, no journal line for
    // image 2's sidecar (placed, then killed before the journal append), nothing after.
    const journal = new Journal(dst);
    const records = (await journal.read()).flatMap((r) => (r.type === 'file' ? [r] : []));
    const keep = records.filter((r) => r.path === night.files[0]!.path || r.path === night.files[0]!.truth || r.path === night.files[1]!.path);
    const runs = (await journal.read()).filter((r) => r.type === 'run');
    await writeFile(journal.path, [...runs, ...keep].map((r) => JSON.stringify(r)).join('\n'));
    const third = night.files[2]!;
    const part = join(dst, third.path.replace(/[^/]+$/, (n) => `.${n}${PART_SUFFIX}`));
    await rm(join(dst, third.path));
    await rm(join(dst, third.truth));
    await rm(join(dst, 'manifest.json'));
    await writeFile(part, (await readFile(join(src, third.path))).subarray(0, 40_000));
    const { summary, exitCode } = await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    expect(exitCode).toBe(0);
    expect(summary.run.previousRuns).toBe(1);
    expect(summary.run.filesSkipped).toBe(4); // image 1 + sidecar, image 2 (journal), sidecar 2 (checked)
    expect(summary.files.find((f) => f.path === night.files[1]!.truth)!.foundAtRestart).toBe(true);
    expect(summary.run.bytesResumed).toBe(40_000);
    const sidecar3 = (await stat(join(src, third.truth))).size;
    const manifest = (await stat(join(src, 'manifest.json'))).size;
    expect(summary.run.bytesSent).toBe(100_000 - 40_000 + sidecar3 + manifest);
    expect((await readFile(join(dst, third.path))).equals(await readFile(join(src, third.path)))).toBe(true);
    expect(summary.nightly[0]).toMatchObject({ expected: 3, transferredBeforeResend: 3, missingAfterResend: 0 });
  });

  it('restarts a partial file that is longer than the source from scratch', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    const night = await makeByteNight(src, layout(1, 1, 10_000));
    const f = night.files[0]!;
    await mkdir(join(dst, f.path, '..'), { recursive: true });
    const part = join(dst, f.path.replace(/[^/]+$/, (n) => `.${n}${PART_SUFFIX}`));
    await writeFile(part, Buffer.alloc(20_000));
    const { summary, exitCode } = await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    expect(exitCode).toBe(0);
    expect(summary.run.bytesResumed).toBe(0);
    await truncate(join(dst, f.path), 0).catch(() => undefined);
  });

  it('leaves out files still being written and a destination nested in the source', async () => {
    const src = join(tmp, 'src');
    const night = await makeByteNight(src, layout(1, 1, 1000));
    const dir = join(src, night.files[0]!.path, '..');
    await writeFile(join(dir, '.CC_S_20251015_000002_R22_S10.fits.fz.tmp-123-abcd'), 'partial');
    await writeFile(join(dir, 'CC_S_20251015_000002_R22_S10.truth.json.tmp-77'), '{');
    await writeFile(join(src, 'notes.txt'), 'operator notes');
    const dst = join(src, 'usdf');
    const first = await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    const again = await transferNight({ src, dst, rate: 1e7, clock: new VirtualClock() });
    expect(first.summary.files.map((f) => f.path).sort()).toEqual([night.files[0]!.path, night.files[0]!.truth, 'manifest.json', 'notes.txt'].sort());
    expect(again.summary.run).toMatchObject({ filesSent: 0, filesSkipped: 4, bytesSent: 0 });
  });

  it('refuses bad inputs with typed errors', async () => {
    await expect(transferNight({ src: join(tmp, 'nope'), dst: join(tmp, 'd'), rate: 1e6 })).rejects.toMatchObject({ code: 'BAD_SOURCE' });
    await makeByteNight(join(tmp, 's'), layout(1, 1, 10));
    await expect(transferNight({ src: join(tmp, 's'), dst: join(tmp, 's'), rate: 1e6 })).rejects.toMatchObject({ code: 'BAD_SOURCE' });
    await expect(transferNight({ src: join(tmp, 's'), dst: join(tmp, 'd'), rate: 1e6, loss: 1 })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(transferNight({ src: join(tmp, 's'), dst: join(tmp, 'd'), rate: 1e6, latencyMs: -1 })).rejects.toMatchObject({ code: 'USAGE' });
    expect(() => parseManifest({ files: [{ path: '../../etc/passwd', size: 1 }] })).toThrow(ManifestError);
    expect(() => parseManifest({ files: [{ path: '/abs', size: 1 }] })).toThrow(/leaves the night directory/);
    expect(() => parseManifest({ files: [{ path: 'a', size: 1, sha256: 'xyz' }] })).toThrow(/SHA-256/);
  });
});

describe('daqsim transfer (CLI)', () => {
  it('exits 2 on usage errors and 0 with a readable summary', async () => {
    const src = join(tmp, 'src');
    await makeByteNight(src, layout(1, 1, 1000));
    const err = sink();
    const out = sink();
    expect(await runTransferCli(src, join(tmp, 'd'), { rate: 'fast' }, { stdout: out.stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toMatch(/cannot read rate/);
    expect(await runTransferCli(join(tmp, 'missing'), join(tmp, 'd'), { rate: '1Gbit' }, { stdout: out.stream, stderr: err.stream })).toBe(2);
    expect(await runTransferCli(src, join(tmp, 'd'), { rate: '1Gbit', loss: 'lots' }, { stdout: out.stream, stderr: err.stream })).toBe(2);
    expect(await runTransferCli(src, join(tmp, 'd'), { rate: '1Gbit' }, { stdout: out.stream, stderr: err.stream })).toBe(0);
    expect(out.text()).toMatch(/CC_S_20251015_000001 +1 +1 +1 +0 +1 +0/);
    const json = sink();
    expect(await runTransferCli(src, join(tmp, 'd2'), { rate: '1Gbit', json: true }, { stdout: json.stream, stderr: err.stream })).toBe(0);
    expect(JSON.parse(json.text())).toMatchObject({ version: 1, site: 'USDF', totals: { failed: 0 } });
  });

  it('registers a command whose parse errors are usage errors (exit 2) and whose --help documents it', async () => {
    const program = new Command('daqsim').exitOverride();
    register(program);
    const cmd = program.commands.find((c) => c.name() === 'transfer')!;
    const help = cmd.helpInformation();
    for (const opt of ['--rate <rate>', '--latency <ms>', '--loss <p>', '--json', 'Exit codes']) expect(help + cmd.description()).toContain(opt);
    const saved = process.exitCode;
    const quiet = { writeErr: () => undefined, writeOut: () => undefined };
    try {
      await runStandalone((p) => register(p.configureOutput(quiet)), ['node', 'daqsim', 'transfer', 'a', 'b']);
      expect(process.exitCode).toBe(2); // --rate missing
      process.exitCode = undefined;
      await runStandalone((p) => register(p.configureOutput(quiet)), ['node', 'daqsim', 'transfer', 'a', 'b', '--rate', '40']);
      expect(process.exitCode).toBe(2); // ambiguous rate
    } finally {
      process.exitCode = saved;
    }
  });
});
