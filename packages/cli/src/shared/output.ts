/**
 * What every daqsim subcommand shares: exit codes scripts can rely on, JSON or human output, progress only on a
 * TTY, and typed errors turned into one clear line (or a JSON object) instead of a stack trace.
 */
import { DaqsimError } from '@daqsim/core';
import { FitsError } from '@daqsim/fits';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OutputOptions {
  json?: boolean;
}

/** Run a command body; map errors to exit codes (2 for bad input, 1 for anything else) and a readable message. */
export async function runCommand(opts: OutputOptions, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? EXIT.OK;
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof DaqsimError || (e instanceof FitsError && e.code === 'USAGE');
    const field = e instanceof UsageError ? e.field : e instanceof DaqsimError ? (e.details.field as string | undefined) : undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: { code: e instanceof DaqsimError || e instanceof FitsError ? e.code : usage ? 'USAGE' : 'FAILED', message, ...(field ? { field } : {}) } })}\n`);
    } else {
      process.stderr.write(`daqsim: ${message}\n`);
    }
    process.exitCode = usage ? EXIT.USAGE : EXIT.FAILED;
  }
}

/** A one-line progress indicator on a TTY; silent otherwise (logs and CI stay clean). */
export function progress(label: string): { update(done: number, total: number, note?: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, total, note = '') {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = 30;
      const fill = Math.round((done / Math.max(1, total)) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${note}`.padEnd(100).slice(0, 100));
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export function parseIntOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`, name);
  return n;
}

export function parseNumberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number ${min}..${max}, got ${JSON.stringify(value)}`, name);
  return n;
}
