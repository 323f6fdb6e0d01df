/**
 * The main job until the CLI lands: write one LSST-like CCD (16 int32 amps of 576x2048: bias, read noise and sky)
 * plain and RICE_1-compressed to ./out/, read both back, verify checksums and data, and print a summary.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FitsFile, Header, writeFits, type HduSpec } from '@daqsim/fits';

const W = 576;
const H = 2048;
const SEGMENTS = ['10', '11', '12', '13', '14', '15', '16', '17', '07', '06', '05', '04', '03', '02', '01', '00'];

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const out = process.argv[2] ?? 'out';
mkdirSync(out, { recursive: true });
const noise = gaussian(20261125);
const amps = SEGMENTS.map((seg, k) => {
  const a = new Int32Array(W * H);
  const bias = 15000 + 37 * k;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inData = x >= 3 && x < 512 && y < 2000;
      a[y * W + x] = Math.round(bias + 7 * noise() + (inData ? 700 + Math.sqrt(700) * noise() : 0));
    }
  }
  return { seg, data: a };
});

const primary = new Header()
  .set('ORIGIN', 'daqsim', 'fits demo')
  .setFloat('EXPTIME', 30, 'exposure time [s]')
  .comment('daqsim FITS demo: bias 15000 ADU, read noise 7 ADU, sky 700 ADU in the data section');
const hdus = (compress: boolean): HduSpec[] => [
  { header: primary },
  ...amps.map(({ seg, data }) => ({
    header: new Header().set('EXTNAME', `Segment${seg}`).set('DATASEC', '[4:512,1:2000]'),
    data,
    shape: [W, H],
    ...(compress ? { compress: { algorithm: 'RICE_1' as const } } : {}),
  })),
];

for (const [name, compress] of [['demo_ccd.fits', false], ['demo_ccd.fits.fz', true]] as const) {
  const path = join(out, name);
  const t0 = performance.now();
  await writeFits(path, hdus(compress));
  const t1 = performance.now();
  const f = await FitsFile.open(path);
  const n = await f.hduCount();
  let ok = true;
  for (let i = 0; i < n; i++) {
    const v = await f.verifyChecksums(i);
    ok &&= v.checksum === 'ok' && v.datasum === 'ok';
    if (i > 0) {
      const img = await f.readImage(i);
      const want = amps[i - 1]!.data;
      for (let j = 0; j < want.length; j++) if (img.data[j] !== want[j]) ok = false;
    }
  }
  await f.close();
  console.log(
    `${path}: ${n} HDUs, ${(statSync(path).size / 1e6).toFixed(2)} MB, written in ${(t1 - t0).toFixed(0)} ms, ` +
      `read back ${ok ? 'identical with valid checksums' : 'WITH ERRORS'}`,
  );
  if (!ok) process.exitCode = 1;
}
