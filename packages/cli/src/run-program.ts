/**
 * Parse and run a commander program with the daqsim exit-code contract: --help and --version 0, usage errors 2,
 * otherwise whatever the command set in process.exitCode. Used by main.ts and by command modules run alone.
 */
import { Command, CommanderError } from 'commander';

export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // A command's own error() keeps the exit code it chose; any other parse failure (unknown option, missing or
      // invalid argument) is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : e.code === 'commander.error' ? e.exitCode : 2;
      return;
    }
    throw e;
  }
}

/** Run one command module outside main.ts, under the same contract. */
export async function runStandalone(register: (program: Command) => void, argv: string[]): Promise<void> {
  const program = new Command('daqsim').showHelpAfterError().exitOverride();
  register(program);
  await runProgram(program, argv);
}
