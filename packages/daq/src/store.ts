/**
 * Where the raw files land, laid out like the summit raw bucket: `{instrument}/{day_obs}/{obs_id}/{obs_id}_{Rnn_Snn}
 * .fits[.fz]` plus a `.json` sidecar holding the primary header (prompt processing reads GROUPID from it). Objects
 * appear atomically: a reader sees the whole file or nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { sendFile } from './file-send.js';
import { randomBytes } from 'node:crypto';
import { DaqError } from './errors.js';

export interface StoredObject {
  key: string;
  size: number;
  /** MD5 of the content in hex, as S3 reports a single-part upload (no quotes). */
  eTag: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface ObjectReader extends ObjectInfo {
  stream(): Readable;
  bytes(): Promise<Uint8Array>;
  /** Write the whole object to `out` without a per-chunk allocation, where the store can (files). */
  writeTo?(out: Writable): Promise<void>;
}

export interface Store {
  /** Write an object atomically. */
  put(key: string, bytes: Uint8Array): Promise<StoredObject>;
  /** Open an object for reading, or undefined if absent. */
  get(key: string): Promise<ObjectReader | undefined>;
  /** Objects whose key starts with `prefix` (keys under a "directory" prefix ending in '/'), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Names of the immediate children (objects and "directories") under a prefix ending in '/'. */
  children(prefix: string): Promise<string[]>;
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The object key of one CCD file (and, with `.json`, of its sidecar). */
export function rawKey(instrument: string, dayObs: number, obsId: string, detector: string, compressed: boolean): string {
  return `${instrument}/${dayObs}/${obsId}/${obsId}_${detector}.fits${compressed ? '.fz' : ''}`;
}

export function sidecarKey(fitsKey: string): string {
  return fitsKey.replace(/\.fits(\.fz)?$/, '.json');
}

const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function checkKey(key: string): void {
  if (!KEY_RE.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
    throw new DaqError('STORE', `bad object key ${JSON.stringify(key)}`, 'key');
  }
}

/** A directory tree on a local (or mounted) file system. */
export class FileStore implements Store {
  readonly root: string;
  /** fsync each object before it is renamed into place (durable, slower). */
  readonly fsync: boolean;

  constructor(root: string, opts: { fsync?: boolean } = {}) {
    this.root = resolve(root);
    this.fsync = opts.fsync ?? false;
  }

  pathOf(key: string): string {
    checkKey(key);
    const p = join(this.root, ...key.split('/'));
    if (!p.startsWith(this.root + sep)) throw new DaqError('STORE', `key escapes the store: ${key}`, 'key');
    return p;
  }

  async put(key: string, bytes: Uint8Array): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Hidden temporary name in the same directory: the rename is atomic and scanners skip dot files.
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      if (this.fsync) await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, path);
    return { key, size: bytes.length, eTag: md5Hex(bytes) };
  }

  async get(key: string): Promise<ObjectReader | undefined> {
    const path = this.pathOf(key);
    try {
      const s = await stat(path);
      if (!s.isFile()) return undefined;
      return {
        key,
        size: s.size,
        stream: () => createReadStream(path, { highWaterMark: 1 << 20 }),
        bytes: () => readFile(path),
        writeTo: (out) => sendFile(path, s.size, out),
      };
    } catch {
      return undefined;
    }
  }

  async children(prefix: string): Promise<string[]> {
    const dirKey = prefix.replace(/\/$/, '');
    try {
      return (await readdir(dirKey === '' ? this.root : this.pathOf(dirKey))).filter((n) => !n.startsWith('.')).sort();
    } catch {
      return [];
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const dirKey = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix.slice(0, prefix.lastIndexOf('/'));
    let names: string[];
    try {
      names = await readdir(dirKey === '' ? this.root : this.pathOf(dirKey));
    } catch {
      return [];
    }
    const out: ObjectInfo[] = [];
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const key = dirKey === '' ? n : `${dirKey}/${n}`;
      if (!key.startsWith(prefix)) continue;
      try {
        const s = await stat(this.pathOf(key));
        if (s.isFile()) out.push({ key, size: s.size });
      } catch {
        // Removed between readdir and stat.
      }
    }
    return out;
  }
}

/** Objects in memory, for tests and for runs that need no files. */
export class MemoryStore implements Store {
  readonly objects = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<StoredObject> {
    checkKey(key);
    this.objects.set(key, bytes);
    return { key, size: bytes.length, eTag: md5Hex(bytes) };
  }

  async get(key: string): Promise<ObjectReader | undefined> {
    const bytes = this.objects.get(key);
    if (!bytes) return undefined;
    return { key, size: bytes.length, stream: () => Readable.from([Buffer.from(bytes)]), bytes: async () => bytes };
  }

  async children(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    for (const k of this.objects.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
    return [...names].sort();
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, size: this.objects.get(key)!.length }));
  }
}
