/**
 * A stand-alone `daqsim transfer` (the same command module main.ts registers), so tests and scripts can run and
 * kill the transfer as its own process:
 *   node --conditions=daqsim-source --import tsx packages/cli/src/transfer/cli-entry.ts transfer SRC DST --rate 8Mbit
 */
import { register } from '../commands/transfer.js';
import { runStandalone } from '../run-program.js';

await runStandalone(register, process.argv);
