/**
 * A stand-alone `daqsim report` (the same command module main.ts registers):
 *   node --conditions=daqsim-source --import tsx packages/cli/src/report/cli-entry.ts report DIR --out report.html
 */
import { register } from '../commands/report.js';
import { runStandalone } from '../run-program.js';

await runStandalone(register, process.argv);
