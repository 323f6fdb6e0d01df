/** `daqsim transfer SRC DST --rate R`: the summit-to-data-facility link, emulated. Logic in ../transfer. */
import { type Command, InvalidArgumentError } from 'commander';
import { parseRate } from '../transfer/rate.js';
import { type TransferCliOptions, runTransferCli } from '../transfer/cli.js';
import { runBucketTransfer } from '../transfer/buckets.js';
import { addS3Options, type S3CliOptions } from '../shared/s3.js';
import { runCommand } from '../shared/output.js';

function checkRate(value: string): string {
  try {
    parseRate(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

export function register(program: Command): void {
  const cmd = program
    .command('transfer')
    .summary('copy a night over an emulated summit-to-USDF link, verified and resumable')
    .description(
      'Copy a night directory SRC to DST over an emulated long-haul link: files go one at a time at the given ' +
        'bandwidth (token bucket), each after a per-file latency; a lost chunk costs a retransmission timeout ' +
        '(max(200 ms, 2 x latency)) and is sent again. Every file is checked at the far end against its manifest ' +
        "SHA-256 (or the sender's), placed with a rename, and resent on a mismatch (--max-resends). Rerun the same " +
        'command after an interruption to resume: verified files are skipped and a partial file continues from its ' +
        'length. DST receives manifest.json last, and transfer-summary.json with fileTransferPerImageSummary and ' +
        'fileTransferNightlySummary records.\n\n' +
        'Exit codes: 0 every file verified, 1 missing or unverified files, 2 usage error.',
    )
    .argument('<src>', 'night directory (with manifest.json, as written by daqsim night), or s3://BUCKET/PREFIX')
    .argument('<dst>', 'destination directory (created; reuse it to resume), or s3://BUCKET/PREFIX')
    .requiredOption('--rate <rate>', 'link bandwidth: 40Mbit, 40Mbps, 10MB/s, 1Gbit, 512KiB/s', checkRate)
    .option('--latency <ms>', 'latency per file before its first byte, ms', '0')
    .option('--loss <p>', 'probability that a chunk is lost and resent, 0 <= p < 1', '0')
    .option('--corrupt <p>', 'probability that a file arrives with a flipped byte (caught and resent)', '0')
    .option('--seed <n>', 'seed of the loss and corruption draws', '1')
    .option('--max-resends <n>', 'whole-file resends after a checksum mismatch', '1')
    .option('--site <name>', 'site named in the summaries', 'USDF')
    .option('--json', 'print the summary as JSON instead of a table')
    .action(async (src: string, dst: string, opts: TransferCliOptions & S3CliOptions) => {
      if (src.startsWith('s3://') || dst.startsWith('s3://')) {
        // Bucket to bucket (the summit-to-USDF hop between object stores): rate-limited copy, then sha256 checks.
        await runCommand(opts, () => runBucketTransfer(src, dst, { ...opts, rate: opts.rate }));
        return;
      }
      process.exitCode = await runTransferCli(src, dst, opts);
    });
  addS3Options(cmd);
}
