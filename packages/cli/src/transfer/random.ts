/**
 * Deterministic draws for loss and corruption: a uniform number in [0, 1) that depends only on the seed and a
 * key (file, chunk, attempt), so a rerun with the same seed loses the same chunks whatever happened before, and
 * a resumed transfer makes the same decisions the uninterrupted one would have made.
 */
import { createHash } from 'node:crypto';

export function uniform(seed: number, ...key: Array<string | number>): number {
  const h = createHash('sha256').update(`${seed}\u0000${key.join('\u0000')}`).digest();
  // 48 bits are exact in a double.
  return h.readUIntBE(0, 6) / 2 ** 48;
}
