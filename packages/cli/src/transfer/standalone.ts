/**
 * Run one command module outside main.ts with the same exit-code contract: --help 0, usage errors 2, otherwise
 * whatever the command set in process.exitCode.
 */
import { Command, CommanderError } from 'commander';

export async function runStandalone(register: (program: Command) => void, argv: string[]): Promise<void> {
  const program = new Command('daqsim').showHelpAfterError().exitOverride();
  register(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : e.code === 'commander.error' ? e.exitCode : 2;
      return;
    }
    throw e;
  }
}
