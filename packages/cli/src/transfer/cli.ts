/**
 * The CLI face of the transfer: option parsing into TransferOptions, a progress line on a TTY, the human or JSON
 * summary, and exit codes (0 all verified, 1 verification failures, 2 usage errors).
 */
import { ManifestError } from './manifest.js';
import { TransferError } from './errors.js';
import { parseRate } from './rate.js';
import { formatSummary } from './summary.js';
import { type TransferProgress, transferNight } from './transfer.js';
import { formatBytes } from './rate.js';

/** Options as commander hands them over (strings, flags). */
export interface TransferCliOptions {
  rate: string;
  latency?: string;
  loss?: string;
  corrupt?: string;
  seed?: string;
  maxResends?: string;
  site?: string;
  json?: boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

function number(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new TransferError('USAGE', `--${what} must be a number, got ${JSON.stringify(text)}`);
  return v;
}

function progressPrinter(stderr: CliIo['stderr']): (p: TransferProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.filesDone < p.filesTotal) return;
    last = now;
    const pct = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesSent) / p.bytesTotal) : 100;
    const line = `${p.filesDone}/${p.filesTotal} files  ${formatBytes(p.bytesSent)} of ${formatBytes(p.bytesTotal)} (${pct.toFixed(0)}%)  ${p.file}`;
    stderr.write(`\r\x1b[2K${line.slice(0, 120)}`);
  };
}

/** Run `daqsim transfer SRC DST`; resolves to the exit code. */
export async function runTransferCli(src: string, dst: string, o: TransferCliOptions, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const rate = parseRate(o.rate);
    const showProgress = !o.json && io.stderr.isTTY === true;
    const { summary, exitCode } = await transferNight({
      src,
      dst,
      rate,
      rateLabel: o.rate,
      latencyMs: number(o.latency, 'latency', 0),
      loss: number(o.loss, 'loss', 0),
      corrupt: number(o.corrupt, 'corrupt', 0),
      seed: number(o.seed, 'seed', 1),
      maxResends: number(o.maxResends, 'max-resends', 1),
      site: o.site ?? 'USDF',
      ...(showProgress ? { onProgress: progressPrinter(io.stderr) } : {}),
    });
    if (showProgress) io.stderr.write('\r\x1b[2K');
    io.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    return exitCode;
  } catch (err) {
    if (err instanceof TransferError) {
      io.stderr.write(`daqsim transfer: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ManifestError) {
      io.stderr.write(`daqsim transfer: bad manifest: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`daqsim transfer: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
