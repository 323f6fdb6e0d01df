/** `daqsim report DIR --out report.html`: the nightly report as one self-contained page. Logic in ../report. */
import type { Command } from 'commander';
import { type ReportCliOptions, runReportCli } from '../report/cli.js';

export function register(program: Command): void {
  program
    .command('report')
    .summary('write the nightly report of a night directory as one self-contained HTML page')
    .description(
      'QA every CCD file of a night directory and write one self-contained HTML page (inline CSS, SVG and PNG; no ' +
        'network): a timeline of the night (command, integration, readout, file written, notified, transferred), ' +
        'latency distributions, per-CCD QA from the pixels (overscan bias and read noise per amp, sky level, ' +
        'sources, cosmic rays and hot pixels above 5 sigma, bad columns, saturated fraction), thumbnails, injected ' +
        'faults versus what QA flagged, and QA versus the truth sidecars. DIR/events.jsonl and ' +
        'DIR/transfer-summary.json are used when present and no option names another file.\n\n' +
        'Exit codes: 0 report written, 1 with --fail-on-flags when QA flagged a CCD or missed an injected fault, ' +
        '2 usage or input error.',
    )
    .argument('<dir>', 'night directory with manifest.json (as written by daqsim night or daqsim transfer)')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--events <jsonl>', 'emulator event log, one {name, seq, tai, fields} per line')
    .option('--transfer <json>', 'transfer-summary.json written by daqsim transfer')
    .option('--jobs <n>', 'worker threads for the pixel QA (default: cores, at most 4)')
    .option('--thumbnails <n>', 'most thumbnails on the page', '6')
    .option('--title <text>', 'page title')
    .option('--fail-on-flags', 'exit 1 when QA flagged any CCD or missed an injected fault')
    .option('--json', 'print the QA summary as JSON')
    .action(async (dir: string, opts: ReportCliOptions) => {
      process.exitCode = await runReportCli(dir, opts);
    });
}
