/**
 * End to end: stars rendered into a written LSSTCam raw land where the amp HDU's own WCS says they are. astropy
 * reads the header WCS of the file and maps each star's catalog (ra, dec) to raw amp pixels; the centroid measured
 * from the pixels must agree within 0.5 px.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFits } from '@daqsim/fits';
import { Tai, ccdHdus, getDetector, prepareExposure, renderCcdInThread } from '../src/index.js';
import { missing, tempDir } from '../../../test/support/tools.js';
import { runPython } from './helpers/python.js';

describe.skipIf(missing('astropy'))('star positions against the header WCS', () => {
  it('agree within 0.5 px on an E2V LSSTCam CCD', () => {
    const DET = 'R12_S01';
    const { camera, exposure, plan } = prepareExposure(
      'lsstcam',
      { imageType: 'OBJECT', start: Tai.fromIso('2025-10-16T03:00:00'), expTime: 30, seqNum: 7, filter: 'i_39', pointing: { ra: 53.1, dec: -28.1, rotPA: 17 } },
      { seed: 11 },
    );
    const ccd = renderCcdInThread(plan, DET);
    const det = getDetector(camera, DET);
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'raw.fits');
      writeFileSync(path, encodeFits(ccdHdus(camera, exposure, plan, ccd)));
      const sources = ccd.truth.scene.sources;
      const stars = sources.filter(
        (s) =>
          s.kind === 'star' && !s.saturated && s.flux > 1e5 &&
          sources.every((o) => o === s || Math.hypot(o.x - s.x, o.y - s.y) > 25 || o.flux < s.flux * 0.003),
      );
      expect(stars.length).toBeGreaterThan(2);
      // For each star: the amp whose data section holds it (away from the edges), and astropy's raw pixel there.
      const targets = stars
        .map((s) => ({ s, k: det.amps.findIndex((a) => s.x >= a.ccdBox.x0 + 12 && s.x < a.ccdBox.x0 + a.ccdBox.width - 12 && s.y >= a.ccdBox.y0 + 12 && s.y < a.ccdBox.y0 + a.ccdBox.height - 12) }))
        .filter((t) => t.k >= 0);
      const pix = runPython<Array<[number, number]>>(
        `
from astropy.io import fits
from astropy.wcs import WCS
out = []
with fits.open(args['path']) as hl:
    for t in args['targets']:
        w = WCS(hl[t['hdu']].header)
        x, y = w.all_world2pix(t['ra'], t['dec'], 0)
        out.append([float(x), float(y)])
print(json.dumps(out))
`,
        { path, targets: targets.map((t) => ({ hdu: t.k + 1, ra: t.s.ra, dec: t.s.dec })) },
      );
      const W = det.layout.rawWidth;
      let checked = 0;
      targets.forEach((t, n) => {
        const [px, py] = pix[n]!;
        const amp = ccd.amps[t.k]!;
        const bias = ccd.truth.amps[t.k]!.biasLevel;
        // Centroid in raw amp coordinates, within 5 px of where the header WCS puts the star, above the local sky.
        const ring: number[] = [];
        for (let dy = -12; dy <= 12; dy++) for (let dx = -12; dx <= 12; dx++) if (Math.hypot(dx, dy) > 9) ring.push(amp[(Math.round(py) + dy) * W + Math.round(px) + dx]! - bias);
        ring.sort((a, b) => a - b);
        const sky = ring[ring.length >> 1]!;
        let sw = 0;
        let sx = 0;
        let sy = 0;
        for (let dy = -5; dy <= 5; dy++) {
          for (let dx = -5; dx <= 5; dx++) {
            const x = Math.round(px) + dx;
            const y = Math.round(py) + dy;
            if (Math.hypot(x - px, y - py) > 5) continue;
            const v = amp[y * W + x]! - bias - sky;
            sw += v;
            sx += v * (x - px);
            sy += v * (y - py);
          }
        }
        expect(Math.hypot(sx / sw, sy / sw), `star ${t.s.id} in HDU ${t.k + 1}`).toBeLessThan(0.5);
        checked++;
      });
      expect(checked).toBeGreaterThan(2);
    } finally {
      cleanup();
    }
  });
});
