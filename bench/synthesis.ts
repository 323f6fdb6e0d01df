/**
 * Synthesis throughput: OBJECT frames of the ComCam raft (9 CCDs x 16 amps x 576 x 2048 = 170 Mpx) with every
 * default effect, rendered by the worker pool with 1 and 2 workers. Printed next to two references measured in the
 * same run: Int32Array.fill over the same amount of memory (the memory-speed limit) and a numpy script that makes
 * one CCD of bias + read noise + Poisson sky (what a scripted simulator does), as ratios. A last figure streams
 * several exposures through 2 workers with a bounded window of CCDs in flight, the sustained rate of a night.
 *
 *   node --conditions=daqsim-source --import tsx bench/synthesis.ts [--runs N] [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { argNumber, emit, quick, row, stat, type Stat } from './lib.js';
import { Tai, getCamera } from '@daqsim/core';
import { SynthesisPool, prepareExposure } from '@daqsim/core';


const runs = argNumber('runs', quick ? 2 : 5);
/**
 * Exposures rendered before timing. A fresh pool's workers need several CCDs each before V8 has optimized the scene
 * code, and each worker fills its own catalog cache with the cells of the CCDs it happens to get: measured on two
 * workers, rafts 1-6 ran at 53, 392, 282, 406, 441 and 481 Mpx/s, and 473-552 from then on.
 */
const WARMUP = 5;

const camera = getCamera('comcam');
const detectors = camera.detectors.map((d) => d.name);
const PX_PER_CCD = 16 * 576 * 2048;
const totalPx = detectors.length * PX_PER_CCD;

/** Exposure `seq`, at the bench's field or, with `move`, 0.7 deg further east per exposure (new sky each time). */
function planFor(seq: number, move = false): ReturnType<typeof prepareExposure>['plan'] {
  const ra = 53.1 + (move ? 0.7 * (seq - 100) : 0);
  return prepareExposure(
    'comcam',
    { imageType: 'OBJECT', start: Tai.fromIso('2025-10-16T03:00:00').plus(seq * 40), expTime: 30, seqNum: seq, filter: 'r_03', pointing: { ra, dec: -28.1, rotPA: 0 } },
    { seed: 1 },
  ).plan;
}

/** One raft exposure at a time; with `move`, every exposure is on new sky, so its catalog cells are generated too. */
async function synth(workers: number, move = false): Promise<Stat> {
  const pool = new SynthesisPool(workers);
  const rates: number[] = [];
  try {
    for (let r = -WARMUP; r < runs; r++) {
      const plan = planFor(100 + r, move);
      const t0 = performance.now();
      const ccds = await Promise.all(detectors.map((d) => pool.renderCcd(plan, d)));
      const dt = (performance.now() - t0) / 1000;
      for (const c of ccds) pool.release(c);
      if (r >= 0) rates.push(totalPx / dt / 1e6);
    }
  } finally {
    await pool.close();
  }
  return stat(rates);
}

/**
 * Sustained rate: several exposures' CCDs streamed through the pool with a bounded window in flight, as a night
 * renders them. One raft alone leaves a worker idle at its end (9 CCDs on 2 workers); a stream does not.
 */
async function streamed(workers: number, exposures: number, window: number): Promise<Stat> {
  const pool = new SynthesisPool(workers);
  const rates: number[] = [];
  try {
    for (let r = -1; r < runs; r++) {
      const jobs = Array.from({ length: exposures }, (_, e) => planFor(200 + r * exposures + e)).flatMap((plan) => detectors.map((d) => ({ plan, d })));
      const t0 = performance.now();
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < jobs.length) {
          const { plan, d } = jobs[next++]!;
          pool.release(await pool.renderCcd(plan, d));
        }
      };
      await Promise.all(Array.from({ length: window }, lane));
      const dt = (performance.now() - t0) / 1000;
      if (r >= 0) rates.push((exposures * totalPx) / dt / 1e6);
    }
  } finally {
    await pool.close();
  }
  return stat(rates);
}

function fillRate(): Stat {
  const bufs = detectors.map(() => new Int32Array(PX_PER_CCD));
  const rates: number[] = [];
  for (let r = -1; r < runs; r++) {
    const t0 = performance.now();
    for (const b of bufs) b.fill(20000 + r);
    const dt = (performance.now() - t0) / 1000;
    if (r >= 0) rates.push(totalPx / dt / 1e6);
  }
  return stat(rates);
}

const NUMPY = `
import time, numpy as np
rng = np.random.default_rng(1)
n = ${PX_PER_CCD}
rates = []
for r in range(${runs + 1}):
    t0 = time.perf_counter()
    img = (20000 + rng.normal(0, 5, n) + rng.poisson(700, n)).astype(np.int32)
    dt = time.perf_counter() - t0
    if r > 0: rates.append(n / dt / 1e6)
print(" ".join(str(x) for x in rates))
`;

function numpyRate(): Stat | null {
  if (!existsSync('/usr/bin/python3')) return null;
  const r = spawnSync('/usr/bin/python3', ['-c', NUMPY], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return stat(r.stdout.trim().split(/\s+/).map(Number));
}

console.log(`synthesis bench: ComCam raft OBJECT, ${(totalPx / 1e6).toFixed(0)} Mpx per exposure, ${runs} runs after ${WARMUP} warm-up exposures`);
const fill = fillRate();
const np = numpyRate();
const one = await synth(1);
const two = await synth(2);
const twoMoving = await synth(2, true);
const STREAM = { exposures: quick ? 2 : 4, window: 12 };
const twoStreamed = await streamed(2, STREAM.exposures, STREAM.window);
emit('synthesis', [
  row({ case: 'synthesis', figure: 'synthesis, ComCam raft OBJECT, 1 worker', value: one, unit: 'Mpx/s', reference: 'Int32Array.fill (memory speed)', referenceValue: fill }),
  row({ case: 'synthesis', figure: 'synthesis, ComCam raft OBJECT, 2 workers', value: two, unit: 'Mpx/s', reference: 'Int32Array.fill (memory speed)', referenceValue: fill }),
  row({ case: 'synthesis', figure: 'synthesis, 2 workers', value: two, unit: 'Mpx/s', reference: 'numpy bias + read noise + Poisson sky', referenceValue: np }),
  row({ case: 'synthesis', figure: 'synthesis, 2 workers', value: two, unit: 'Mpx/s', reference: '1 worker', referenceValue: one }),
  row({
    case: 'synthesis',
    figure: 'synthesis, 2 workers, new sky every exposure (catalog cells generated)',
    value: twoMoving,
    unit: 'Mpx/s',
    reference: '2 workers, same field',
    referenceValue: two,
  }),
  row({
    case: 'synthesis',
    figure: `synthesis, 2 workers, ${STREAM.exposures} raft exposures streamed (${STREAM.window} CCDs in flight)`,
    value: twoStreamed,
    unit: 'Mpx/s',
    reference: 'Int32Array.fill (memory speed)',
    referenceValue: fill,
  }),
]);
