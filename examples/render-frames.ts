/**
 * What a pipeline test suite copies: make a small, exact set of raws for one ComCam detector (a bias, a flat and
 * a science frame), written as Rubin-format FITS with their truth sidecars, then check one against the truth.
 *
 *   node --conditions=daqsim-source --import tsx examples/render-frames.ts [OUTDIR]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsFile } from '@daqsim/fits';
import { ExposureRenderer, Tai, type ExposureInfo } from '@daqsim/core';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'daqsim-example-'));
const start = Tai.fromIso('2025-10-16T01:00:00');
const frames: ExposureInfo[] = [
  { imageType: 'BIAS', start, expTime: 0, seqNum: 1 },
  { imageType: 'FLAT', start: start.plus(60), expTime: 5, seqNum: 2, filter: 'r_03' },
  { imageType: 'OBJECT', start: start.plus(120), expTime: 30, seqNum: 3, filter: 'r_03', pointing: { ra: 53.13, dec: -28.1, rotPA: 0 } },
];

// Two workers render the amps; the files are byte-identical with any number of workers.
const renderer = new ExposureRenderer({ workers: 2 });
try {
  for (const info of frames) {
    const files = await renderer.writeExposure(out, 'comcam', info, { detectors: ['R22_S11'], compress: true, synth: { seed: 42 } });
    for (const f of files) console.log(`${info.imageType.padEnd(6)} ${f.path}`);
  }
} finally {
  await renderer.close();
}

// Read the science frame back: amp C10's header and pixels, and the truth of what was placed on the CCD.
const sci = join(out, 'LSSTComCam', '20251015', 'CC_S_20251015_000003', 'CC_S_20251015_000003_R22_S11.fits.fz');
const f = await FitsFile.open(sci);
const primary = await f.header(0);
const amp = await f.readImage(1);
await f.close();
const truth = JSON.parse(readFileSync(sci.replace('.fits.fz', '.truth.json'), 'utf8')) as { scene: { sources: Array<{ flux: number }> } };
console.log(`${primary.get('OBSID')} ${primary.get('IMGTYPE')} ${primary.get('FILTER')} EXPTIME=${primary.get('EXPTIME')}`);
console.log(`${amp.header.get('EXTNAME')}: ${amp.shape.join('x')} ${amp.data.constructor.name}, ${truth.scene.sources.length} sources placed on the CCD`);
