/** Bounded retries with exponential backoff and full jitter, a counting semaphore, and S3 eTag arithmetic. */
import { createHash } from 'node:crypto';

export interface BackoffPolicy {
  /** First delay, ms. */
  baseMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 4000 };

/** Delay before retry number `attempt` (1-based): uniform in [d/2, d] with d = base * 2^(attempt-1), capped. */
export function backoffDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const d = Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { Slots } from '../slots.js';

export function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

/**
 * The eTag S3 gives an object: the MD5 in hex for a single PUT, and for a multipart upload the MD5 of the parts'
 * binary MD5s followed by `-{parts}`. Knowing it up front turns the eTag returned by the gateway into an end-to-end
 * check of every byte of every part.
 */
export function expectedETag(bytes: Uint8Array, partSize: number | undefined): string {
  if (partSize === undefined) return md5(bytes).toString('hex');
  const h = createHash('md5');
  let parts = 0;
  for (let off = 0; off < bytes.length; off += partSize) {
    h.update(md5(bytes.subarray(off, Math.min(bytes.length, off + partSize))));
    parts++;
  }
  return `${h.digest('hex')}-${parts}`;
}

/** eTag as S3 sends it in headers (quoted) to the form in notifications and listings (bare). */
export function bareETag(e: string | undefined): string {
  return (e ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}
