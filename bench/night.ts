/**
 * The high-volume path: N ComCam raft images (9 CCDs each) synthesized, compressed and written, as `daqsim night`
 * does, with disk use kept bounded: each exposure is written to a temp dir, every file's checksums verified and
 * its bytes counted, then the exposure is deleted. Reports wall time, raft images per second against the real
 * cadence (one raft image per ~34 s: 30 s exposure, 2 s readout and overheads) and the peak RSS of the process
 * (worker threads included). bench/run.ts runs it at several lengths for the scaling table.
 *
 *   node --conditions=daqsim-source --import tsx bench/night.ts [--exposures 200] [--workers 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExposureRenderer, Tai } from '@daqsim/core';
import { FitsFile } from '@daqsim/fits';
import { argNumber, emit, quick, row } from './lib.js';

const n = argNumber('exposures', quick ? 3 : 200);
const workers = argNumber('workers', 2);
const CADENCE_S = 34;
const root = mkdtempSync(join(tmpdir(), 'daqsim-bench-night-'));
const renderer = new ExposureRenderer({ workers });
let bytes = 0;
let files = 0;
const t0 = performance.now();
try {
  const start = Tai.fromIso('2025-10-16T01:00:00');
  for (let k = 0; k < n; k++) {
    const written = await renderer.writeExposure(
      root,
      'comcam',
      {
        imageType: 'OBJECT',
        start: start.plus(k * CADENCE_S),
        expTime: 30,
        seqNum: k + 1,
        filter: 'r_03',
        pointing: { ra: 53.1 + (k % 10) * 0.01, dec: -28.1, rotPA: 0 },
      },
      { compress: true, synth: { seed: 1 } },
    );
    for (const f of written) {
      const fits = await FitsFile.open(f.path);
      const hdus = await fits.hduCount();
      for (let i = 0; i < hdus; i++) {
        const v = await fits.verifyChecksums(i);
        if (v.checksum !== 'ok' || v.datasum !== 'ok') throw new Error(`${f.path} HDU ${i} failed its checksums`);
      }
      bytes += fits.size;
      await fits.close();
      files++;
    }
    if (written[0]) rmSync(dirname(written[0].path), { recursive: true, force: true });
  }
} finally {
  await renderer.close();
  rmSync(root, { recursive: true, force: true });
}
const seconds = (performance.now() - t0) / 1000;
const rss = process.resourceUsage().maxRSS / 1024;
const one = (v: number): { min: number; median: number; max: number } => ({ min: v, median: v, max: v });
emit(`night-${n}`, [
  row({ case: 'night', figure: `${n} ComCam raft images (${files} CCD files, ${(bytes / 1e9).toFixed(2)} GB compressed): wall time`, value: one(seconds), unit: 's' }),
  row({
    case: 'night',
    figure: `${n} raft images: raft images per second`,
    value: one(n / seconds),
    unit: 'raft/s',
    reference: `real cadence (1 per ${CADENCE_S} s)`,
    referenceValue: one(1 / CADENCE_S),
  }),
  row({ case: 'night', figure: `${n} raft images: peak RSS`, value: one(rss), unit: 'MB', note: 'written to a temp dir, verified, counted and deleted per exposure' }),
]);
