/**
 * Where arrival notifications go: HTTP webhooks (the Ceph push endpoint embargo-butler's /notify listens on) and
 * Redis lists (what embargo-butler's enqueue does next: LPUSH the key to QUEUE:{bucket} for the ingest workers).
 */
import type { BucketNotification } from './bucket-event.js';
import { RespClient, parseRedisUrl } from './resp.js';

export interface NotificationTarget {
  /** Shown in events and logs. */
  readonly name: string;
  /** Deliver once; throw on failure (the dispatcher retries). */
  deliver(notification: BucketNotification): Promise<void>;
  close?(): Promise<void>;
}

export class WebhookTarget implements NotificationTarget {
  readonly name: string;
  constructor(
    readonly url: string,
    private readonly timeoutMs = 5000,
    private readonly headers: Record<string, string> = {},
  ) {
    this.name = `webhook ${url}`;
  }

  async deliver(notification: BucketNotification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify(notification),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${this.url}`);
  }
}

export interface RedisTargetOptions {
  url: string;
  /** List name; `{bucket}` is replaced by the bucket name (default `QUEUE:{bucket}`, as embargo-butler). */
  list?: string;
  /** What to push: the object key (default, as embargo-butler's enqueue) or the whole notification JSON. */
  payload?: 'key' | 'notification';
}

export class RedisListTarget implements NotificationTarget {
  readonly name: string;
  private readonly client: RespClient;
  private readonly list: string;
  private readonly payload: 'key' | 'notification';

  constructor(opts: RedisTargetOptions) {
    const address = parseRedisUrl(opts.url);
    this.client = new RespClient(address);
    this.list = opts.list ?? 'QUEUE:{bucket}';
    this.payload = opts.payload ?? 'key';
    this.name = `redis ${address.host}:${address.port} ${this.list}`;
  }

  async deliver(notification: BucketNotification): Promise<void> {
    for (const r of notification.Records) {
      const list = this.list.replaceAll('{bucket}', r.s3.bucket.name);
      const value = this.payload === 'key' ? r.s3.object.key : JSON.stringify({ Records: [r] });
      await this.client.command(['LPUSH', list, value]);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
