/**
 * Shared bench plumbing: medians with min/max, the machine's description, and the result line every case prints
 * last (`BENCH_RESULT {json}`) for bench/run.ts to collect. Timing goals live here, never in tests.
 */
import { cpus, totalmem } from 'node:os';

export interface Stat {
  min: number;
  median: number;
  max: number;
}

export function stat(xs: readonly number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0]!, median: mid, max: s[s.length - 1]! };
}

export function fmt(s: Stat, unit: string, digits = 0): string {
  return `${s.median.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
}

export function machine(): { cores: number; cpu: string; memoryGiB: number; node: string } {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? '?', memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
}

/** One row of the results table: a figure, its reference measured in the same run, and their ratio. */
export interface Row {
  case: string;
  figure: string;
  value: Stat | null;
  unit: string;
  reference?: string;
  referenceValue?: Stat | null;
  /** value / reference (medians); null when the reference is missing. */
  ratio?: number | null;
  note?: string;
}

export function row(r: Omit<Row, 'ratio'>): Row {
  const ratio = r.value && r.referenceValue ? r.value.median / r.referenceValue.median : r.reference ? null : undefined;
  return { ...r, ...(ratio !== undefined ? { ratio } : {}) };
}

/** Print the case's rows for bench/run.ts (and a readable table for a person running the case alone). */
export function emit(caseName: string, rows: Row[]): void {
  for (const r of rows) {
    const v = r.value ? fmt(r.value, r.unit, r.value.median < 10 ? 2 : 0) : 'missing';
    const ref = r.reference ? `  vs ${r.reference}: ${r.referenceValue ? fmt(r.referenceValue, r.unit, r.referenceValue.median < 10 ? 2 : 0) : 'missing'}` : '';
    const ratio = r.ratio !== undefined && r.ratio !== null ? `  ratio ${r.ratio.toFixed(3)}` : '';
    console.log(`${r.figure}: ${v}${ref}${ratio}${r.note ? `  (${r.note})` : ''}`);
  }
  console.log(`BENCH_RESULT ${JSON.stringify({ case: caseName, rows })}`);
}

export const quick = process.argv.includes('--quick');

export function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}
