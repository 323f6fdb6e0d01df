/**
 * `daqsim transfer s3://A/p s3://B/p --rate R`: the summit-to-USDF hop between two buckets (or a bucket and a
 * directory). Objects are copied at the link rate with the S3 store's own bounded concurrency (sidecars before their
 * FITS file, objects already at the far end with the same size skipped, so a rerun resumes), then every file the
 * night's manifest lists is read back from the far end and checked against its sha256, and the per-image and
 * nightly summaries are written beside the night as `transfer-summary.json`, in the same shape as for directories.
 */
import { createHash } from 'node:crypto';
import { FileStore, copyStore, type Store } from '@daqsim/daq';
import { type S3CliOptions, openS3Store } from '../shared/s3.js';
import { parseManifest } from './manifest.js';
import { parseRate } from './rate.js';
import type { FileTransferNightlySummary, FileTransferPerImageSummary } from './summary.js';

export interface BucketTransferOptions extends S3CliOptions {
  rate: string;
  site?: string;
  json?: boolean;
}

/** An `s3://BUCKET/PREFIX` URL or a directory, opened as a store, with the key prefix of the night inside it. */
async function openEnd(where: string, o: S3CliOptions): Promise<{ store: Store; close: () => Promise<void> }> {
  if (where.startsWith('s3://')) {
    const s = await openS3Store(where, o);
    return { store: s, close: async () => { await s.drain(60_000); await s.close(); } };
  }
  return { store: new FileStore(where), close: async () => undefined };
}

export async function runBucketTransfer(src: string, dst: string, o: BucketTransferOptions): Promise<number> {
  const rate = parseRate(o.rate);
  const site = o.site ?? 'USDF';
  const a = await openEnd(src, o);
  const b = await openEnd(dst, o);
  try {
    const manifestObj = await a.store.get('manifest.json');
    if (!manifestObj) throw new Error(`${src} has no manifest.json: transfer a night written by daqsim night`);
    const manifest = parseManifest(JSON.parse(Buffer.from(await manifestObj.bytes()).toString('utf8')));
    const t0 = performance.now();
    const copy = await copyStore(a.store, b.store, { rateLimit: rate, concurrency: 4, prefix: '' });
    const seconds = (performance.now() - t0) / 1000;
    const byImage = new Map<string, { dayObs: string; expected: number; ok: number }>();
    const failed: string[] = [];
    for (const f of manifest.files) {
      const obsId = f.path.split('/').slice(-2, -1)[0] ?? f.path;
      const day = String(f.path.split('/')[1] ?? '');
      const rec = byImage.get(obsId) ?? { dayObs: day, expected: 0, ok: 0 };
      rec.expected++;
      const got = await b.store.get(f.path);
      const sha = got ? createHash('sha256').update(await got.bytes()).digest('hex') : '';
      if (got && sha === f.sha256) rec.ok++;
      else failed.push(f.path);
      byImage.set(obsId, rec);
    }
    const perImage: FileTransferPerImageSummary[] = [...byImage].map(([obsId, r]) => ({
      site,
      dayObs: r.dayObs,
      obsId,
      expected: r.expected,
      written: r.expected,
      transferredBeforeResend: r.ok,
      missingBeforeResend: r.expected - r.ok,
      resendCount: 0,
      transferredAfterResend: r.ok,
      missingAfterResend: r.expected - r.ok,
      metaData: JSON.stringify({ link: o.rate }),
    }));
    const days = [...new Set(perImage.map((p) => p.dayObs))];
    const nightly: FileTransferNightlySummary[] = days.map((dayObs) => {
      const p = perImage.filter((x) => x.dayObs === dayObs);
      const sum = (k: 'expected' | 'transferredAfterResend' | 'missingAfterResend'): number => p.reduce((s, x) => s + x[k], 0);
      return {
        site,
        dayObs,
        expected: sum('expected'),
        written: sum('expected'),
        transferredBeforeResend: sum('transferredAfterResend'),
        missingBeforeResend: sum('missingAfterResend'),
        resendCount: 0,
        transferredAfterResend: sum('transferredAfterResend'),
        missingAfterResend: sum('missingAfterResend'),
        maxFullDiskNode: '',
        maxFullDiskPercent: 0,
        metaData: JSON.stringify({ link: o.rate, seconds }),
      };
    });
    const summary = {
      source: src,
      destination: dst,
      link: { rate: o.rate, bytesPerSecond: rate },
      objects: copy.objects,
      skipped: copy.skipped,
      bytes: copy.bytes,
      seconds,
      failed,
      fileTransferPerImageSummary: perImage,
      fileTransferNightlySummary: nightly,
    };
    await b.store.put('transfer-summary.json', new TextEncoder().encode(JSON.stringify(summary, null, 1)));
    if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${copy.objects} objects (${(copy.bytes / 1e6).toFixed(1)} MB) copied, ${copy.skipped} already there, in ${seconds.toFixed(1)} s ` +
          `(${((copy.bytes * 8) / 1e6 / Math.max(seconds, 1e-9)).toFixed(1)} Mbit/s at ${o.rate}); ` +
          `${manifest.files.length - failed.length}/${manifest.files.length} files verified at ${dst}\n`,
      );
      for (const f of failed) process.stdout.write(`not verified: ${f}\n`);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    await a.close();
    await b.close();
  }
}
