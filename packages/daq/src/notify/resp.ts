/**
 * A minimal Redis client (RESP2 over node:net): enough to AUTH, SELECT and LPUSH. The emulator needs one list push
 * per file, so a 150-line client beats a dependency with its own reconnect policy fighting our retry loop: a failed
 * command rejects, the socket is dropped, and the next command reconnects.
 */
import { connect, type Socket } from 'node:net';
import { DaqError } from '../errors.js';

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export interface RedisAddress {
  host: string;
  port: number;
  password?: string;
  username?: string;
  db?: number;
}

/** redis://[[user]:password@]host[:port][/db] */
export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DaqError('BAD_CONFIG', `not a redis URL: ${url}`, 'redis.url');
  }
  if (u.protocol !== 'redis:') throw new DaqError('BAD_CONFIG', `redis URL must start with redis://, got ${url}`, 'redis.url');
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new DaqError('BAD_CONFIG', `bad redis db in ${url}`, 'redis.url');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

function encode(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parse one reply from `buf` at `pos`; undefined when the buffer does not yet hold all of it. */
function parseReply(buf: Buffer, pos: number): { value: RespValue; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, at);
        if (!r) return undefined;
        items.push(r.value);
        at = r.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new RespError(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
}

export class RespClient {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    readonly address: RedisAddress,
    private readonly timeoutMs = 5000,
  ) {}

  /** Send one command; resolves with the reply, rejects with RespError for an error reply. */
  async command(args: readonly string[]): Promise<RespValue> {
    const socket = await this.ensure();
    return this.send(socket, args);
  }

  private send(socket: Socket, args: readonly string[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      this.pending.push({
        resolve: (v) => (v instanceof RespError ? reject(v) : resolve(v)),
        reject,
      });
      socket.write(encode(args));
    });
  }

  private ensure(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<Socket> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.address.host, port: this.address.port });
      s.setNoDelay(true);
      s.setTimeout(this.timeoutMs);
      const onTimeout = (): void => {
        s.destroy(new Error(`redis ${this.address.host}:${this.address.port}: connect timed out`));
      };
      s.once('timeout', onTimeout);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('timeout', onTimeout);
        s.off('error', reject);
        resolve(s);
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('redis connection closed')));
    // Idle is fine; only a command waiting for its reply should time out.
    socket.on('timeout', () => {
      if (this.pending.length > 0) socket.destroy(new Error('redis reply timed out'));
    });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    if (this.address.password !== undefined) {
      await this.send(socket, this.address.username ? ['AUTH', this.address.username, this.address.password] : ['AUTH', this.address.password]);
    }
    if (this.address.db !== undefined) await this.send(socket, ['SELECT', String(this.address.db)]);
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let pos = 0;
    for (;;) {
      let r: { value: RespValue; end: number } | undefined;
      try {
        r = parseReply(this.buffer, pos);
      } catch (e) {
        this.socket?.destroy(e as Error);
        return;
      }
      if (!r) break;
      pos = r.end;
      this.pending.shift()?.resolve(r.value);
    }
    this.buffer = this.buffer.subarray(pos);
  }

  private fail(e: Error): void {
    const waiting = this.pending;
    this.pending = [];
    this.socket = undefined;
    for (const p of waiting) p.reject(e);
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => s.destroy(), 500).unref();
    });
  }
}
