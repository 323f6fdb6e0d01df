/**
 * The emulated long-haul link: one file at a time (as rsync over one connection would), paced by a token bucket,
 * each file paying a one-way latency before its first byte, chunks lost at random (seeded) and resent after a
 * retransmission timeout, and optionally a file arriving with one byte flipped so the far-end checksum catches
 * it. Bytes land in a hidden part file beside the target, which the caller verifies and renames into place.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { LinkClock } from './clock.js';
import { uniform } from './random.js';
import { TokenBucket } from './token-bucket.js';

export interface LinkParams {
  /** Bytes per second. */
  rate: number;
  /** One-way delay before a file's first byte arrives, ms. */
  latencyMs: number;
  /** Probability that a chunk is lost and has to be sent again. */
  loss: number;
  /** Probability that a file arrives with one byte flipped (per attempt). */
  corrupt: number;
  seed: number;
  /** Bytes per chunk ("packet train"). */
  chunkBytes: number;
  /** Link time the sender may catch up after a hiccup, ms [250]. */
  burstMs?: number;
  clock: LinkClock;
}

/** Linux's minimum TCP retransmission timeout; a lost chunk also waits at least a round trip. */
const MIN_RTO_MS = 200;

export function retransmitTimeoutMs(latencyMs: number): number {
  return Math.max(MIN_RTO_MS, 2 * latencyMs);
}

/** A sensible chunk for a rate: about 20 ms of data, between 4 KiB and 1 MiB. */
export function defaultChunkBytes(rate: number): number {
  return Math.min(1 << 20, Math.max(4096, Math.round(rate * 0.02)));
}

export interface SendResult {
  /** SHA-256 of the source bytes as read by the sender (prefix included when resuming). */
  senderSha256: string;
  /** Bytes of the source actually read (less than expected when the source shrank). */
  sourceBytes: number;
  bytesSent: number;
  lostChunks: number;
  retransmitMs: number;
  corrupted: boolean;
}

export class Link {
  private readonly bucket: TokenBucket;

  constructor(readonly params: LinkParams) {
    this.bucket = new TokenBucket(params.rate, params.burstMs ?? 250, params.clock);
  }

  /**
   * Send `srcPath` into `partPath` starting at byte `from` (the part file already holds bytes [0, from)).
   * `key` names the file for the seeded draws, `attempt` counts whole-file resends.
   */
  async send(srcPath: string, partPath: string, size: number, from: number, key: string, attempt: number, onBytes?: (n: number) => void): Promise<SendResult> {
    const { chunkBytes, seed, loss } = this.params;
    const hash = createHash('sha256');
    const src = await open(srcPath, 'r');
    let out;
    try {
      out = await open(partPath, from > 0 ? 'r+' : 'w');
    } catch (err) {
      await src.close();
      throw err;
    }
    const buf = Buffer.allocUnsafe(chunkBytes);
    let bytesSent = 0;
    let lostChunks = 0;
    let retransmitMs = 0;
    let pos = 0;
    try {
      // The sender hashes what the receiver already holds from its own copy: local reads, nothing on the link.
      while (pos < from) {
        const { bytesRead } = await src.read(buf, 0, Math.min(chunkBytes, from - pos), pos);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      await out.truncate(pos);
      const corrupted = uniform(seed, 'corrupt', key, attempt) < this.params.corrupt && size > pos;
      const flipAt = corrupted ? pos + Math.floor(uniform(seed, 'corrupt-at', key, attempt) * (size - pos)) : -1;
      await this.bucket.wait(this.params.latencyMs);
      while (pos < size) {
        const { bytesRead: n } = await src.read(buf, 0, Math.min(chunkBytes, size - pos), pos);
        if (n === 0) break;
        await this.bucket.take(n);
        bytesSent += n;
        for (let tries = 0; loss > 0 && uniform(seed, 'loss', key, attempt, pos, tries) < loss; tries++) {
          // Lost on the way: the sender notices after a timeout and puts the chunk on the link again.
          lostChunks++;
          const rto = retransmitTimeoutMs(this.params.latencyMs);
          retransmitMs += rto;
          await this.bucket.wait(rto);
          await this.bucket.take(n);
          bytesSent += n;
        }
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        if (flipAt >= pos && flipAt < pos + n) {
          const bad = Buffer.from(chunk);
          bad[flipAt - pos] = bad[flipAt - pos]! ^ 0x5a;
          await out.write(bad, 0, n, pos);
        } else {
          await out.write(chunk, 0, n, pos);
        }
        pos += n;
        onBytes?.(n);
      }
      return { senderSha256: hash.digest('hex'), sourceBytes: pos, bytesSent, lostChunks, retransmitMs, corrupted };
    } finally {
      await out.close();
      await src.close();
    }
  }
}

/** SHA-256 of a file, read locally (the far end's check of what it received). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
