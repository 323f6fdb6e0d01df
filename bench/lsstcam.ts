/**
 * One full LSSTCam visit: the 189 science CCDs synthesized and Rice-compressed (in the workers), held in memory
 * only as long as it takes to count them, against the 2 s readout and the ~34 s visit cadence.
 *
 *   node --conditions=daqsim-source --import tsx bench/lsstcam.ts [--workers 2]
 */
import { SynthesisPool, Tai, getCamera, prepareExposure } from '@daqsim/core';
import { argNumber, emit, quick, row } from './lib.js';

const workers = argNumber('workers', 2);
const camera = getCamera('lsstcam');
const all = camera.detectors.filter((d) => d.role === 'science').map((d) => d.name);
const detectors = quick ? all.slice(0, 9) : all;
const { plan } = prepareExposure(
  'lsstcam',
  { imageType: 'OBJECT', start: Tai.fromIso('2025-10-16T03:00:00'), expTime: 30, seqNum: 1, filter: 'r_57', pointing: { ra: 53.1, dec: -28.1, rotPA: 0 } },
  { seed: 1 },
);
const pool = new SynthesisPool(workers);
let compressed = 0;
const t0 = performance.now();
try {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < detectors.length) {
      const d = detectors[next++]!;
      const ccd = await pool.renderCcd(plan, d, { compress: true });
      compressed += ccd.compressed!.reduce((s, c) => s + c.data.length, 0);
      pool.release(ccd);
    }
  };
  await Promise.all(Array.from({ length: workers * 2 }, lane));
} finally {
  await pool.close();
}
const seconds = (performance.now() - t0) / 1000;
const one = (v: number): { min: number; median: number; max: number } => ({ min: v, median: v, max: v });
emit('lsstcam', [
  row({
    case: 'lsstcam',
    figure: `LSSTCam visit, ${detectors.length} science CCDs synthesized + compressed (${(compressed / 1e9).toFixed(2)} GB)`,
    value: one(seconds),
    unit: 's',
    reference: 'readout time (2 s)',
    referenceValue: one(2),
  }),
  row({ case: 'lsstcam', figure: 'LSSTCam visit time', value: one(seconds), unit: 's', reference: 'visit cadence (34 s)', referenceValue: one(34) }),
]);
