/**
 * The local spool: objects the gateway would not take in time, kept on disk until it comes back. Each entry is a
 * data file and a JSON record written after it (the record is the commit mark: data without a record is a torn write
 * and is discarded), both fsynced and renamed into place, so a crash of daqsim loses nothing that put() reported as
 * spooled. Entries replay oldest first; a later entry for the same key supersedes an earlier one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { S3StoreError } from './errors.js';
import { md5 } from './retry.js';

export interface SpoolEntry {
  /** File stem: sortable by spool time. */
  id: string;
  /** Store key (without the store's prefix). */
  key: string;
  size: number;
  /** MD5 of the content, hex. */
  md5: string;
  /** Unix ms when spooled. */
  spooledAt: number;
  /** Why the gateway did not take it. */
  error: string;
}

const RECORD = '.json';
const DATA = '.data';

let counter = 0;

async function writeDurable(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export class Spool {
  readonly dir: string;
  /** Pending entries, oldest first. */
  private readonly entries: SpoolEntry[] = [];

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Create the directory and load what an earlier run left. */
  async init(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      const names = await readdir(this.dir);
      const records = new Set(names.filter((n) => n.endsWith(RECORD)).map((n) => n.slice(0, -RECORD.length)));
      for (const n of names) {
        const stem = n.endsWith(DATA) ? n.slice(0, -DATA.length) : undefined;
        if (n.includes('.tmp-') || (stem !== undefined && !records.has(stem))) await unlink(join(this.dir, n)).catch(() => undefined);
      }
      for (const id of [...records].sort()) {
        const e = JSON.parse(await readFile(join(this.dir, id + RECORD), 'utf8')) as SpoolEntry;
        this.entries.push({ ...e, id });
      }
    } catch (e) {
      throw new S3StoreError('SPOOL', `cannot use spool directory ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.entries.reduce((n, e) => n + e.size, 0);
  }

  pending(): readonly SpoolEntry[] {
    return this.entries;
  }

  /** The newest entry for a key. */
  latest(key: string): SpoolEntry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.key === key) return this.entries[i];
    return undefined;
  }

  has(entry: SpoolEntry): boolean {
    return this.entries.includes(entry);
  }

  async add(key: string, bytes: Uint8Array, error: string): Promise<SpoolEntry> {
    const now = Date.now();
    const id = `${now.toString().padStart(14, '0')}-${(counter++ % 1e6).toString().padStart(6, '0')}-${process.pid}`;
    const entry: SpoolEntry = { id, key, size: bytes.length, md5: md5(bytes).toString('hex'), spooledAt: now, error };
    try {
      await writeDurable(join(this.dir, id + DATA), bytes);
      await writeDurable(join(this.dir, id + RECORD), JSON.stringify(entry));
    } catch (e) {
      await unlink(join(this.dir, id + DATA)).catch(() => undefined);
      throw new S3StoreError('SPOOL', `cannot spool ${key} to ${this.dir}: ${(e as Error).message}`, { key, cause: e });
    }
    this.entries.push(entry);
    return entry;
  }

  /** The entry's bytes, checked against the MD5 recorded when it was spooled. */
  async read(entry: SpoolEntry): Promise<Buffer> {
    const bytes = await readFile(join(this.dir, entry.id + DATA));
    if (bytes.length !== entry.size || md5(bytes).toString('hex') !== entry.md5) {
      throw new S3StoreError('SPOOL', `spooled copy of ${entry.key} is damaged (${join(this.dir, entry.id + DATA)})`, { key: entry.key });
    }
    return bytes;
  }

  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
    // Record first: a crash in between leaves data without a record, which init() discards.
    await unlink(join(this.dir, entry.id + RECORD)).catch(() => undefined);
    await unlink(join(this.dir, entry.id + DATA)).catch(() => undefined);
  }

  /** Take a damaged entry out of the queue, keeping its files (renamed `*.damaged`) for a post-mortem. */
  async quarantine(entry: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
    for (const ext of [RECORD, DATA]) await rename(join(this.dir, entry.id + ext), join(this.dir, `${entry.id}${ext}.damaged`)).catch(() => undefined);
  }

  /** Drop every entry for `key` older than `keep` (or all of them): a newer copy reached the gateway. */
  async supersede(key: string, keep?: SpoolEntry): Promise<void> {
    for (const e of this.entries.filter((x) => x.key === key && x !== keep && (keep === undefined || x.id < keep.id))) await this.remove(e);
  }
}
