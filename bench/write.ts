/**
 * FITS write to disk, plain and compressed, MB/s of raw pixels, next to the disk's own limits measured in the
 * same run: one fs.writeFile of the same bytes, and dd of the same size (with and without fsync).
 *
 *   node --conditions=daqsim-source --import tsx bench/write.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tai, ccdHdus, prepareExposure, renderCcdInThread } from '@daqsim/core';
import { encodeFits, writeFits } from '@daqsim/fits';
import { argNumber, emit, quick, row, stat, type Stat } from './lib.js';

const runs = argNumber('runs', quick ? 3 : 7);
const dir = mkdtempSync(join(tmpdir(), 'daqsim-bench-write-'));
try {
  const { camera, exposure, plan } = prepareExposure(
    'comcam',
    { imageType: 'OBJECT', start: Tai.fromIso('2025-10-16T03:00:00'), expTime: 30, seqNum: 1, filter: 'r_03', pointing: { ra: 53.1, dec: -28.1, rotPA: 0 } },
    { seed: 1 },
  );
  const ccd = renderCcdInThread(plan, 'R22_S11');
  const rawBytes = ccd.amps.reduce((s, a) => s + a.byteLength, 0);
  const plainHdus = ccdHdus(camera, exposure, plan, ccd, { compress: false });
  const riceHdus = ccdHdus(camera, exposure, plan, ccd, { compress: true });
  const fileBytes = encodeFits(plainHdus);

  const time = async (f: (k: number) => Promise<void> | void): Promise<number[]> => {
    const ms: number[] = [];
    for (let k = -1; k < runs; k++) {
      const t0 = performance.now();
      await f(k);
      const dt = performance.now() - t0;
      if (k >= 0) ms.push(dt);
      rmSync(join(dir, `f${k}`), { force: true });
    }
    return ms;
  };
  const mbps = (ms: number[], bytes = rawBytes): Stat => stat(ms.map((t) => bytes / 1e6 / (t / 1000)));

  const plain = mbps(await time((k) => writeFits(join(dir, `f${k}`), plainHdus)));
  const plainSync = mbps(await time((k) => writeFits(join(dir, `f${k}`), plainHdus, { fsync: true })));
  const rice = mbps(await time((k) => writeFits(join(dir, `f${k}`), riceHdus)));
  const writeFile = mbps(
    await time((k) => {
      writeFileSync(join(dir, `f${k}`), fileBytes);
    }),
    fileBytes.length,
  );
  const writeFileSync_ = mbps(
    await time((k) => {
      const fd = openSync(join(dir, `f${k}`), 'w');
      writeFileSync(fd, fileBytes);
      fsyncSync(fd);
      closeSync(fd);
    }),
    fileBytes.length,
  );
  const dd = (sync: boolean): Stat | null => {
    if (spawnSync('sh', ['-c', 'command -v dd']).status !== 0) return null;
    const count = Math.ceil(fileBytes.length / (4 << 20));
    const ms: number[] = [];
    for (let k = -1; k < runs; k++) {
      const out = join(dir, `dd${k}`);
      const t0 = performance.now();
      const r = spawnSync('dd', ['if=/dev/zero', `of=${out}`, 'bs=4M', `count=${count}`, ...(sync ? ['conv=fsync'] : [])]);
      const dt = performance.now() - t0;
      rmSync(out, { force: true });
      if (r.status !== 0) return null;
      if (k >= 0) ms.push(dt);
    }
    return stat(ms.map((t) => (count * (4 << 20)) / 1e6 / (t / 1000)));
  };
  const ddPlain = dd(false);
  const ddSync = dd(true);
  emit('write', [
    row({ case: 'write', figure: 'FITS write, plain CCD, no fsync', value: plain, unit: 'MB/s', reference: 'fs.writeFile of the same bytes', referenceValue: writeFile }),
    row({ case: 'write', figure: 'FITS write, plain CCD, no fsync', value: plain, unit: 'MB/s', reference: 'dd (whole process)', referenceValue: ddPlain }),
    row({ case: 'write', figure: 'FITS write, plain CCD, fsync', value: plainSync, unit: 'MB/s', reference: 'fs.writeFile + fsync', referenceValue: writeFileSync_ }),
    row({ case: 'write', figure: 'FITS write, plain CCD, fsync', value: plainSync, unit: 'MB/s', reference: 'dd conv=fsync (whole process)', referenceValue: ddSync }),
    row({ case: 'write', figure: 'FITS write, RICE_1 CCD (compress in the calling thread)', value: rice, unit: 'MB/s raw', reference: 'fs.writeFile of the plain bytes', referenceValue: writeFile }),
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
