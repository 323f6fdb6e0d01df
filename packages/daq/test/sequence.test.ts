/**
 * Sequence numbers survive restarts: no OBSID is issued twice for a day_obs, even after SIGKILL.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AckCode, DaqEmulator, FakeClock, FileSequenceCounter, InlineEncoder, defaultConfig, type DaqEvent } from '../src/index.js';
import { TinyRenderer } from './helpers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'daqsim-seq-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/allocate-forever.ts', import.meta.url));

async function takeOne(store: string, clock: FakeClock): Promise<string[]> {
  const emulator = await DaqEmulator.create(
    { ...defaultConfig('latiss'), store, heartbeat: false, initialState: 'ENABLED' },
    { clock, renderer: new TinyRenderer(), encoder: new InlineEncoder() },
  );
  try {
    const names: string[] = [];
    emulator.events.subscribe((e) => {
      if (e.name === 'startIntegration') names.push((e as DaqEvent<'startIntegration'>).data.imageName);
    });
    const h = emulator.csc.command('takeImages', { numImages: 2, expTime: 1, shutter: true });
    let done = false;
    void h.done.then(() => (done = true));
    await clock.runUntil(() => done);
    expect((await h.done).ack).toBe(AckCode.COMPLETE);
    await emulator.writer.idle();
    return names;
  } finally {
    await emulator.close();
  }
}

describe('sequence numbers', () => {
  it('continue after a restart of the emulator', async () => {
    const store = tmp();
    const clock = new FakeClock();
    expect(await takeOne(store, clock)).toEqual(['AT_S_20251015_000001', 'AT_S_20251015_000002']);
    expect(await takeOne(store, clock)).toEqual(['AT_S_20251015_000003', 'AT_S_20251015_000004']);
  });

  it('never go below what the store holds, even without the state file', async () => {
    const store = tmp();
    const clock = new FakeClock();
    await takeOne(store, clock);
    unlinkSync(join(store, '.daqsim', 'ATCamera-latiss-seq.json'));
    expect(await takeOne(store, clock)).toEqual(['AT_S_20251015_000003', 'AT_S_20251015_000004']);
  });

  it('restart per day_obs and allocate contiguous blocks', async () => {
    const path = join(tmp(), 'seq.json');
    const c = await FileSequenceCounter.open(path);
    expect(await c.next(20251015, 3)).toBe(1);
    expect(await c.next(20251015)).toBe(4);
    expect(await c.next(20251016)).toBe(1);
    const again = await FileSequenceCounter.open(path);
    expect(await again.next(20251015)).toBe(5);
    expect(await again.next(20251016)).toBe(2);
  });

  it('refuse a corrupt state file rather than guess', async () => {
    const path = join(tmp(), 'seq.json');
    writeFileSync(path, '{not json');
    await expect(FileSequenceCounter.open(path)).rejects.toMatchObject({ code: 'SEQUENCE' });
  });

  it('are never reissued after kill -9', async () => {
    const path = join(tmp(), 'seq.json');
    const child = spawn(process.execPath, ['--conditions=daqsim-source', '--import', 'tsx', CHILD, path, '20251015'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 30_000;
    while (out.split('\n').length < 40 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(err).toBe('');
    child.kill('SIGKILL');
    await exited;
    const issued = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    expect(issued.length).toBeGreaterThan(20);
    expect(issued).toEqual(issued.map((_, i) => i + 1));
    const after = await FileSequenceCounter.open(path);
    const next = await after.next(20251015);
    expect(next).toBeGreaterThan(Math.max(...issued));
  });
});
