/**
 * The raw-file store on an S3 bucket (Ceph RGW at the summit), with the same key layout as FileStore under an optional
 * prefix. Writes are bounded in concurrency, retried with backoff, checked end to end (Content-MD5 on single PUTs, the
 * computed multipart eTag on large objects), and, when the gateway stays down or slow past a bound, spooled to a local
 * directory and replayed when it answers again. S3 makes an object visible only once its PUT or multipart upload
 * completes, so a reader never sees a partial object under its final key. Progress and trouble are reported as
 * events for the DAQ's event stream and log.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DaqError } from '../errors.js';
import type { ObjectInfo, ObjectReader, Store, StoredObject } from '../store.js';
import { classify, createS3Client, describeError, fatalError, parseS3Url, resolveS3Connection, type S3Connection, type S3ConnectionOptions } from './config.js';
import { S3StoreError } from './errors.js';
import { DEFAULT_BACKOFF, Slots, backoffDelay, bareETag, expectedETag, md5, sleep, type BackoffPolicy } from './retry.js';
import { Spool, type SpoolEntry } from './spool.js';

export interface S3StoreOptions extends S3ConnectionOptions {
  /** `s3://BUCKET/PREFIX`; or give `bucket` (and `prefix`). */
  url?: string;
  bucket?: string;
  prefix?: string;
  /** An existing client (its settings are then the caller's). */
  client?: S3Client;
  /** Objects written at once (default 4). */
  concurrency?: number;
  /** Objects larger than this go up in parts (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size (default 8 MiB, at least 5 MiB). */
  partSize?: number;
  /** Parts of one object in flight (default 4). */
  partConcurrency?: number;
  /** Backoff between attempts (default 100 ms doubling to 4 s, jittered). */
  backoff?: BackoffPolicy;
  /** One attempt's time limit: `attemptTimeoutMs` + 1 s per MiB (default 10 s). */
  attemptTimeoutMs?: number;
  /** How long one write keeps retrying before it is spooled (or fails without a spool); default 20 s. */
  retryForMs?: number;
  /** Where writes wait while the gateway is down. Without it a write that exhausts its retries throws UNAVAILABLE. */
  spoolDir?: string;
  /** How often a down gateway is probed to replay the spool (default 1 s). */
  replayIntervalMs?: number;
  /** How long open() keeps trying a gateway that does not answer (default 5 s). */
  openTimeoutMs?: number;
  /** Also reported as the 'event' event. */
  onEvent?: (e: S3StoreEvent) => void;
  env?: Record<string, string | undefined>;
}

/** What the DAQ turns into events and log lines. `pending` is the number of spooled objects after the event. */
export type S3StoreEvent =
  | { type: 'retry'; key: string; attempt: number; delayMs: number; error: string }
  | { type: 'gatewayDown'; error: string; pending: number }
  | { type: 'spooled'; key: string; size: number; error: string; pending: number }
  | { type: 'gatewayUp'; downMs: number; pending: number }
  | { type: 'replayed'; key: string; size: number; eTag: string; spooledForMs: number; pending: number }
  | { type: 'replayFailed'; key: string; error: string; pending: number }
  | { type: 'drained'; replayed: number };

export interface S3StoredObject extends StoredObject {
  /** MD5 of the content, hex (equal to eTag for a single-part object). */
  md5: string;
  /** true: the gateway was down; the object waits in the spool and will be written when it returns. */
  spooled: boolean;
  /** Parts of a multipart upload (0 for a single PUT). */
  parts: number;
}

export interface S3StoreStats {
  puts: number;
  bytes: number;
  multipart: number;
  retries: number;
  spooled: number;
  replayed: number;
  pending: number;
  pendingBytes: number;
  gatewayDown: boolean;
}

const MiB = 1 << 20;
const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function checkKey(key: string): void {
  // The same rule as FileStore, so a night can move between the two stores unchanged.
  if (!KEY_RE.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
    throw new DaqError('STORE', `bad object key ${JSON.stringify(key)}`, 'key');
  }
}

class Transient extends Error {
  constructor(readonly last: unknown) {
    super(describeError(last));
  }
}

export class S3Store extends EventEmitter<{ event: [S3StoreEvent] }> implements Store {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly slots: Slots;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly backoff: BackoffPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly retryForMs: number;
  private readonly replayIntervalMs: number;
  private readonly openTimeoutMs: number;
  private readonly spool: Spool | undefined;
  private spoolInit: Promise<void> | undefined;
  private down: { since: number } | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly counts = { puts: 0, bytes: 0, multipart: 0, retries: 0, spooled: 0, replayed: 0 };
  private replayedSinceDrain = 0;

  /** Prefer `S3Store.open()`, which also checks the bucket and the credentials. */
  constructor(opts: S3StoreOptions) {
    super();
    const loc = opts.url !== undefined ? parseS3Url(opts.url) : parseS3Url(`s3://${opts.bucket ?? ''}/${opts.prefix ?? ''}`);
    this.bucket = loc.bucket;
    this.prefix = loc.prefix;
    const conn: S3Connection | undefined = opts.client ? undefined : resolveS3Connection(opts, opts.env);
    this.endpoint = conn?.endpoint ?? opts.endpoint;
    const concurrency = opts.concurrency ?? 4;
    this.partConcurrency = Math.max(1, opts.partConcurrency ?? 4);
    this.client = opts.client ?? createS3Client(conn!, { maxSockets: Math.max(8, concurrency * this.partConcurrency + 4) });
    this.ownsClient = opts.client === undefined;
    this.slots = new Slots(concurrency);
    this.partSize = Math.max(5 * MiB, opts.partSize ?? 8 * MiB);
    this.multipartThreshold = Math.max(this.partSize, opts.multipartThreshold ?? 16 * MiB);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 10_000;
    this.retryForMs = opts.retryForMs ?? 20_000;
    this.replayIntervalMs = opts.replayIntervalMs ?? 1000;
    this.openTimeoutMs = opts.openTimeoutMs ?? 5000;
    this.spool = opts.spoolDir !== undefined ? new Spool(opts.spoolDir) : undefined;
    if (opts.onEvent) this.on('event', opts.onEvent);
  }

  /**
   * A store whose bucket exists and accepts the credentials, with any spool an earlier run left being replayed.
   * Throws S3StoreError NO_BUCKET, BAD_CREDENTIALS, ACCESS_DENIED or UNREACHABLE.
   */
  static async open(opts: S3StoreOptions): Promise<S3Store> {
    const s = new S3Store(opts);
    try {
      await s.verify();
      if (s.spool) {
        await s.initSpool();
        if (s.spool.size > 0) s.scheduleReplay(0);
      }
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  get url(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  stats(): S3StoreStats {
    return { ...this.counts, pending: this.spool?.size ?? 0, pendingBytes: this.spool?.bytes ?? 0, gatewayDown: this.down !== undefined };
  }

  /** List one key under the prefix: proves the endpoint, the bucket and the credentials in one request. */
  async verify(): Promise<void> {
    const deadline = Date.now() + this.openTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(this.attemptTimeoutMs) });
        return;
      } catch (e) {
        const kind = classify(e);
        if (kind !== 'transient') throw fatalError(kind, e, { bucket: this.bucket, endpoint: this.endpoint });
        const delay = backoffDelay(this.backoff, attempt);
        if (Date.now() + delay > deadline) {
          throw new S3StoreError('UNREACHABLE', `no S3 gateway answers at ${this.endpoint ?? 'the default AWS endpoint'} for bucket ${this.bucket} (${describeError(e)})`, { cause: e });
        }
        await sleep(delay);
      }
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<S3StoredObject> {
    checkKey(key);
    if (this.closed) throw new S3StoreError('CLOSED', `store ${this.url} is closed`, { key });
    const p = this.putInner(key, bytes);
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  private async putInner(key: string, bytes: Uint8Array): Promise<S3StoredObject> {
    // While the gateway is known to be down, go straight to the spool: waiting out the retry bound for every file
    // would stall the image writer for nothing. The replay probe notices when it is back.
    // While the spool holds a backlog, queue behind it: objects reach the bucket in the order they were written.
    if (this.spool && (this.down || this.spool.size > 0)) return this.toSpool(key, bytes, this.down ? 'gateway down' : 'queued behind the spool');
    try {
      const stored = await this.slots.run(() => this.upload(key, bytes, Date.now() + this.retryForMs, true));
      // A newer copy is now in place: an older spooled one must not overwrite it on replay.
      if (this.spool?.latest(key)) await this.spool.supersede(key);
      return stored;
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      const msg = describeError(e.last);
      if (!this.spool) {
        throw new S3StoreError('UNAVAILABLE', `gave up writing ${key} to ${this.url} after ${this.retryForMs} ms: ${msg}`, { key, cause: e.last });
      }
      this.markDown(msg);
      return this.toSpool(key, bytes, msg);
    }
  }

  private markDown(error: string): void {
    if (this.down) return;
    this.down = { since: Date.now() };
    this.emit('event', { type: 'gatewayDown', error, pending: this.spool?.size ?? 0 });
  }

  /** Load the spool once (open() does it; a store made with `new` does it on its first spooled write). */
  private initSpool(): Promise<void> {
    this.spoolInit ??= this.spool!.init();
    return this.spoolInit;
  }

  private async toSpool(key: string, bytes: Uint8Array, error: string): Promise<S3StoredObject> {
    const spool = this.spool!;
    await this.initSpool();
    const entry = await spool.add(key, bytes, error);
    this.counts.spooled++;
    this.emit('event', { type: 'spooled', key, size: bytes.length, error, pending: spool.size });
    this.scheduleReplay(this.replayIntervalMs);
    const multipart = bytes.length > this.multipartThreshold;
    return {
      key,
      size: bytes.length,
      eTag: expectedETag(bytes, multipart ? this.partSize : undefined),
      md5: entry.md5,
      spooled: true,
      parts: multipart ? Math.ceil(bytes.length / this.partSize) : 0,
    };
  }

  /**
   * Write one object, retrying transient failures until `deadline`. Throws `Transient` when out of time, an
   * S3StoreError for anything retrying cannot fix.
   */
  private async upload(key: string, bytes: Uint8Array, deadline: number, countRetries: boolean): Promise<S3StoredObject> {
    const fullKey = this.prefix + key;
    const digest = md5(bytes);
    const md5Hex = digest.toString('hex');
    const multipart = bytes.length > this.multipartThreshold;
    const want = multipart ? expectedETag(bytes, this.partSize) : md5Hex;
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const timeout = this.attemptTimeoutMs + Math.round((bytes.length / MiB) * 1000);
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new S3StoreError('CLOSED', `store ${this.url} closed while writing ${key}`, { key });
      let error: unknown;
      try {
        let got: string;
        if (multipart) {
          const up = new Upload({
            client: this.client,
            // No ContentMD5 here: lib-storage would copy it onto every part. The eTag check covers each part instead.
            params: { Bucket: this.bucket, Key: fullKey, Body: body, Metadata: { md5: md5Hex } },
            partSize: this.partSize,
            queueSize: this.partConcurrency,
            leavePartsOnError: false,
          });
          const timer = setTimeout(() => void up.abort(), timeout);
          try {
            got = bareETag((await up.done()).ETag);
            // Pacific sends <ETag></ETag> in CompleteMultipartUploadResult unless the bucket has notifications (Red
            // Hat BZ 2266579): ask the object itself, which also proves it is complete under its final key.
            if (got === '') {
              const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal: AbortSignal.timeout(this.attemptTimeoutMs) });
              got = bareETag(head.ETag);
              if (head.ContentLength !== bytes.length) got = `${got} (size ${head.ContentLength})`;
            }
          } finally {
            clearTimeout(timer);
          }
        } else {
          // Content-MD5 makes the gateway itself refuse a body damaged on the way (BadDigest, retried).
          const out = await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: fullKey, Body: body, ContentLength: body.length, ContentMD5: digest.toString('base64'), Metadata: { md5: md5Hex } }),
            { abortSignal: AbortSignal.timeout(timeout) },
          );
          got = bareETag(out.ETag);
        }
        if (got !== want) {
          error = new S3StoreError('CHECKSUM', `${this.url}${key}: gateway reports eTag ${got}, expected ${want}`, { key });
        } else {
          this.counts.puts++;
          this.counts.bytes += bytes.length;
          if (multipart) this.counts.multipart++;
          if (this.down && countRetries) this.markUp();
          return { key, size: bytes.length, eTag: got, md5: md5Hex, spooled: false, parts: multipart ? Math.ceil(bytes.length / this.partSize) : 0 };
        }
      } catch (e) {
        const kind = classify(e);
        if (kind !== 'transient') throw fatalError(kind, e, { bucket: this.bucket, endpoint: this.endpoint, key });
        error = e;
      }
      const delay = backoffDelay(this.backoff, attempt);
      if (Date.now() + delay > deadline) {
        if (error instanceof S3StoreError) throw error;
        throw new Transient(error);
      }
      if (countRetries) {
        this.counts.retries++;
        this.emit('event', { type: 'retry', key, attempt, delayMs: delay, error: describeError(error) });
      }
      await sleep(delay);
    }
  }

  private markUp(): void {
    if (!this.down) return;
    const downMs = Date.now() - this.down.since;
    this.down = undefined;
    this.emit('event', { type: 'gatewayUp', downMs, pending: this.spool?.size ?? 0 });
  }

  private scheduleReplay(ms: number): void {
    if (this.closed || this.replayTimer || !this.spool || this.spool.size === 0) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, ms);
  }

  /** Try to empty the spool now; resolves when this pass ends (the spool may still hold objects). */
  replay(): Promise<void> {
    if (!this.replaying) {
      this.replaying = this.replayPass().finally(() => {
        this.replaying = undefined;
        if (this.spool && this.spool.size > 0) this.scheduleReplay(this.replayIntervalMs);
      });
    }
    return this.replaying;
  }

  private async replayPass(): Promise<void> {
    const spool = this.spool;
    if (!spool || spool.size === 0 || this.closed) return;
    // A cheap probe first, so a still-down gateway costs one refused connection per interval, not one per object.
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(this.attemptTimeoutMs) });
    } catch (e) {
      if (classify(e) === 'transient') {
        this.markDown(describeError(e));
        return;
      }
    }
    this.markUp();
    const tried = new Set<SpoolEntry>();
    let stop = false;
    // Round after round until the spool is empty: writes that arrive meanwhile were queued behind the backlog.
    while (!stop && !this.closed) {
      const batch = spool.pending().filter((e) => !tried.has(e));
      if (batch.length === 0) break;
      const work = new Set<Promise<void>>();
      // Oldest first, several at once, but an object never overtakes an earlier one of the same CCD: the sidecar
      // must be in the bucket before the FITS file's notification wakes the ingest side.
      const lastOfStem = new Map<string, Promise<void>>();
      for (const entry of batch) {
        if (stop || this.closed) break;
        tried.add(entry);
        const stem = entry.key.replace(/\.(json|fits(\.fz)?)$/, '');
        const before = lastOfStem.get(stem);
        const job = (async () => {
          if (before) await before;
          if (!stop) await this.slots.run(() => this.replayOne(spool, entry));
        })().then(
          () => undefined,
          (e: unknown) => {
            if (e instanceof Transient) {
              stop = true;
              this.markDown(describeError(e.last));
            } else {
              this.emit('event', { type: 'replayFailed', key: entry.key, error: e instanceof Error ? e.message : String(e), pending: spool.size });
            }
          },
        );
        lastOfStem.set(stem, job);
        work.add(job);
        void job.finally(() => work.delete(job));
        if (work.size >= 8) await Promise.race(work);
      }
      await Promise.all(work);
    }
    if (spool.size === 0) {
      this.emit('event', { type: 'drained', replayed: this.replayedSinceDrain });
      this.replayedSinceDrain = 0;
    }
  }

  private async replayOne(spool: Spool, entry: SpoolEntry): Promise<void> {
    if (!spool.has(entry)) return; // superseded by a direct write meanwhile
    let bytes: Buffer;
    try {
      bytes = await spool.read(entry);
    } catch (e) {
      // A damaged copy would fail every round and keep the spool from ever draining: set it aside.
      await spool.quarantine(entry);
      throw e;
    }
    const stored = await this.upload(entry.key, bytes, Date.now() + this.retryForMs, false);
    if (!spool.has(entry)) return;
    await spool.remove(entry);
    await spool.supersede(entry.key, entry);
    this.counts.replayed++;
    this.replayedSinceDrain++;
    this.emit('event', { type: 'replayed', key: entry.key, size: entry.size, eTag: stored.eTag, spooledForMs: Date.now() - entry.spooledAt, pending: spool.size });
  }

  /**
   * Resolve when every write has reached the gateway (in-flight puts done, spool empty). Rejects with UNAVAILABLE
   * after `timeoutMs` (default: wait as long as it takes).
   */
  async drain(timeoutMs?: number): Promise<void> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      // A replay pass that emptied the spool is still finishing (its 'drained' event comes last).
      if (this.replaying) await this.replaying;
      if (!this.spool || this.spool.size === 0) {
        if (this.inFlight.size === 0) return;
        continue;
      }
      if (this.closed) throw new S3StoreError('CLOSED', `store ${this.url} closed with ${this.spool.size} objects spooled in ${this.spool.dir}`);
      if (Date.now() >= deadline) {
        throw new S3StoreError('UNAVAILABLE', `${this.spool.size} objects still spooled in ${this.spool.dir}: the gateway at ${this.endpoint ?? 'AWS'} has not come back`);
      }
      await this.replay();
      if (this.spool.size > 0) await sleep(Math.min(this.replayIntervalMs, Math.max(0, deadline - Date.now())));
    }
  }

  /** Stop replaying and release the client. Spooled objects stay on disk for the next open(). */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.inFlight]);
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
    if (this.replaying) await this.replaying.catch(() => undefined);
    if (this.ownsClient) this.client.destroy();
  }

  // ---- reads ----

  /** Run a read with the same retry bound as writes; reads are not spooled, so out of time means UNAVAILABLE. */
  private async read<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(AbortSignal.timeout(this.attemptTimeoutMs));
      } catch (e) {
        const kind = classify(e);
        if (kind !== 'transient') throw fatalError(kind, e, { bucket: this.bucket, endpoint: this.endpoint, key: what });
        const delay = backoffDelay(this.backoff, attempt);
        if (Date.now() + delay > deadline) throw new S3StoreError('UNAVAILABLE', `cannot read ${what} from ${this.url}: ${describeError(e)}`, { key: what, cause: e });
        await sleep(delay);
      }
    }
  }

  async get(key: string): Promise<ObjectReader | undefined> {
    checkKey(key);
    const spooled = this.spool?.latest(key);
    if (spooled) {
      const spool = this.spool!;
      return { key, size: spooled.size, stream: () => Readable.from(streamOf(async () => Readable.from([await spool.read(spooled)]))), bytes: () => spool.read(spooled) };
    }
    const fullKey = this.prefix + key;
    const head = await this.read(key, (abortSignal) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }).catch((e: unknown) => {
        if (e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey')) return undefined;
        throw e;
      }),
    );
    if (!head) return undefined;
    const size = head.ContentLength ?? 0;
    const wantMd5 = head.Metadata?.md5;
    const getBody = async (): Promise<Readable> => {
      const out = await this.read(key, (abortSignal) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
      return out.Body as Readable;
    };
    return {
      key,
      size,
      stream: () => Readable.from(streamOf(getBody)),
      bytes: async () => {
        const chunks: Buffer[] = [];
        for await (const c of await getBody()) chunks.push(c as Buffer);
        const bytes = Buffer.concat(chunks);
        // End-to-end check on the way back too, when the writer recorded the MD5.
        if (wantMd5 !== undefined && md5(bytes).toString('hex') !== wantMd5) {
          throw new S3StoreError('CHECKSUM', `${this.url}${key}: content MD5 differs from the x-amz-meta-md5 written with it`, { key });
        }
        return bytes;
      },
    };
  }

  private async listAll(prefix: string, delimiter: string | undefined): Promise<{ keys: ObjectInfo[]; dirs: string[] }> {
    const keys: ObjectInfo[] = [];
    const dirs: string[] = [];
    let token: string | undefined;
    do {
      const out: ListObjectsV2CommandOutput = await this.read(prefix || '/', (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, ...(delimiter !== undefined ? { Delimiter: delimiter } : {}) }),
          { abortSignal },
        ),
      );
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0 });
      for (const d of out.CommonPrefixes ?? []) if (d.Prefix !== undefined) dirs.push(d.Prefix.slice(this.prefix.length));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return { keys, dirs };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { keys } = await this.listAll(prefix, undefined);
    const byKey = new Map(keys.map((o) => [o.key, o]));
    // Spooled objects are part of the store: put() reported them written.
    for (const e of this.spool?.pending() ?? []) if (e.key.startsWith(prefix)) byKey.set(e.key, { key: e.key, size: e.size });
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async children(prefix: string): Promise<string[]> {
    const { keys, dirs } = await this.listAll(prefix, '/');
    const names = new Set<string>();
    for (const o of keys) names.add(o.key.slice(prefix.length));
    for (const d of dirs) names.add(d.slice(prefix.length).replace(/\/$/, ''));
    for (const e of this.spool?.pending() ?? []) if (e.key.startsWith(prefix)) names.add(e.key.slice(prefix.length).split('/')[0]!);
    names.delete('');
    return [...names].sort();
  }
}

async function* streamOf(open: () => Promise<Readable>): AsyncGenerator<Buffer> {
  for await (const c of await open()) yield c as Buffer;
}
