/**
 * `daqsim rehearse SCENARIO.yaml`: drive a running emulator (or start one) through a scenario, recording every
 * command, ack and event as JSON lines, then summarize. Exit 0 when every step ended as expected, 1 when one did not
 * (or the emulator could not be reached), 2 for a bad scenario or option (the message names the field).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT, UsageError, parseIntOption, parseNumberOption, progress, runCommand } from '../shared/output.js';
import { countSteps, loadScenario, type ScenarioOverrides } from '../rehearse/scenario.js';
import { runRehearsal } from '../rehearse/runner.js';
import { formatSummary } from '../rehearse/summary.js';

interface RehearseOptions {
  record?: string;
  url?: string;
  token?: string;
  timeScale?: string;
  store?: string;
  nights?: string;
  transport: 'sse' | 'ws';
  settle: string;
  failFast?: boolean;
  check?: boolean;
  json?: boolean;
}

/** rehearsal-YYYYMMDDTHHMMSSZ.jsonl from the wall clock (UTC). */
export function defaultRecordName(now = new Date()): string {
  return `rehearsal-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.jsonl`;
}

export function register(program: Command): void {
  program
    .command('rehearse')
    .description('drive a running emulator (or start one) through a scenario of nights, recording every command, ack and event')
    .argument('<scenario>', 'scenario YAML file (format: fixtures/README.md)')
    .option('--record <file>', 'JSONL recording of every command, ack and event (default rehearsal-<UTC time>.jsonl)')
    .option('--url <url>', 'drive this running emulator instead of the scenario\'s server or start (between: skip or restart become wait)')
    .option('--token <token>', 'bearer token for the server (default: the scenario\'s, then $DAQSIM_TOKEN)')
    .option('--time-scale <x>', 'override start.timeScale (1 = real time, N = N times faster, 0 = as fast as possible)')
    .option('--store <dir>', 'override start.store (default: files kept in memory)')
    .option('--nights <n>', 'override nights')
    .addOption(new Option('--transport <kind>', 'event stream').choices(['sse', 'ws']).default('sse'))
    .option('--settle <s>', 'wall seconds to wait at the end of a night for files still being written', '60')
    .option('--fail-fast', 'stop at the first step that does not end as expected')
    .option('--check', 'validate the scenario and exit without driving anything')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  pnpm daqsim rehearse fixtures/scenarios/latiss-quick.yaml\n' +
        '  pnpm daqsim rehearse fixtures/scenarios/comcam-rehearsal.yaml --record out/comcam.jsonl --json\n' +
        '  pnpm daqsim rehearse my-night.yaml --url http://127.0.0.1:8123     # against `daqsim serve`',
    )
    .action((scenario: string, o: RehearseOptions) => runCommand(o, () => rehearse(scenario, o)));
}

async function rehearse(path: string, o: RehearseOptions): Promise<number> {
  const overrides: ScenarioOverrides = {};
  if (o.url !== undefined) overrides.url = o.url;
  if (o.token !== undefined) overrides.token = o.token;
  const timeScale = parseNumberOption('time-scale', o.timeScale, 0, 1e6);
  if (timeScale !== undefined) overrides.timeScale = timeScale;
  if (o.store !== undefined) overrides.store = o.store;
  const nights = parseIntOption('nights', o.nights, 1, 366);
  if (nights !== undefined) overrides.nights = nights;
  const settle = parseNumberOption('settle', o.settle, 0, 86400)!;
  if (o.record === '') throw new UsageError('--record needs a file name', 'record');
  const scenario = loadScenario(path, overrides);
  if (o.check) {
    const steps = countSteps(scenario.steps);
    const where = scenario.server ? `server ${scenario.server.url}` : `in-process emulator at time scale ${scenario.start!.timeScale}`;
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, scenario: path, name: scenario.name, camera: scenario.camera, nights: scenario.nights, stepsPerNight: steps })}\n`);
    else process.stdout.write(`${path}: OK (${scenario.name}: ${scenario.camera}, ${where}, ${scenario.nights} night(s) of ${steps} step(s))\n`);
    return EXIT.OK;
  }
  const bar = progress(`rehearse ${scenario.name}`);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runRehearsal(scenario, {
      record: o.record ?? defaultRecordName(),
      transport: o.transport,
      failFast: o.failFast ?? false,
      settle,
      signal: stop.signal,
      onStep: (done, total, label) => bar.update(done, total, label),
      onNotice: (m) => process.stderr.write(`daqsim rehearse: ${m}\n`),
    });
    bar.done();
    process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return summary.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
