/** The CLI face of the report: options, progress on a TTY, the one-paragraph summary or JSON, exit codes. */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ReportError } from './errors.js';
import { buildNightReport, writeReport } from './report.js';

export interface ReportCliOptions {
  out: string;
  events?: string;
  transfer?: string;
  jobs?: string;
  thumbnails?: string;
  title?: string;
  json?: boolean;
  failOnFlags?: boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

function positiveInt(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min) throw new ReportError('USAGE', `--${what} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

/**
 * Run `daqsim report DIR --out FILE`; resolves to the exit code: 0 written (1 with --fail-on-flags when QA
 * flagged a CCD or missed an injected fault), 2 usage or input errors.
 */
export async function runReportCli(dir: string, o: ReportCliOptions, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const jobs = positiveInt(o.jobs, 'jobs', 1);
    const thumbnails = positiveInt(o.thumbnails, 'thumbnails', 0);
    const tty = !o.json && io.stderr.isTTY === true;
    const t0 = performance.now();
    const { html, summary } = await buildNightReport({
      dir,
      ...(o.events !== undefined ? { events: o.events } : {}),
      ...(o.transfer !== undefined ? { transfer: o.transfer } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(thumbnails !== undefined ? { thumbnails } : {}),
      ...(o.title !== undefined ? { title: o.title } : {}),
      ...(tty ? { onProgress: (done: number, total: number, file: string) => io.stderr.write(`\r\x1b[2KQA ${done}/${total} ${file.slice(-80)}`) } : {}),
    });
    if (tty) io.stderr.write('\r\x1b[2K');
    const out = resolve(o.out);
    await mkdir(dirname(out), { recursive: true });
    await writeReport(out, html);
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) {
      io.stdout.write(`${JSON.stringify({ out, seconds, ...summary }, null, 2)}\n`);
    } else {
      const f = summary.faults;
      io.stdout.write(
        `wrote ${out} (${(summary.htmlBytes / 1024).toFixed(0)} KiB) in ${seconds.toFixed(1)} s: ${summary.exposures} exposures, ${summary.files} CCD files, ` +
          `${summary.flagged} flagged by QA; injected faults: ${f.total} (${f.caught} caught, ${f.missed} missed, ${f.noFileEffect} with no file effect, ${f.noTarget} without a file)\n`,
      );
      for (const r of summary.qa.filter((q) => q.flags.length)) io.stdout.write(`  ${r.path}: ${r.flags.map((x) => `${x.code} (${x.detail})`).join('; ')}\n`);
    }
    return o.failOnFlags && (summary.flagged > 0 || summary.faults.missed > 0) ? 1 : 0;
  } catch (err) {
    if (err instanceof ReportError) {
      io.stderr.write(`daqsim report: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`daqsim report: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
