/** The event log (sequence numbers, retention, replay, gaps), the heartbeat, and the clocks. */
import { describe, expect, it } from 'vitest';
import { AbortedError, EventLog, FakeClock, RealClock } from '../src/index.js';
import { fakeEmulator } from './helpers.js';

describe('EventLog', () => {
  it('numbers events, keeps the last N, and replays from a sequence number', () => {
    const clock = new FakeClock();
    const log = new EventLog(clock, 'ATCamera', 100);
    for (let i = 0; i < 250; i++) log.publish('heartbeat', { heartbeat: true });
    expect(log.lastSeq).toBe(250);
    expect(log.firstSeq).toBeGreaterThan(100);
    expect(log.firstSeq).toBeLessThanOrEqual(151);
    const r = log.replay(200);
    expect(r.gap).toBe(false);
    expect(r.events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));
    expect(log.replay(10).gap).toBe(true);
    expect(log.replay(999).gap).toBe(true);
    const e = log.latest('heartbeat')!;
    expect(e.data).toMatchObject({ heartbeat: true, private_seqNum: 250, private_identity: 'ATCamera', private_sndStamp: clock.now() / 1000 });
  });
});

describe('heartbeat', () => {
  it('beats once a second of emulated time', async () => {
    const t = await fakeEmulator('latiss', { heartbeat: true });
    try {
      const before = t.events.filter((e) => e.name === 'heartbeat').length;
      await t.clock.advance(5000);
      const beats = t.events.filter((e) => e.name === 'heartbeat');
      expect(beats.length - before).toBe(5);
      const stamps = beats.map((b) => b.data.private_sndStamp);
      expect(stamps.slice(1).map((s, i) => s - stamps[i]!)).toEqual(Array(stamps.length - 1).fill(1));
    } finally {
      await t.emulator.close();
    }
  });
});

describe('clocks', () => {
  it('FakeClock fires sleeps in order at exact times and honours abort', async () => {
    const c = new FakeClock(1_000_000);
    const fired: number[] = [];
    void c.sleep(300).then(() => fired.push(c.now()));
    void c.sleep(100).then(() => fired.push(c.now()));
    const ctl = new AbortController();
    const aborted = c.sleep(200, ctl.signal).catch((e: unknown) => e);
    ctl.abort();
    await c.advance(1000);
    expect(fired).toEqual([1_000_100, 1_000_300]);
    expect(await aborted).toMatchObject({ name: 'AbortError' });
    await expect(c.sleep(1, AbortSignal.abort(new AbortedError('stop')))).rejects.toBeInstanceOf(AbortedError);
    expect(c.now()).toBe(1_001_000);
  });

  it('RealClock runs emulated time N times faster', async () => {
    const c = new RealClock(50);
    const w0 = performance.now();
    const e0 = c.now();
    await c.sleep(1000);
    const wall = performance.now() - w0;
    expect(c.now() - e0).toBeGreaterThanOrEqual(1000);
    expect(wall).toBeGreaterThanOrEqual(19);
    expect(wall).toBeLessThan(200);
    const zero = new RealClock(0);
    const z0 = performance.now();
    await zero.sleep(3_600_000);
    expect(performance.now() - z0).toBeLessThan(100);
  });
});
