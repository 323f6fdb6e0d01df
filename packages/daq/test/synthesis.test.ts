/**
 * The emulator with real pixels: takeImages writes frames synthesized by @daqsim/core's worker pool (compressed in
 * the workers and passed through the encoder as prepared HDUs), reproducible from the seed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FitsFile } from '@daqsim/fits';
import { AckCode, DaqEmulator, FakeClock, InlineEncoder, MemoryStore, defaultConfig, type DaqConfig, type FitsEncoder } from '../src/index.js';

let open: DaqEmulator[] = [];
afterEach(async () => {
  await Promise.all(open.map((e) => e.close()));
  open = [];
});

async function takeOne(seed: number, encoder?: FitsEncoder): Promise<{ bytes: Uint8Array; key: string }> {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const config: DaqConfig = { ...defaultConfig('latiss'), store: null, heartbeat: false, initialState: 'ENABLED', pixels: 'synthetic', seed };
  const emulator = await DaqEmulator.create(config, { clock, store, ...(encoder ? { encoder } : {}) });
  open.push(emulator);
  const h = emulator.csc.command('takeImages', { numImages: 1, expTime: 10, shutter: true, keyValueMap: 'imageType: OBJECT' });
  let done = false;
  void h.done.then(() => (done = true));
  expect(await clock.runUntil(() => done, 3_600_000)).toBe(true);
  expect((await h.done).ack).toBe(AckCode.COMPLETE);
  // Files land once the workers have rendered them; the fake clock does not pace the workers.
  for (let i = 0; i < 600; i++) {
    const files = (await store.list('')).filter((o) => o.key.endsWith('.fits.fz'));
    if (files.length > 0) {
      const obj = await store.get(files[0]!.key);
      return { bytes: await obj!.bytes(), key: files[0]!.key };
    }
    await clock.advance(100);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no file written');
}

describe('synthetic pixels in the emulator', () => {
  it('writes a physical frame, the same for the same seed, through either encoder', async () => {
    const a = await takeOne(7, new InlineEncoder());
    const b = await takeOne(7);
    const c = await takeOne(8, new InlineEncoder());
    expect(a.key).toBe(b.key);
    const amps = async (bytes: Uint8Array): Promise<Int32Array[]> => {
      const f = FitsFile.fromBytes(bytes);
      const n = await f.hduCount();
      const out: Int32Array[] = [];
      for (let i = 1; i < n; i++) {
        expect(await f.verifyChecksums(i)).toEqual({ checksum: 'ok', datasum: 'ok' });
        out.push((await f.readImage(i)).data as Int32Array);
      }
      return out;
    };
    const pa = await amps(a.bytes);
    const pb = await amps(b.bytes);
    const pc = await amps(c.bytes);
    expect(pa).toHaveLength(16);
    for (let k = 0; k < 16; k++) expect(Buffer.compare(Buffer.from(pa[k]!.buffer), Buffer.from(pb[k]!.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(pa[0]!.buffer), Buffer.from(pc[0]!.buffer))).not.toBe(0);
    // Not a constant frame: noise in the overscan, sky and sources above the bias in the data section.
    const amp = pa[0]!;
    const over: number[] = [];
    const data: number[] = [];
    for (let y = 100; y < 1900; y += 7) {
      for (let x = 520; x < 576; x++) over.push(amp[y * 576 + x]!);
      for (let x = 10; x < 500; x++) data.push(amp[y * 576 + x]!);
    }
    const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    const sd = (v: number[]): number => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    expect(sd(over)).toBeGreaterThan(3);
    expect(sd(over)).toBeLessThan(20);
    expect(mean(data)).toBeGreaterThan(mean(over));
  }, 120_000);
});
