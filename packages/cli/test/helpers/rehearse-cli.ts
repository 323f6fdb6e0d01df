/**
 * The daqsim command with `rehearse` registered, for tests that run it as a child process before (and after)
 * main.ts registers it itself.
 */
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/main.js';
import { register } from '../../src/commands/rehearse.js';

const program = buildProgram();
if (!program.commands.some((c) => c.name() === 'rehearse')) register(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // As main(): --help exits 0, a command's own error keeps its code, other parse failures are usage errors.
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? 0 : e.code === 'commander.error' ? e.exitCode : 2;
}
