/**
 * Image sequence numbers per day_obs. An OBSID may never be issued twice for a day_obs, even when the server is
 * killed with SIGKILL, so every allocation is written to a small state file (temp file, fsync, rename, fsync of the
 * directory) before the number is handed out. A crash may therefore skip a number, never repeat one; gaps are
 * allowed (SITCOMTN-032).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { DaqError } from './errors.js';

export const MAX_SEQ_NUM = 99_999;
/** Days kept in the state file. */
const KEEP_DAYS = 62;

export interface SequenceCounter {
  /**
   * Allocate `count` consecutive sequence numbers of a day_obs (durably, for the file-backed counter) and return
   * the first: a takeImages sequence is numbered without gaps.
   */
  next(dayObs: number, count?: number): Promise<number>;
  /** The last number allocated for a day_obs (0 if none). */
  last(dayObs: number): number;
}

function checkBlock(dayObs: number, first: number, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) throw new DaqError('SEQUENCE', `bad sequence block size ${count}`);
  if (first + count - 1 > MAX_SEQ_NUM) {
    throw new DaqError('SEQUENCE', `day_obs ${dayObs} has no room for ${count} more sequence numbers (max ${MAX_SEQ_NUM})`);
  }
}

export class MemorySequenceCounter implements SequenceCounter {
  private readonly days = new Map<number, number>();
  async next(dayObs: number, count = 1): Promise<number> {
    const first = (this.days.get(dayObs) ?? 0) + 1;
    checkBlock(dayObs, first, count);
    this.days.set(dayObs, first + count - 1);
    return first;
  }
  last(dayObs: number): number {
    return this.days.get(dayObs) ?? 0;
  }
}

interface StateFile {
  version: 1;
  /** day_obs -> last sequence number allocated. */
  days: Record<string, number>;
}

/** Write a small file so that after a crash it is either the old or the new content, and durable once this returns. */
export async function writeFileDurable(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class FileSequenceCounter implements SequenceCounter {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly days: Map<number, number>,
    /** The highest number already used for a day by other means (files found in the store). */
    private readonly floor: (dayObs: number) => Promise<number>,
  ) {}

  static async open(path: string, floor: (dayObs: number) => Promise<number> = async () => 0): Promise<FileSequenceCounter> {
    await mkdir(dirname(path), { recursive: true });
    const days = new Map<number, number>();
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      let parsed: StateFile;
      try {
        parsed = JSON.parse(text) as StateFile;
      } catch {
        throw new DaqError('SEQUENCE', `sequence state file ${path} is not JSON; refusing to guess the next OBSID`);
      }
      for (const [k, v] of Object.entries(parsed.days ?? {})) {
        if (/^\d{8}$/.test(k) && Number.isSafeInteger(v)) days.set(Number(k), v);
      }
    }
    return new FileSequenceCounter(path, days, floor);
  }

  last(dayObs: number): number {
    return this.days.get(dayObs) ?? 0;
  }

  next(dayObs: number, count = 1): Promise<number> {
    // Serialize allocations: two concurrent callers must never read the same last value.
    const result = this.chain.then(() => this.allocate(dayObs, count));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async allocate(dayObs: number, count: number): Promise<number> {
    const known = this.days.get(dayObs);
    const base = known ?? 0;
    // First allocation of a day in this state file: never go below what the store already holds.
    const fromStore = known === undefined ? await this.floor(dayObs) : 0;
    const first = Math.max(base, fromStore) + 1;
    checkBlock(dayObs, first, count);
    this.days.set(dayObs, first + count - 1);
    const kept = [...this.days.keys()].sort((a, b) => b - a).slice(0, KEEP_DAYS);
    const state: StateFile = { version: 1, days: Object.fromEntries(kept.map((d) => [String(d), this.days.get(d)!])) };
    await writeFileDurable(this.path, JSON.stringify(state) + '\n');
    return first;
  }
}
