/**
 * The transfer journal: DST/.daqsim-transfer/journal.jsonl, one JSON record per line, appended as files are
 * verified and placed. It is what makes a restart after kill -9 cheap: a file recorded as done and still present
 * with its size is skipped without rereading it. A line cut short by the kill is ignored.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STATE_DIR = '.daqsim-transfer';
export const JOURNAL_NAME = 'journal.jsonl';

/** One file as it arrived (or failed to). Times are Unix milliseconds. */
export interface FileRecord {
  type: 'file';
  path: string;
  size: number;
  sha256: string;
  /** Whether the far-end checksum matched. */
  verified: boolean;
  /** When the file was placed under its final name by an earlier run without a journal line (found at restart). */
  foundAtRestart?: boolean;
  /** First byte requested, last byte verified. */
  start: number;
  end: number;
  /** Bytes put on the link for this file, retransmissions included (0 when found already there). */
  bytesSent: number;
  /** Bytes of a partial file kept from an interrupted run. */
  resumedFrom: number;
  /** Whole-file resends after a checksum mismatch. */
  resends: number;
  /** Chunks lost and retransmitted, and the time their retransmission timeouts cost [ms]. */
  lostChunks: number;
  retransmitMs: number;
  /** Why it failed, when verified is false. */
  reason?: string;
}

/** A run started (so the summary can say a transfer was resumed). */
export interface RunRecord {
  type: 'run';
  start: number;
  pid: number;
}

export type JournalRecord = FileRecord | RunRecord;

export class Journal {
  readonly path: string;

  constructor(readonly dst: string) {
    this.path = join(dst, STATE_DIR, JOURNAL_NAME);
  }

  async read(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: JournalRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as JournalRecord;
        if (r && (r.type === 'file' || r.type === 'run')) out.push(r);
      } catch {
        // The last line of a killed run may be cut short.
      }
    }
    return out;
  }

  async append(record: JournalRecord): Promise<void> {
    await mkdir(join(this.dst, STATE_DIR), { recursive: true });
    // A leading newline isolates this record from a torn line a killed run may have left.
    await appendFile(this.path, `\n${JSON.stringify(record)}`);
  }
}
