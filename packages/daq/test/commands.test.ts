/**
 * Acks of every wrong-state and bad-parameter case, the busy camera, stop, and FAULT.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AckCode, COMMANDS, State, type CommandName, type CommandParamMap, type StateName } from '../src/index.js';
import { fakeEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator | undefined;
afterEach(async () => {
  await t?.emulator.close();
  t = undefined;
});

async function settle(p: Promise<unknown>, clock: TestEmulator['clock']): Promise<void> {
  let done = false;
  void p.then(() => (done = true));
  await clock.runUntil(() => done, 3_600_000);
}

/** Minimal valid parameters of each command (so only the state decides). */
const VALID: { [N in CommandName]: CommandParamMap[N] } = {
  enterControl: {},
  start: {},
  enable: {},
  disable: {},
  standby: {},
  exitControl: {},
  setLogLevel: { level: 20 },
  takeImages: { numImages: 1, expTime: 1, shutter: true },
  startImage: { shutter: false, timeout: 10 },
  endImage: {},
  discardRows: { nRows: 1 },
  clear: { nClears: 1 },
  initImage: { deltaT: 1 },
  initGuiders: { roiSpec: '' },
  enableCalibration: {},
  disableCalibration: {},
  stop: {},
  setFilter: { name: 'r_03' },
  wakeFilterChanger: { mode: 1 },
  playlist: { playlist: 'p', folder: '', images: 'x' },
  play: { playlist: 'p' },
  alert: {},
  generic: {},
};

const TRANSITIONS: Record<string, StateName[]> = {
  enterControl: ['OFFLINE'],
  start: ['STANDBY'],
  enable: ['DISABLED'],
  disable: ['ENABLED'],
  standby: ['DISABLED', 'FAULT'],
  exitControl: ['STANDBY'],
};

describe('wrong state', () => {
  for (const state of ['OFFLINE', 'STANDBY', 'DISABLED', 'ENABLED', 'FAULT'] as StateName[]) {
    it(`answers FAILED "<cmd> not allowed in state ${state}" for every command not allowed in ${state}`, async () => {
      const camera = 'comcam';
      const initialState = state === 'FAULT' ? 'ENABLED' : state;
      for (const spec of COMMANDS) {
        if (!spec.cscs.includes('CCCamera') || spec.name === 'setLogLevel') continue;
        const allowed = spec.kind === 'state' ? TRANSITIONS[spec.name]!.includes(state) : state === 'ENABLED';
        if (allowed) continue;
        t = await fakeEmulator(camera, { initialState });
        if (state === 'FAULT') t.emulator.csc.armFault({ kind: 'cscFault', errorCode: 7, errorReport: 'test' });
        expect(t.emulator.csc.summaryState).toBe(state);
        const h = t.emulator.csc.command(spec.name, VALID[spec.name] as never);
        expect(h.first, spec.name).toMatchObject({ ack: AckCode.FAILED, error: 1, result: `Failed: ${spec.name} not allowed in state ${state}` });
        expect(await h.done).toBe(h.first);
        await t.emulator.close();
        t = undefined;
      }
    });
  }

  it('walks the legal transitions with summaryState events', async () => {
    t = await fakeEmulator('latiss', { initialState: 'OFFLINE' });
    const csc = t.emulator.csc;
    for (const [cmd, to] of [['enterControl', 'STANDBY'], ['start', 'DISABLED'], ['enable', 'ENABLED'], ['disable', 'DISABLED'], ['standby', 'STANDBY'], ['exitControl', 'OFFLINE']] as const) {
      const h = csc.command(cmd, {});
      expect(h.first.ack, cmd).toBe(AckCode.INPROGRESS);
      expect((await h.done).ack).toBe(AckCode.COMPLETE);
      expect(csc.summaryState).toBe(to);
      expect(t.events.filter((e) => e.name === 'summaryState').at(-1)!.data).toMatchObject({ summaryState: State[to] });
    }
    expect(t.events.some((e) => e.name === 'configurationApplied')).toBe(true);
    expect(t.events.some((e) => e.name === 'focalPlaneSummaryInfo')).toBe(true);
  });
});

describe('bad parameters', () => {
  const cases: Array<[string, CommandName, Record<string, unknown>, string, string?]> = [
    ['numImages 0', 'takeImages', { numImages: 0, expTime: 1, shutter: true }, 'numImages must be >= 1, got 0'],
    ['numImages too many', 'takeImages', { numImages: 1001, expTime: 1, shutter: true }, 'numImages must be <= 1000, got 1001'],
    ['negative expTime', 'takeImages', { numImages: 1, expTime: -1 }, 'expTime must be >= 0, got -1'],
    ['too long expTime', 'takeImages', { numImages: 1, expTime: 4000, shutter: true }, 'expTime must be <= 3600 s, got 4000'],
    ['short open exposure', 'takeImages', { numImages: 1, expTime: 0.05, shutter: true }, 'expTime must be >= 0.1 s with the shutter open, got 0.05'],
    ['unknown sensor', 'takeImages', { numImages: 1, expTime: 1, shutter: true, sensors: 'R22_S99' }, 'unknown sensor R22_S99'],
    ['keyValueMap without colon', 'takeImages', { numImages: 1, expTime: 1, shutter: true, keyValueMap: 'imageType FLAT' }, 'keyValueMap entry "imageType FLAT" has no ":"'],
    ['unknown imageType', 'takeImages', { numImages: 1, expTime: 1, shutter: true, keyValueMap: 'imageType: SUNSET' }, 'unknown imageType "SUNSET"'],
    ['dark with shutter', 'takeImages', { numImages: 1, expTime: 1, shutter: true, keyValueMap: 'imageType: DARK' }, 'imageType DARK is taken with the shutter closed (shutter: false)'],
    ['flat without shutter', 'takeImages', { numImages: 1, expTime: 1, shutter: false, keyValueMap: 'imageType: FLAT' }, 'imageType FLAT needs the shutter open (shutter: true)'],
    ['bias with exposure', 'takeImages', { numImages: 1, expTime: 1, shutter: false, keyValueMap: 'imageType: BIAS' }, 'a BIAS has EXPTIME 0'],
    ['unknown filter', 'setFilter', { name: 'q_99' }, 'unknown filter "q_99"'],
    ['zero clears', 'clear', { nClears: 0 }, 'nClears must be >= 1, got 0'],
    ['negative deltaT', 'initImage', { deltaT: -1 }, 'deltaT must be >= 0, got -1'],
    ['discardRows outside an integration', 'discardRows', { nRows: 5 }, 'discardRows requires an integration started by startImage'],
    ['startImage outside calibration mode', 'startImage', { timeout: 10 }, 'startImage requires calibration mode (enableCalibration first)'],
    ['endImage without startImage', 'endImage', {}, 'endImage requires an integration started by startImage'],
    ['unknown playlist', 'play', { playlist: 'nope' }, 'no playlist named "nope"'],
    ['playlist without a root', 'playlist', { playlist: 'p', images: 'a' }, 'no playlist root configured (playlistRoot); playback is unavailable'],
    ['alert', 'alert', { alertId: '*' }, 'alert is experimental and not implemented by the camera'],
    ['generic', 'generic', { command: 'rm' }, 'generic command "rm" is not allowed by the OCS bridge configuration'],
  ];
  for (const [what, name, params, message] of cases) {
    it(`fails ${name} for ${what}`, async () => {
      t = await fakeEmulator('comcam');
      const h = t.emulator.csc.command(name, params as never);
      expect(h.first.ack).toBe(AckCode.FAILED);
      expect(h.first.result).toContain(`Failed: ${message}`);
      expect(t.emulator.csc.snapshot().busy).toBeNull();
    });
  }

  it('refuses startImage with a zero timeout and takeImages in calibration mode', async () => {
    t = await fakeEmulator('latiss');
    const csc = t.emulator.csc;
    await csc.command('enableCalibration', {}).done;
    expect(csc.command('startImage', { timeout: 0 }).first.result).toBe('Failed: timeout must be > 0 s, got 0');
    expect(csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true }).first.result).toBe(
      'Failed: takeImages not allowed in calibration mode (disableCalibration first)',
    );
  });

  it('knows which CSC has which command', async () => {
    t = await fakeEmulator('latiss');
    expect(t.emulator.csc.command('setFilter', { name: 'r' }).first.result).toBe('Failed: ATCamera has no command setFilter');
    await t.emulator.close();
    t = await fakeEmulator('comcam');
    expect(t.emulator.csc.command('wakeFilterChanger', { mode: 1 }).first.result).toBe('Failed: CCCamera has no command wakeFilterChanger');
    await t.emulator.close();
    t = await fakeEmulator('lsstcam');
    expect(t.emulator.csc.command('wakeFilterChanger', { mode: 3 }).first.result).toBe('Failed: mode must be 0, 1 or 2, got 3');
  });
});

describe('busy camera', () => {
  it('refuses a concurrent takeImages (and state changes) while one runs, then accepts again', async () => {
    t = await fakeEmulator('latiss');
    const csc = t.emulator.csc;
    const first = csc.command('takeImages', { numImages: 2, expTime: 1, shutter: true });
    expect(first.first.ack).toBe(AckCode.INPROGRESS);
    await t.clock.advance(500);
    const second = csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    expect(second.first).toMatchObject({ ack: AckCode.FAILED, result: 'Failed: camera is busy: takeImages is running (ccsCommandState BUSY)' });
    expect(csc.command('disable', {}).first.result).toBe('Failed: camera is busy: takeImages is running (ccsCommandState BUSY)');
    expect(csc.command('clear', { nClears: 1 }).first.ack).toBe(AckCode.FAILED);
    // setLogLevel is always accepted.
    expect((await csc.command('setLogLevel', { level: 10 }).done).ack).toBe(AckCode.COMPLETE);
    await settle(first.done, t.clock);
    expect((await first.done).ack).toBe(AckCode.COMPLETE);
    const third = csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    expect(third.first.ack).toBe(AckCode.INPROGRESS);
    await settle(third.done, t.clock);
    const names = t.events.filter((e) => e.name === 'startIntegration').map((e) => (e.data as { imageName: string }).imageName);
    expect(names).toEqual(['AT_S_20251015_000001', 'AT_S_20251015_000002', 'AT_S_20251015_000003']);
  });

  it('stop aborts the running takeImages (ABORTED) and writes no file for the interrupted image', async () => {
    t = await fakeEmulator('latiss');
    const csc = t.emulator.csc;
    const take = csc.command('takeImages', { numImages: 3, expTime: 10, shutter: true });
    await t.clock.advance(3000);
    const stop = csc.command('stop', {});
    expect((await stop.done).ack).toBe(AckCode.COMPLETE);
    const ack = await take.done;
    expect(ack).toMatchObject({ ack: AckCode.ABORTED, result: 'Aborted: takeImages stopped by the stop command' });
    await t.emulator.writer.idle();
    expect(t.store.objects.size).toBe(0);
    expect(csc.snapshot().detailedStates).toMatchObject({ shutterDetailedState: 'CLOSED', raftsDetailedState: 'NEEDS_CLEAR', ccsCommandState: 'IDLE' });
    expect(t.events.some((e) => e.name === 'endTakeImage')).toBe(false);
  });
});

describe('FAULT', () => {
  it('goes to FAULT with errorCode, fails the running command, and recovers through standby', async () => {
    t = await fakeEmulator('latiss');
    const csc = t.emulator.csc;
    const take = csc.command('takeImages', { numImages: 2, expTime: 5, shutter: true });
    await t.clock.advance(1000);
    csc.armFault({ kind: 'cscFault', errorCode: 42, errorReport: 'REB power lost' });
    expect((await take.done)).toMatchObject({ ack: AckCode.FAILED, result: 'Failed: CSC went to FAULT: REB power lost' });
    expect(csc.summaryState).toBe('FAULT');
    const ec = t.events.filter((e) => e.name === 'errorCode');
    expect(ec.at(-1)!.data).toMatchObject({ errorCode: 42, errorReport: 'REB power lost' });
    // errorCode comes before summaryState FAULT (salobj fault()).
    const names = t.events.map((e) => e.name);
    expect(names.lastIndexOf('errorCode')).toBeLessThan(names.lastIndexOf('summaryState'));
    expect(t.events.some((e) => e.name === 'faultInjected' && (e.data as { kind: string }).kind === 'cscFault')).toBe(true);
    expect(csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true }).first.result).toBe('Failed: takeImages not allowed in state FAULT');
    expect((await csc.command('standby', {}).done).ack).toBe(AckCode.COMPLETE);
    expect(t.events.filter((e) => e.name === 'errorCode').at(-1)!.data).toMatchObject({ errorCode: 0, errorReport: '' });
  });
});
