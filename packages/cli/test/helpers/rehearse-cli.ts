/**
 * `daqsim rehearse` as its own small program, for tests that run it as a child process without depending on
 * main.ts (or on the other subcommands' modules) loading; error handling as main() does it.
 */
import { Command, CommanderError } from 'commander';
import { register } from '../../src/commands/rehearse.js';

const program = new Command().name('daqsim').showHelpAfterError().exitOverride();
register(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // As main(): --help exits 0, a command's own error keeps its code, other parse failures are usage errors.
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? 0 : e.code === 'commander.error' ? e.exitCode : 2;
}
