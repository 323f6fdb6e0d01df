/**
 * Scripted faults: each one produces its observable behaviour, and each firing is published as faultInjected (and a
 * WARNING logMessage) so a rehearsal can score whether it was noticed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FitsFile } from '@daqsim/fits';
import { AckCode, LogLevel, type BucketNotification, type DaqEvent, type FaultSpec, type NotificationTarget } from '../src/index.js';
import { fakeEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator | undefined;
afterEach(async () => {
  await t?.emulator.close();
  t = undefined;
});

class Capture implements NotificationTarget {
  readonly name = 'capture';
  keys: string[] = [];
  async deliver(n: BucketNotification): Promise<void> {
    this.keys.push(n.Records[0]!.s3.object.key);
  }
}

async function run(p: Promise<unknown>): Promise<void> {
  let done = false;
  void p.then(() => (done = true));
  await t!.clock.runUntil(() => done);
}

async function take(n = 1, sensors = ''): Promise<number> {
  const h = t!.emulator.csc.command('takeImages', { numImages: n, expTime: 1, shutter: true, sensors });
  await run(h.done);
  await t!.emulator.writer.idle();
  await t!.emulator.dispatcher.idle();
  return (await h.done).ack;
}

function injected(kind: string): DaqEvent<'faultInjected'>[] {
  return t!.events.filter((e): e is DaqEvent<'faultInjected'> => e.name === 'faultInjected' && e.data.kind === kind);
}

function warned(kind: string): boolean {
  return t!.events.some((e) => e.name === 'logMessage' && (e.data as { level: number; message: string }).level === LogLevel.WARNING && (e.data as { message: string }).message.includes(`(${kind})`));
}

const fits = (): string[] => [...t!.store.objects.keys()].filter((k) => k.endsWith('.fits.fz')).sort();
const summary = (): DaqEvent<'fileTransferPerImageSummary'>[] => t!.events.filter((e): e is DaqEvent<'fileTransferPerImageSummary'> => e.name === 'fileTransferPerImageSummary');

describe('file faults', () => {
  it('ccdNotWritten: the CCD has no file, no sidecar and no notification; the summary counts it missing', async () => {
    const capture = new Capture();
    t = await fakeEmulator('comcam', {}, { targets: [capture] });
    t.emulator.csc.armFault({ kind: 'ccdNotWritten', detector: 'R22_S11' });
    expect(await take(1, 'R22_S10:R22_S11:R22_S12')).toBe(AckCode.COMPLETE);
    expect(fits().map((k) => k.slice(-15))).toEqual(['R22_S10.fits.fz', 'R22_S12.fits.fz']);
    expect([...t.store.objects.keys()].some((k) => k.includes('R22_S11'))).toBe(false);
    expect(capture.keys).toHaveLength(2);
    expect(summary()[0]!.data).toMatchObject({ expected: 3, written: 2, missingBeforeResend: 1 });
    expect(injected('ccdNotWritten')[0]!.data).toMatchObject({ detector: 'R22_S11', imageName: 'CC_S_20251015_000001' });
    expect(warned('ccdNotWritten')).toBe(true);
    // count 1 by default: the next image is whole.
    await take(1, 'R22_S11');
    expect(fits().filter((k) => k.includes('R22_S11'))).toHaveLength(1);
  });

  it('ampNotWritten: the file lacks the amp HDU', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'ampNotWritten', amp: 'C11' });
    await take();
    const f = FitsFile.fromBytes(t.store.objects.get(fits()[0]!)!);
    expect(await f.hduCount()).toBe(2);
    expect(await f.findExtension('Segment11')).toBe(-1);
    expect(await f.findExtension('Segment10')).toBe(1);
    expect(injected('ampNotWritten')[0]!.data).toMatchObject({ amp: 'Segment11', detector: 'R00_S00' });
  });

  it('headerKeywordMissing: the keyword is gone from the file and its sidecar', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'headerKeywordMissing', keyword: 'GROUPID' });
    await take();
    const key = fits()[0]!;
    const f = FitsFile.fromBytes(t.store.objects.get(key)!);
    expect((await f.header(0)).has('GROUPID')).toBe(false);
    expect((await f.header(0)).has('OBSID')).toBe(true);
    const sidecar = JSON.parse(new TextDecoder().decode(t.store.objects.get(key.replace('.fits.fz', '.json'))!)) as Record<string, unknown>;
    expect(sidecar.GROUPID).toBeUndefined();
    expect(sidecar.OBSID).toBe('AT_S_20251015_000001');
  });

  it('fileTruncated: the stored file is cut short and unreadable', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'fileTruncated', bytes: 4000 });
    await take();
    const bytes = t.store.objects.get(fits()[0]!)!;
    expect(bytes.length).toBe(4000);
    const f = FitsFile.fromBytes(bytes);
    await expect(f.readImage(2)).rejects.toThrow();
    expect(injected('fileTruncated')[0]!.data.detail).toContain('truncated to 4000 bytes');
  });

  it('fileLate: the file appears `delay` seconds after the others would', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'fileLate', delay: 30 });
    const h = t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    await run(h.done);
    const eot = t.events.find((e) => e.name === 'endOfImageTelemetry')!.data.private_sndStamp;
    expect(fits()).toHaveLength(0);
    await t.clock.advance(29_000);
    expect(fits()).toHaveLength(0);
    await t.clock.advance(2_000);
    await t.emulator.writer.idle();
    expect(fits()).toHaveLength(1);
    const written = t.events.find((e): e is DaqEvent<'fitsFilesWritten'> => e.name === 'fitsFilesWritten')!;
    expect(written.data.timestampFilesWritten - eot).toBeCloseTo(30, 3);
  });

  it('slowStorage: every write is delayed until the fault is cleared', async () => {
    t = await fakeEmulator('latiss');
    const f = t.emulator.csc.armFault({ kind: 'slowStorage', delay: 5, count: 0 });
    for (let i = 0; i < 2; i++) {
      const h = t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
      await run(h.done);
      const eot = t.events.filter((e) => e.name === 'endOfImageTelemetry').at(-1)!.data.private_sndStamp;
      await t.clock.advance(6_000);
      await t.emulator.writer.idle();
      const w = t.events.filter((e): e is DaqEvent<'fitsFilesWritten'> => e.name === 'fitsFilesWritten').at(-1)!;
      expect(w.data.timestampFilesWritten - eot).toBeCloseTo(5, 3);
    }
    expect(injected('slowStorage')).toHaveLength(2);
    expect(t.emulator.csc.clearFaults(f.id)).toBe(1);
    await take();
    const eot = t.events.filter((e) => e.name === 'endOfImageTelemetry').at(-1)!.data.private_sndStamp;
    const w = t.events.filter((e): e is DaqEvent<'fitsFilesWritten'> => e.name === 'fitsFilesWritten').at(-1)!;
    expect(w.data.timestampFilesWritten - eot).toBeCloseTo(0, 3);
  });
});

describe('notification faults', () => {
  it('notificationDuplicated sends a file notification twice; notificationDropped sends none', async () => {
    const capture = new Capture();
    t = await fakeEmulator('comcam', {}, { targets: [capture] });
    t.emulator.csc.armFault({ kind: 'notificationDuplicated', detector: 'R22_S00' });
    t.emulator.csc.armFault({ kind: 'notificationDropped', detector: 'R22_S22' });
    await take(1, 'R22_S00:R22_S11:R22_S22');
    const count = (d: string): number => capture.keys.filter((k) => k.includes(d)).length;
    expect([count('R22_S00'), count('R22_S11'), count('R22_S22')]).toEqual([2, 1, 0]);
    expect(fits()).toHaveLength(3);
    expect(injected('notificationDuplicated')).toHaveLength(1);
    expect(injected('notificationDropped')).toHaveLength(1);
  });
});

describe('camera faults', () => {
  it('readoutHang: no endReadout, the command hangs until stop', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'readoutHang' });
    const h = t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    await t.clock.advance(3_600_000);
    expect(t.events.some((e) => e.name === 'startReadout')).toBe(true);
    expect(t.events.some((e) => e.name === 'endReadout')).toBe(false);
    expect(t.emulator.csc.snapshot().busy).toMatchObject({ command: 'takeImages' });
    expect(injected('readoutHang')).toHaveLength(1);
    await t.emulator.csc.command('stop', {}).done;
    expect((await h.done).ack).toBe(AckCode.ABORTED);
    expect(fits()).toHaveLength(0);
  });

  it('notReady: notReadyToTakeImage, takeImages refused, ready again after the duration', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'notReady', duration: 10 });
    expect(t.events.at(-1)?.name === 'notReadyToTakeImage' || t.events.some((e) => e.name === 'notReadyToTakeImage')).toBe(true);
    const h = t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    expect(h.first.result).toBe('Failed: takeImages refused: camera is not ready to take images (notReadyToTakeImage)');
    await t.clock.advance(10_000);
    expect(t.events.filter((e) => e.name === 'readyToTakeImage').length).toBe(2);
    expect(await take()).toBe(AckCode.COMPLETE);
    expect(injected('notReady')).toHaveLength(1);
  });

  it('notReady without a duration lasts until cleared', async () => {
    t = await fakeEmulator('latiss');
    const f = t.emulator.csc.armFault({ kind: 'notReady' });
    await t.clock.advance(3_600_000);
    expect(t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true }).first.ack).toBe(AckCode.FAILED);
    expect(t.emulator.csc.snapshot().faults.map((x) => x.id)).toContain(f.id);
    expect(t.emulator.csc.clearFaults(f.id)).toBe(1);
    expect(t.emulator.csc.snapshot().detailedStates.imageReadinessDetailedState).toBe('READY');
    expect(await take()).toBe(AckCode.COMPLETE);
  });

  it('cscFault at readout: FAULT with the errorCode when the readout starts', async () => {
    t = await fakeEmulator('latiss');
    t.emulator.csc.armFault({ kind: 'cscFault', when: 'readout', errorCode: 1301, errorReport: 'DAQ partition lost' });
    const h = t.emulator.csc.command('takeImages', { numImages: 1, expTime: 1, shutter: true });
    await run(h.done);
    expect(await h.done).toMatchObject({ ack: AckCode.FAILED, result: 'Failed: CSC went to FAULT: DAQ partition lost' });
    expect(t.emulator.csc.summaryState).toBe('FAULT');
    expect(t.events.filter((e) => e.name === 'errorCode').at(-1)!.data).toMatchObject({ errorCode: 1301 });
    const names = t.events.map((e) => e.name);
    expect(names.indexOf('faultInjected')).toBeGreaterThan(names.indexOf('startReadout'));
    expect(names.includes('endReadout')).toBe(false);
  });

  it('faults from the config are armed at start-up', async () => {
    const faults: FaultSpec[] = [{ kind: 'ccdNotWritten' }, { kind: 'notificationDropped', count: 2 }];
    t = await fakeEmulator('latiss', { faults });
    expect(t.emulator.csc.snapshot().faults.map((f) => f.kind)).toEqual(['ccdNotWritten', 'notificationDropped']);
    await take();
    expect(fits()).toHaveLength(0);
    expect(injected('ccdNotWritten')).toHaveLength(1);
  });
});
