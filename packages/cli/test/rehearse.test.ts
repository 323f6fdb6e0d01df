/**
 * `daqsim rehearse`: the fixture scenarios against in-process emulators (high time scale, constant pixels), the
 * recording checked line by line (every command, its acks and events in order, the image cycle of every image, one
 * endTakeImage per takeImages, faults showing up as their events), the CLI as a child process, a running server
 * driven by URL across the day_obs rollover, restarts, and bad scenarios giving exit 2 with the field named.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig, startServer } from '@daqsim/daq';
import { tempDir } from '../../../test/support/tools.js';
import { register } from '../src/commands/rehearse.js';
import { runRehearsal } from '../src/rehearse/runner.js';
import { ScenarioError, checkScenario, loadScenario } from '../src/rehearse/scenario.js';
import { RehearsalClock } from '../src/rehearse/target.js';
import type { RehearsalSummary } from '../src/rehearse/summary.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./helpers/rehearse-cli.ts', import.meta.url));
const fixture = (name: string): string => join(ROOT, 'fixtures/scenarios', name);

interface Line {
  n: number;
  kind: string;
  tai: string;
  wall: string;
  night?: number;
  step?: string;
  command?: string;
  cmdId?: number;
  ack?: number;
  code?: string;
  seq?: number;
  name?: string;
  data?: Record<string, unknown>;
  fault?: { id: string };
  phase?: string;
  dayObs?: number;
  summary?: RehearsalSummary;
}

function readRecording(path: string): Line[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const TAI_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

/** The properties every recording must have, whatever the scenario. */
function checkRecording(lines: Line[]): void {
  expect(lines[0]!.kind).toBe('rehearsal');
  expect(lines.at(-1)!.kind).toBe('summary');
  lines.forEach((l, i) => {
    expect(l.n).toBe(i + 1);
    expect(l.tai).toMatch(TAI_ISO);
    expect(Number.isNaN(Date.parse(l.wall))).toBe(false);
  });
  // Events in stream order (per emulator: sequence numbers restart with a restarted one).
  let last = 0;
  for (const e of lines.filter((l) => l.kind === 'event' || (l.kind === 'note' && /restarting/.test(String((l as { message?: string }).message))))) {
    if (e.kind === 'note') last = 0;
    else {
      expect(e.seq!).toBeGreaterThan(last);
      last = e.seq!;
    }
  }
  // Every command has exactly one ack line after it, and the stream's ackcmd events of that command (INPROGRESS or
  // an immediate FAILED first, then the final one) lie between the two.
  const commands = lines.filter((l) => l.kind === 'command');
  const acks = lines.filter((l) => l.kind === 'ack');
  expect(acks.length).toBe(commands.length);
  commands.forEach((c, i) => {
    const a = acks[i]!;
    expect(a.command).toBe(c.command);
    expect(a.n).toBeGreaterThan(c.n);
    const between = lines.filter((l) => l.n > c.n && l.n < a.n);
    expect(between.some((l) => l.kind === 'command'), `command ${c.n} overlaps another`).toBe(false);
    const ackcmds = between.filter((l) => l.name === 'ackcmd' && l.data!.cmdId === a.cmdId).map((l) => l.data!.ack);
    if (a.code !== 'TIMEOUT') expect(ackcmds.at(-1)).toBe(a.ack);
    if (ackcmds.length > 1) expect(ackcmds[0]).toBe(301);
  });
  // The image cycle of every image, in order; open-shutter images have their four shutter events inside it.
  const events = lines.filter((l) => l.kind === 'event');
  const images = [...new Set(events.filter((e) => e.name === 'startIntegration').map((e) => String(e.data!.imageName)))];
  for (const image of images) {
    const at = (name: string): number => events.find((e) => e.name === name && (e.data!.imageName === image || e.data!.obsId === image))?.n ?? -1;
    const order = ['imageReadoutParameters', 'startIntegration', 'startReadout', 'endReadout', 'endOfImageTelemetry', 'fileTransferPerImageSummary'].map(at);
    if (order[3]! < 0) continue; // never read out (a CSC fault during integration)
    for (const [i, n] of order.entries()) expect(n, `${image}: step ${i} of the image cycle`).toBeGreaterThan(i === 0 ? 0 : order[i - 1]!);
  }
  // One endTakeImage per completed takeImages, inside its command..ack window.
  commands.forEach((c, i) => {
    if (c.command !== 'takeImages' || acks[i]!.code !== 'COMPLETE') return;
    const inside = events.filter((e) => e.name === 'endTakeImage' && e.n > c.n && e.n < acks[i]!.n);
    expect(inside.length).toBe(1);
  });
  const completed = commands.filter((c, i) => c.command === 'takeImages' && acks[i]!.code === 'COMPLETE').length;
  expect(events.filter((e) => e.name === 'endTakeImage').length).toBe(completed);
}

describe('daqsim rehearse', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('runs the two-night ComCam fixture and records every command, ack and event in order', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const record = join(dir, 'comcam.jsonl');
      const scenario = loadScenario(fixture('comcam-rehearsal.yaml'), { store: join(dir, 'store') });
      const summary = await runRehearsal(scenario, { record });
      expect(summary.failures).toEqual([]);
      expect(summary.ok).toBe(true);
      // Night 2 is the next day_obs: the emulator's clock skipped to the same time one day later.
      expect(summary.nights.map((n) => n.dayObs)).toEqual([20251015, 20251016]);
      expect(summary.nights.map((n) => n.start.slice(0, 16))).toEqual(['2025-10-16T03:00', '2025-10-17T03:00']);
      expect(summary.images.taken).toBe(12);
      expect(summary.images.names.filter((n) => n.startsWith('CC_S_20251015_'))).toHaveLength(6);
      expect(summary.images.names.filter((n) => n.startsWith('CC_S_20251016_'))).toHaveLength(6);
      expect(summary.images.names).toContain('CC_S_20251016_000001');
      expect(summary.files).toMatchObject({ expected: 20, written: 20, missing: 0, pending: [] });
      const lines = readRecording(record);
      checkRecording(lines);
      expect(lines.at(-1)!.summary!.ok).toBe(true);
      expect(lines.filter((l) => l.kind === 'night' && l.phase === 'begin').map((l) => l.dayObs)).toEqual([20251015, 20251016]);
      // Each night's fault fires on the next takeImages' first image, on the detector it names, as a faultInjected event.
      const armed = lines.filter((l) => l.kind === 'faultArmed');
      expect(armed).toHaveLength(2);
      for (const a of armed) {
        const fired = lines.find((l) => l.name === 'faultInjected' && l.data!.faultId === a.fault!.id && l.n > a.n)!;
        expect(fired.data).toMatchObject({ kind: 'fileTruncated', detector: 'R22_S12' });
        const next = lines.find((l) => l.name === 'startIntegration' && l.n > a.n)!;
        expect(fired.data!.imageName).toBe(next.data!.imageName);
      }
      expect(summary.faults.map((f) => [f.kind, f.fired])).toEqual([['fileTruncated', 1], ['fileTruncated', 1]]);
      expect(summary.faults[0]!.showedUp[0]).toMatch(/^faultInjected CC_S_20251015_000005 R22_S12: .*truncated/);
      // The filter changes were recorded as commands with their events.
      expect(lines.filter((l) => l.name === 'endSetFilter' && l.data!.filterName === 'i_06')).toHaveLength(2);
    } finally {
      cleanup();
    }
  });

  it('runs the LATISS fixture as a child process: JSON summary, expected failure and fault recovery, exit 0', () => {
    const { dir, cleanup } = tempDir();
    try {
      const record = join(dir, 'sub/latiss.jsonl');
      const r = spawnSync(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', ENTRY, 'rehearse', 'fixtures/scenarios/latiss-quick.yaml', '--record', record, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as RehearsalSummary;
      expect(summary).toMatchObject({ ok: true, camera: 'latiss', csc: 'ATCamera', started: true, timeScale: 100 });
      expect(summary.commands.expectedFailures).toBe(1);
      expect(summary.commands.acks).toMatchObject({ FAILED: 1 });
      const [lost, fault] = summary.faults;
      expect(lost!.kind).toBe('ccdNotWritten');
      expect(lost!.showedUp.some((s) => /^fileTransferPerImageSummary AT_S_20251015_\d{6}: 0 of 1 files \(missing R00_S00\)/.test(s))).toBe(true);
      expect(fault!.kind).toBe('cscFault');
      expect(fault!.showedUp).toEqual(expect.arrayContaining(['errorCode 42: injected: shutter controller lost', 'summaryState FAULT', 'takeImages FAILED: Failed: CSC went to FAULT: injected: shutter controller lost']));
      expect(summary.files).toMatchObject({ written: summary.files.expected - 1, missing: 1 });
      checkRecording(readRecording(record));
    } finally {
      cleanup();
    }
  });

  it('exits 1 when a step does not end as expected, naming the step', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'bad-night.yaml');
      writeFileSync(
        file,
        [
          'camera: latiss',
          'start: { timeScale: 0, pixels: constant, heartbeat: false }',
          'steps:',
          '  - state: ENABLED',
          '  - fault: { kind: cscFault, when: integration }',
          '  - takeImages: { numImages: 1, expTime: 0, keyValueMap: { imageType: BIAS } }',
          '  - takeImages: { numImages: 1, expTime: 0, keyValueMap: { imageType: BIAS } }',
        ].join('\n'),
      );
      const out = await runCli(['rehearse', file, '--record', join(dir, 'r.jsonl'), '--json', '--fail-fast']);
      expect(out.code).toBe(1);
      const summary = JSON.parse(out.stdout) as RehearsalSummary;
      expect(summary.ok).toBe(false);
      // --fail-fast: the second takeImages is never sent.
      expect(summary.failures).toEqual([expect.objectContaining({ step: 'steps[2]', command: 'takeImages', expected: 'COMPLETE', outcome: 'FAILED' })]);
      expect(summary.commands.acks.FAILED).toBe(1);
      expect(readRecording(join(dir, 'r.jsonl')).filter((l) => l.command === 'takeImages' && l.kind === 'command')).toHaveLength(1);
    } finally {
      cleanup();
    }
  });

  it('drives a running server by URL over WebSocket, across the day_obs rollover', async () => {
    const { dir, cleanup } = tempDir();
    // A separate emulator with a heartbeat, two emulated minutes before the rollover at 100x; its clock is held until
    // the rehearsal starts so the machine's speed does not eat the margin.
    const clock = new RehearsalClock(100, Date.parse('2025-10-16T11:58:00Z'));
    const server = await startServer({ ...defaultConfig('comcam'), port: 0, store: null, timeScale: 100, pixels: 'constant' }, { clock });
    try {
      const file = join(dir, 'remote.yaml');
      writeFileSync(
        file,
        [
          'camera: comcam',
          'server: { url: http://127.0.0.1:1 }', // replaced by --url
          'nights: 2',
          'steps:',
          '  - state: ENABLED',
          '  - takeImages: { numImages: 1, expTime: 0, keyValueMap: { imageType: BIAS }, sensors: R22_S11 }',
        ].join('\n'),
      );
      const record = join(dir, 'remote.jsonl');
      clock.go();
      const summary = await runRehearsal(loadScenario(file, { url: server.url }), { record, transport: 'ws' });
      expect(summary).toMatchObject({ ok: true, started: false, timeScale: 100 });
      expect(summary.nights.map((n) => n.dayObs)).toEqual([20251015, 20251016]);
      expect(summary.images.names).toEqual(['CC_S_20251015_000001', 'CC_S_20251016_000001']);
      const lines = readRecording(record);
      checkRecording(lines);
      expect(lines.some((l) => l.name === 'heartbeat')).toBe(true);
      // The server keeps running: the rehearsal only closes what it started.
      expect((await (await fetch(`${server.url}/api/v1/CCCamera/state`)).json()) as { summaryState: string }).toMatchObject({ summaryState: 'ENABLED' });
    } finally {
      await server.close();
      cleanup();
    }
  }, 60_000);

  it('restarts an in-process emulator one day later with between: restart (any time scale)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const scenario = checkScenario({
        camera: 'comcam',
        start: { timeScale: 0, pixels: 'constant', heartbeat: false, startTime: '2025-10-16T03:00:00', store: join(dir, 'store') },
        nights: 2,
        between: 'restart',
        steps: [{ state: 'ENABLED' }, { takeImages: { numImages: 2, expTime: 0, keyValueMap: { imageType: 'BIAS' }, sensors: ['R22_S00'] } }],
      });
      const record = join(dir, 'r.jsonl');
      const summary = await runRehearsal(scenario, { record });
      expect(summary.ok).toBe(true);
      expect(summary.nights.map((n) => [n.dayObs, n.epoch])).toEqual([
        [20251015, 1],
        [20251016, 2],
      ]);
      expect(summary.images.names).toEqual(['CC_S_20251015_000001', 'CC_S_20251015_000002', 'CC_S_20251016_000001', 'CC_S_20251016_000002']);
      expect(summary.files).toMatchObject({ expected: 4, written: 4 });
      const lines = readRecording(record);
      checkRecording(lines);
      // Night 2's emulator starts exactly one day after night 1's.
      expect(lines.find((l) => l.kind === 'night' && l.phase === 'begin' && l.night === 2)!.tai).toMatch(/^2025-10-17T03:00:00/);
    } finally {
      cleanup();
    }
  });

  describe('bad scenarios', () => {
    const base = { camera: 'comcam', start: { timeScale: 100 } };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['no camera', { start: {}, steps: [{ wait: 1 }] }, 'camera'],
      ['unknown camera', { camera: 'hsc', start: {}, steps: [{ wait: 1 }] }, 'camera'],
      ['server and start', { ...base, server: { url: 'http://127.0.0.1:8123' }, steps: [{ wait: 1 }] }, 'start'],
      ['neither server nor start', { camera: 'comcam', steps: [{ wait: 1 }] }, 'server'],
      ['bad server url', { camera: 'comcam', server: { url: 'ftp://x' }, steps: [{ wait: 1 }] }, 'server.url'],
      ['unknown top-level field', { ...base, step: [], steps: [{ wait: 1 }] }, 'step'],
      ['no steps', { ...base, steps: [] }, 'steps'],
      ['misspelt action', { ...base, steps: [{ takeImage: { expTime: 1 } }] }, 'steps[0].takeImage'],
      ['two actions', { ...base, steps: [{ wait: 1, setFilter: 'r_03' }] }, 'steps[0]'],
      ['expTime not a number', { ...base, steps: [{ takeImages: { numImages: 1, expTime: 'ten' } }] }, 'steps[0].takeImages.expTime'],
      ['expTime missing', { ...base, steps: [{ takeImages: { numImages: 1 } }] }, 'steps[0].takeImages.expTime'],
      ['numImages 0', { ...base, steps: [{ takeImages: { numImages: 0, expTime: 1 } }] }, 'steps[0].takeImages.numImages'],
      ['unknown takeImages field', { ...base, steps: [{ takeImages: { expTime: 1, filter: 'r' } }] }, 'steps[0].takeImages.filter'],
      ['BIAS with the shutter open', { ...base, steps: [{ takeImages: { expTime: 0, shutter: true, keyValueMap: { imageType: 'BIAS' } } }] }, 'steps[0].takeImages.shutter'],
      ['unknown image type', { ...base, steps: [{ takeImages: { expTime: 1, keyValueMap: { imageType: 'SELFIE' } } }] }, 'steps[0].takeImages.keyValueMap.imageType'],
      ['comma in a keyValueMap value', { ...base, steps: [{ takeImages: { expTime: 1, keyValueMap: { imageType: 'FLAT', reason: 'a, b' } } }] }, 'steps[0].takeImages.keyValueMap.reason'],
      ['unknown sensor', { ...base, steps: [{ takeImages: { expTime: 1, sensors: ['R22_S33'] } }] }, 'steps[0].takeImages.sensors'],
      ['setFilter on LATISS', { camera: 'latiss', start: {}, steps: [{ setFilter: 'SDSSg_65mm~empty' }] }, 'steps[0].setFilter'],
      ['unknown filter', { ...base, steps: [{ setFilter: 'r_57' }] }, 'steps[0].setFilter'],
      ['unknown state', { ...base, steps: [{ state: 'FAULT' }] }, 'steps[0].state'],
      ['unknown fault kind', { ...base, steps: [{ fault: { kind: 'meteor' } }] }, 'steps[0].fault.kind'],
      ['fault on a missing detector', { ...base, steps: [{ fault: { kind: 'ccdNotWritten', detector: 'R01_S00' } }] }, 'steps[0].fault.detector'],
      ['unknown fault field', { ...base, steps: [{ fault: { kind: 'fileLate', delay: 1, late: true } }] }, 'steps[0].fault.late'],
      ['expect on a wait', { ...base, steps: [{ wait: 1, expect: 'FAILED' }] }, 'steps[0].expect'],
      ['bad expect', { ...base, steps: [{ setFilter: 'r_03', expect: 'MAYBE' }] }, 'steps[0].expect'],
      ['nested bad wait', { ...base, steps: [{ repeat: { count: 2, steps: [{ state: 'ENABLED' }, { wait: -1 }] } }] }, 'steps[0].repeat.steps[1].wait'],
      ['repeat count 0', { ...base, steps: [{ repeat: { count: 0, steps: [{ wait: 1 }] } }] }, 'steps[0].repeat.count'],
      ['command that has its own step', { ...base, steps: [{ command: { name: 'enable' } }] }, 'steps[0].command.name'],
      ['command parameter of the wrong type', { ...base, steps: [{ command: { name: 'clear', params: { nClears: 'two' } } }] }, 'steps[0].command.params.nClears'],
      ['negative time scale', { ...base, start: { timeScale: -1 }, steps: [{ wait: 1 }] }, 'start.timeScale'],
      ['bad pixels', { ...base, start: { pixels: 'noise' }, steps: [{ wait: 1 }] }, 'start.pixels'],
      ['bad start time', { ...base, start: { startTime: 'yesterday' }, steps: [{ wait: 1 }] }, 'start.startTime'],
      ['unknown start field', { ...base, start: { speed: 2 }, steps: [{ wait: 1 }] }, 'start.speed'],
      ['bad config timing', { ...base, start: { config: { timing: { readout: 'slow' } } }, steps: [{ wait: 1 }] }, 'start.config.timing.readout'],
      ['nights 0', { ...base, nights: 0, steps: [{ wait: 1 }] }, 'nights'],
      ['waiting for day_obs at time scale 0', { ...base, start: { timeScale: 0 }, nights: 2, steps: [{ wait: 1 }] }, 'between'],
      ['restart without start', { camera: 'comcam', server: { url: 'http://127.0.0.1:8123' }, between: 'restart', steps: [{ wait: 1 }] }, 'between'],
    ];
    it.each(cases)('%s -> %s', (_label, data, field) => {
      let error: unknown;
      try {
        checkScenario(data);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as ScenarioError).field).toBe(field);
      expect((error as ScenarioError).message).toContain(field);
    });

    it('accepts deliberate refusals when the step expects them', () => {
      const s = checkScenario({ ...base, steps: [{ setFilter: 'r_57', expect: 'FAILED' }, { takeImages: { numImages: 0, expTime: 1 }, expect: 'FAILED' }] });
      expect(s.steps.map((x) => x.type)).toEqual(['setFilter', 'takeImages']);
    });

    it('exits 2 with the field named, as text and as JSON, before touching an emulator', async () => {
      const { dir, cleanup } = tempDir();
      try {
        const file = join(dir, 'typo.yaml');
        writeFileSync(file, 'camera: comcam\nstart: { timeScale: 10 }\nsteps:\n  - takeImages: { numImages: 2, expTime: 1O }\n');
        const text = await runCli(['rehearse', file, '--record', join(dir, 'never.jsonl')]);
        expect(text.code).toBe(2);
        expect(text.stderr).toContain('steps[0].takeImages.expTime');
        const json = await runCli(['rehearse', file, '--json']);
        expect(json.code).toBe(2);
        expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', field: 'steps[0].takeImages.expTime' } });
        writeFileSync(file, 'camera: comcam\nsteps: [ { wait: 1 }\n');
        expect((await runCli(['rehearse', file])).stderr).toContain('not valid YAML');
        expect((await runCli(['rehearse', join(dir, 'missing.yaml')])).code).toBe(2);
        expect((await runCli(['rehearse', fixture('latiss-quick.yaml'), '--time-scale', 'fast'])).code).toBe(2);
        const check = await runCli(['rehearse', fixture('comcam-rehearsal.yaml'), '--check']);
        expect(check.code).toBe(0);
        expect(check.stdout).toContain('OK (comcam-rehearsal: comcam, in-process emulator at time scale 600, 2 night(s)');
      } finally {
        cleanup();
      }
    });
  });
});

/** Run the command in-process on a fresh commander program (register only), capturing output and the exit code. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'daqsim', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}
