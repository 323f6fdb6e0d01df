#!/usr/bin/env node
/**
 * The daqsim command. Each subcommand is a module under commands/ exporting `register(program)`.
 * Exit codes: 0 success, 1 the work failed (e.g. verify found problems), 2 bad input or usage.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { VERSION } from '@daqsim/core';
import { register as frame } from './commands/frame.js';
import { register as night } from './commands/night.js';
import { register as rehearse } from './commands/rehearse.js';
import { register as report } from './commands/report.js';
import { register as s3 } from './commands/s3.js';
import { register as transfer } from './commands/transfer.js';
import { serveCommand } from './commands/serve.js';
import { register as verify } from './commands/verify.js';
import { runProgram } from './run-program.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('daqsim')
    .description('Synthesize Rubin camera raws and emulate the camera DAQ for rehearsals, pipeline tests and CI')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const register of [frame, night, verify, transfer, report, rehearse, s3]) register(program);
  program.addCommand(serveCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}

function invokedDirectly(): boolean {
  try {
    // Through the bin link too: compare real paths, not names.
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) await main(process.argv);
