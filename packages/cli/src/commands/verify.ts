/** `daqsim verify`: check every file of a night and exit non-zero with a readable list of problems. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { verifyNight } from '@daqsim/core';
import { EXIT, UsageError, runCommand } from '../shared/output.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('check a night directory: manifest complete and exact, FITS structure, checksums, required keywords, identifiers unique and consistent')
    .argument('<dir>', 'night directory (holding manifest.json)')
    .option('--deep', 'also decode every amp (checksums already cover the stored bytes)')
    .option('--json', 'machine-readable report')
    .action((dir: string, o: { deep?: boolean; json?: boolean }) =>
      runCommand(o, async () => {
        if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`, 'dir');
        const report = await verifyNight(dir, { deep: o.deep ?? false });
        if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          for (const p of report.problems) process.stdout.write(`${p.kind.padEnd(10)} ${p.path || '(night)'}: ${p.message}\n`);
          process.stdout.write(
            `${report.ok ? 'OK' : 'FAILED'}: ${report.filesChecked} files in ${report.exposures} exposures, ${report.problems.length} problem(s)\n`,
          );
        }
        return report.ok ? EXIT.OK : EXIT.FAILED;
      }),
    );
}
