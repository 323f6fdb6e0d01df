/**
 * Shared test fixtures: a small, fast renderer, an emulator on a fake clock with an in-memory store, and event
 * collection helpers.
 */
import { Header, type HduSpec } from '@daqsim/fits';
import { FakeClock, DaqEmulator, InlineEncoder, MemoryStore, defaultConfig, type AnyDaqEvent, type CameraKey, type DaqConfig, type EmulatorDeps, type ExposureRecord, type FrameRenderer } from '../src/index.js';

/** Primary header + two tiny amps: enough for a valid file without the cost of full-size CCDs. */
export class TinyRenderer implements FrameRenderer {
  calls: Array<{ obsId: string; detector: string }> = [];
  async renderCcd(e: ExposureRecord, detector: string, opts: { compress: boolean }): Promise<HduSpec[]> {
    this.calls.push({ obsId: e.obsId, detector });
    const p = new Header().set('OBSID', e.obsId).set('GROUPID', e.groupId).set('IMGTYPE', e.imageType).setFloat('EXPTIME', e.expTime).set('CCDSLOT', detector.slice(4)).set('EMUIMAGE', e.emulatedImage);
    const amp = (name: string): HduSpec => ({
      header: new Header().set('EXTNAME', name),
      data: new Int32Array(32 * 8).fill(1000),
      shape: [32, 8],
      compress: opts.compress ? { algorithm: 'RICE_1' } : false,
    });
    return [{ header: p }, amp('Segment10'), amp('Segment11')];
  }
}

export interface TestEmulator {
  emulator: DaqEmulator;
  clock: FakeClock;
  store: MemoryStore;
  renderer: TinyRenderer;
  events: AnyDaqEvent[];
}

export async function fakeEmulator(camera: CameraKey = 'latiss', overrides: Partial<DaqConfig> = {}, deps: EmulatorDeps = {}): Promise<TestEmulator> {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const renderer = new TinyRenderer();
  const config: DaqConfig = { ...defaultConfig(camera), store: null, heartbeat: false, initialState: 'ENABLED', ...overrides };
  const emulator = await DaqEmulator.create(config, { clock, store, renderer, encoder: new InlineEncoder(), ...deps });
  const events: AnyDaqEvent[] = [...emulator.events.replay(0).events];
  emulator.events.subscribe((e) => events.push(e));
  return { emulator, clock, store, renderer, events };
}

export function names(events: readonly AnyDaqEvent[]): string[] {
  return events.map((e) => e.name);
}
