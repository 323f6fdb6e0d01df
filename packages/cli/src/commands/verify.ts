/** `daqsim verify`: check every file of a night (a directory, or a bucket) and exit non-zero with a readable list of problems. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyNight, type VerifyReport } from '@daqsim/core';
import { isS3Url } from '@daqsim/daq';
import { EXIT, UsageError, runCommand } from '../shared/output.js';
import { addS3Options, downloadKeys, openS3Store, type S3CliOptions } from '../shared/s3.js';

interface VerifyOptions extends S3CliOptions {
  deep?: boolean;
  json?: boolean;
  keep?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('verify')
    .description('check a night directory or bucket: manifest complete and exact, FITS structure, checksums, required keywords, identifiers unique and consistent')
    .argument('<dir|s3://BUCKET/PREFIX>', 'night directory (holding manifest.json), or the bucket and prefix a night was uploaded to')
    .option('--deep', 'also decode every amp (checksums already cover the stored bytes)')
    .option('--json', 'machine-readable report');
  addS3Options(cmd).action((dir: string, o: VerifyOptions) =>
    runCommand(o, async () => {
      let report: VerifyReport;
      if (isS3Url(dir)) report = await verifyBucket(dir, o);
      else {
        if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`, 'dir');
        report = await verifyNight(dir, { deep: o.deep ?? false });
      }
      if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        for (const p of report.problems) process.stdout.write(`${p.kind.padEnd(10)} ${p.path || '(night)'}: ${p.message}\n`);
        process.stdout.write(`${report.ok ? 'OK' : 'FAILED'}: ${report.filesChecked} files in ${report.exposures} exposures, ${report.problems.length} problem(s)\n`);
      }
      return report.ok ? EXIT.OK : EXIT.FAILED;
    }),
  );
}

/**
 * Download manifest.json and every file and truth sidecar it lists into a temporary directory, verify that, and add
 * an `extra` problem for each object under the prefix the manifest does not account for.
 */
async function verifyBucket(url: string, o: VerifyOptions): Promise<VerifyReport> {
  const store = await openS3Store(url, o);
  const dir = await mkdtemp(join(tmpdir(), 'daqsim-verify-'));
  try {
    const manifestMissing = await downloadKeys(store, ['manifest.json'], dir);
    const expected = new Set(['manifest.json']);
    if (manifestMissing.length === 0) {
      try {
        const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files?: Array<{ path?: unknown; truth?: unknown }> };
        for (const f of Array.isArray(m.files) ? m.files : []) {
          // Only keys a night can hold: a hostile manifest must not make us write outside the temporary directory.
          for (const k of [f.path, f.truth]) if (typeof k === 'string' && /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(k) && !k.split('/').includes('..')) expected.add(k);
        }
      } catch {
        // verifyNight reports the unreadable manifest.
      }
      await downloadKeys(store, [...expected].filter((k) => k !== 'manifest.json'), dir);
    }
    const report = await verifyNight(dir, { deep: o.deep ?? false });
    // The transfer summary and an emulator event log sit beside a night by design; anything else is unexpected.
    const companions = new Set(['transfer-summary.json', 'events.jsonl']);
    const extra = (await store.list('')).filter((obj) => !expected.has(obj.key) && !companions.has(obj.key));
    for (const obj of extra) report.problems.push({ path: obj.key, kind: 'extra', message: `in ${store.url} but not in the manifest` });
    return { ...report, ok: report.ok && extra.length === 0 };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
