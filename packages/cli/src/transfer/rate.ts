/**
 * Link rates as people write them: 40Mbit, 40Mbit/s, 40Mbps, 10MB/s, 1Gbit, 512KiB/s. A lower-case `b` or `bit`
 * is bits and an upper-case `B` is bytes; k/M/G/T are decimal (network convention) and Ki/Mi/Gi/Ti binary.
 * A bare number is refused: "40" could mean bits or bytes and guessing wrong is off by eight.
 */
import { TransferError } from './errors.js';

const RATE_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*(?:([kKMGT])(i?))?(bits?|bps|b|B|Bps|bytes?)(\/s)?\s*$/;
const PREFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
const BINARY: Record<string, number> = { k: 2 ** 10, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes per second of a rate string; throws TransferError('USAGE') when it cannot be read unambiguously. */
export function parseRate(text: string): number {
  const m = RATE_RE.exec(text);
  if (!m) {
    throw new TransferError('USAGE', `cannot read rate ${JSON.stringify(text)}: give a number and a unit, e.g. 40Mbit, 10MB/s, 1Gbit`, { rate: text });
  }
  const [, num, exp, prefix, binary, unit] = m;
  if (unit === 'bps' && binary) throw new TransferError('USAGE', `ambiguous rate ${JSON.stringify(text)}`, { rate: text });
  const value = Number(num) * 10 ** Number(exp ?? 0);
  const scale = prefix ? (binary ? BINARY[prefix]! : PREFIX[prefix]!) : 1;
  const bits = unit === 'b' || unit === 'bit' || unit === 'bits' || unit === 'bps';
  const bytesPerSecond = (value * scale) / (bits ? 8 : 1);
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) {
    throw new TransferError('USAGE', `rate must be positive: ${JSON.stringify(text)}`, { rate: text });
  }
  return bytesPerSecond;
}

/** A rate for people: 5.00 MB/s (40.0 Mbit/s). */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s (${formatSi(bytesPerSecond * 8)}bit/s)`;
}

export function formatBytes(n: number): string {
  return `${formatSi(n)}B`;
}

function formatSi(n: number): string {
  const units = ['', 'k', 'M', 'G', 'T'];
  let u = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v >= 100 || u === 0 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}
