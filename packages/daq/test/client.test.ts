/**
 * The typed client: command methods, takeImages resolving at endTakeImage, errors for FAILED and TIMEOUT acks, and
 * a filtered event iterator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AckCode,
  CommandFailedError,
  CommandTimeoutError,
  DaqClient,
  HttpError,
  InlineEncoder,
  MemoryStore,
  RealClock,
  defaultConfig,
  startServer,
  type AnyDaqEvent,
  type RunningServer,
} from '../src/index.js';
import { TinyRenderer } from './helpers.js';
import { Tai } from '@daqsim/core';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A fixed instant in a Rubin night when the test's field (RA 30, Dec -30) is well above the horizon: with the
// wall clock, the OBJECT exposure failed its horizon check for part of every day.
const NIGHT_START = Tai.fromIso('2025-10-16T03:00:00').ms;

async function start(extra: Parameters<typeof defaultConfig>[0] = 'latiss', overrides = {}): Promise<DaqClient> {
  server = await startServer(
    { ...defaultConfig(extra), store: null, port: 0, heartbeat: false, initialState: 'OFFLINE', commandTimeoutGrace: 1, ...overrides },
    { clock: new RealClock(50, NIGHT_START), renderer: new TinyRenderer(), store: new MemoryStore(), encoder: new InlineEncoder() },
  );
  return new DaqClient({ baseUrl: server.url, csc: server.emulator.profile.csc });
}

describe('DaqClient', () => {
  it('drives the CSC to ENABLED and resolves takeImages at endTakeImage', async () => {
    const cam = await start();
    await cam.toEnabled();
    expect((await cam.state()).summaryState).toBe('ENABLED');
    const r = await cam.takeImages({ numImages: 2, expTime: 1, shutter: true, keyValueMap: 'imageType: OBJECT, ra: 30, dec: -30' });
    expect(r.ack.ack).toBe(AckCode.COMPLETE);
    expect(r.imageNames).toHaveLength(2);
    const names = r.events.map((e) => e.name);
    expect(names).toContain('endTakeImage');
    // Resolved at endTakeImage: the command's last events are endTakeImage, then its COMPLETE ack.
    expect(names.indexOf('endTakeImage')).toBeLessThan(names.lastIndexOf('ackcmd'));
    const si = r.events.filter((e) => e.name === 'startIntegration') as Array<AnyDaqEvent & { data: { additionalKeys: string } }>;
    expect(si[0]!.data.additionalKeys).toBe('imageType:ra:dec:groupId');
  });

  it('throws CommandFailedError for a FAILED ack and CommandTimeoutError for a timeout', async () => {
    const cam = await start();
    await expect(cam.enable()).rejects.toBeInstanceOf(CommandFailedError);
    await expect(cam.enable()).rejects.toMatchObject({ ack: { ack: AckCode.FAILED, result: 'Failed: enable not allowed in state OFFLINE' } });
    await cam.toEnabled();
    await cam.armFault({ kind: 'readoutHang' });
    const err = await cam.takeImages({ numImages: 1, expTime: 0.5, shutter: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as CommandTimeoutError).ack.ack).toBe(AckCode.TIMEOUT);
    await cam.stop();
    await expect(cam.armFault({ kind: 'ccdNotWritten', detector: 'R99_S99' })).rejects.toBeInstanceOf(HttpError);
    expect(await cam.clearFaults()).toEqual({ cleared: 0 });
  });

  it('iterates over chosen events', async () => {
    const cam = await start();
    await cam.toEnabled();
    const ctl = new AbortController();
    const got: string[] = [];
    const since = (await cam.state()).eventSeq;
    const reader = (async () => {
      for await (const e of cam.events({ since, names: ['startIntegration', 'endReadout'], signal: ctl.signal })) {
        got.push(`${e.name} ${(e.data as { imageName: string }).imageName}`);
        if (got.length === 4) ctl.abort();
      }
    })();
    const r = await cam.takeImages({ numImages: 2, expTime: 0.5, shutter: false, keyValueMap: 'imageType: DARK' });
    await reader;
    const [a, b] = r.imageNames;
    expect(got).toEqual([`startIntegration ${a}`, `endReadout ${a}`, `startIntegration ${b}`, `endReadout ${b}`]);
  });
});
