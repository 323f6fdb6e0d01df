/**
 * What the daqsim subcommands share for an `s3://BUCKET/PREFIX` store: the connection options (--s3-endpoint,
 * --s3-access-key, --s3-secret-key, else the usual AWS environment variables), opening the store with one clear
 * error for a configuration problem (exit 2), the S3 store's events as log lines, and moving a night directory to
 * and from a bucket with bounded concurrency.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Command } from 'commander';
import { S3Store, S3StoreError, type S3StoreEvent, type S3StoreOptions, type Store } from '@daqsim/daq';
import { UsageError } from './output.js';

export interface S3CliOptions {
  s3Endpoint?: string;
  s3AccessKey?: string;
  s3SecretKey?: string;
}

/** Add --s3-endpoint, --s3-access-key and --s3-secret-key to a command. */
export function addS3Options(cmd: Command): Command {
  return cmd
    .option('--s3-endpoint <url>', 'S3 endpoint, e.g. http://127.0.0.1:7480 (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL or $S3_ENDPOINT_URL)')
    .option('--s3-access-key <id>', 'S3 access key (default: $AWS_ACCESS_KEY_ID)')
    .option('--s3-secret-key <key>', 'S3 secret key (default: $AWS_SECRET_ACCESS_KEY)');
}

/** The connection part of S3StoreOptions from the command line; unset options fall back to the environment. */
export function s3Connection(o: S3CliOptions): Pick<S3StoreOptions, 'endpoint' | 'accessKeyId' | 'secretAccessKey'> {
  return {
    ...(o.s3Endpoint !== undefined ? { endpoint: o.s3Endpoint } : {}),
    ...(o.s3AccessKey !== undefined ? { accessKeyId: o.s3AccessKey } : {}),
    ...(o.s3SecretKey !== undefined ? { secretAccessKey: o.s3SecretKey } : {}),
  };
}

/** Reasons that mean "fix the command line or the environment", reported with exit code 2. */
const CONFIG_REASONS = new Set(['BAD_URL', 'NO_CREDENTIALS', 'NO_BUCKET', 'BAD_CREDENTIALS', 'ACCESS_DENIED', 'UNREACHABLE']);

/** An S3StoreError at open or setup that the operator must fix, as a UsageError (exit 2); anything else unchanged. */
export function asStartupError(e: unknown): unknown {
  if (e instanceof S3StoreError && CONFIG_REASONS.has(e.reason)) return new UsageError(`S3 store: ${e.message}`, e.field ?? 'store');
  return e;
}

/** Open the store at `url`, checking the bucket and the credentials; configuration problems throw UsageError. */
export async function openS3Store(url: string, o: S3CliOptions, extra: Omit<S3StoreOptions, 'url' | 'endpoint' | 'accessKeyId' | 'secretAccessKey'> = {}): Promise<S3Store> {
  try {
    return await S3Store.open({ url, ...s3Connection(o), ...extra });
  } catch (e) {
    throw asStartupError(e);
  }
}

/** One log line per S3 store event (what happened, and how many objects wait in the spool). */
export function describeS3Event(e: S3StoreEvent): { level: 'info' | 'warning' | 'error'; text: string } {
  switch (e.type) {
    case 'retry':
      return { level: 'warning', text: `s3 retry ${e.attempt} for ${e.key} in ${e.delayMs} ms: ${e.error}` };
    case 'gatewayDown':
      return { level: 'error', text: `s3 gateway down (${e.error}): writes go to the local spool (${e.pending} pending)` };
    case 'spooled':
      return { level: 'warning', text: `s3 spooled ${e.key} (${e.size} bytes): ${e.error}; ${e.pending} pending` };
    case 'gatewayUp':
      return { level: 'info', text: `s3 gateway back after ${(e.downMs / 1000).toFixed(1)} s: replaying ${e.pending} spooled objects` };
    case 'replayed':
      return { level: 'info', text: `s3 replayed ${e.key} (${e.size} bytes, spooled ${(e.spooledForMs / 1000).toFixed(1)} s); ${e.pending} pending` };
    case 'replayFailed':
      return { level: 'error', text: `s3 replay of ${e.key} failed: ${e.error}; ${e.pending} pending` };
    case 'drained':
      return { level: 'info', text: `s3 spool drained (${e.replayed} objects replayed)` };
  }
}

/** Every regular file under `root` (dot files skipped), as '/'-separated keys relative to it, sorted. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** Run `fn` over `items` with at most `concurrency` at once; the first failure rejects (after the others settle). */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failed: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed) throw failed.e;
  return out;
}

/** Upload order: sidecars before their FITS file (ingest reads the sidecar first), manifest.json last. */
function uploadRank(key: string): number {
  if (key === 'manifest.json') return 2;
  return key.endsWith('.json') ? 0 : 1;
}

export interface UploadSummary {
  objects: number;
  bytes: number;
  seconds: number;
}

/**
 * Put every file under `dir` into `store` under its relative path: sidecars first, then the FITS files, then
 * manifest.json, so a reader that sees the manifest finds the whole night.
 */
export async function uploadDir(dir: string, store: Store, concurrency = 4): Promise<UploadSummary> {
  const t0 = performance.now();
  const keys = await filesUnder(dir);
  let bytes = 0;
  for (const rank of [0, 1, 2]) {
    await mapLimit(
      keys.filter((k) => uploadRank(k) === rank),
      concurrency,
      async (key) => {
        const data = await readFile(join(dir, ...key.split('/')));
        await store.put(key, data);
        bytes += data.length;
      },
    );
  }
  if (store instanceof S3Store) await store.drain();
  return { objects: keys.length, bytes, seconds: (performance.now() - t0) / 1000 };
}

/** Download the objects `keys` from `store` into `dir`; returns the keys that were absent. */
export async function downloadKeys(store: Store, keys: readonly string[], dir: string, concurrency = 4): Promise<string[]> {
  const missing: string[] = [];
  await mapLimit(keys, concurrency, async (key) => {
    const r = await store.get(key);
    if (!r) {
      missing.push(key);
      return;
    }
    const path = join(dir, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await r.bytes());
  });
  return missing.sort();
}
