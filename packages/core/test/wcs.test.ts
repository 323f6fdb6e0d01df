import { describe, expect, it } from 'vitest';
import {
  type Camera,
  type Detector,
  type Pointing,
  ampHeader,
  ampRawToSky,
  ampWcs,
  ccdToFocalPlane,
  ccdToSky,
  detectorsAt,
  focalPlaneToCcd,
  getCamera,
  getDetector,
  skyToAmpRaw,
  skyToCcd,
  skyToFocalPlane,
  wcsPixelToSky,
} from '../src/index.js';
import { runPython } from './helpers/python.js';
import { mulberry32 as rng } from '../../../test/support/random.js';

/** Angular separation in arcsec (haversine: accurate for tiny angles, unlike acos). */
function sepArcsec(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  const r = Math.PI / 180;
  const h = Math.sin(((a.dec - b.dec) * r) / 2) ** 2 + Math.cos(a.dec * r) * Math.cos(b.dec * r) * Math.sin(((a.ra - b.ra) * r) / 2) ** 2;
  return ((2 * Math.asin(Math.sqrt(h))) / r) * 3600;
}

const POINTING: Pointing = { ra: 53.1, dec: -28.1, rotPA: 37.3 };

interface Probe {
  camera: Camera;
  det: Detector;
  pointing: Pointing;
}

const PROBES: Probe[] = [
  ...['R22_S11', 'R01_S00', 'R43_S22', 'R00_SG0', 'R04_SG1', 'R44_SW1', 'R40_SW0'].map((n) => ({
    camera: getCamera('lsstcam'),
    det: getDetector(getCamera('lsstcam'), n),
    pointing: POINTING,
  })),
  { camera: getCamera('lsstcam'), det: getDetector(getCamera('lsstcam'), 'R10_S20'), pointing: { ra: 359.9, dec: -75.2, rotPA: -121 } },
  { camera: getCamera('comcam'), det: getDetector(getCamera('comcam'), 'R22_S02'), pointing: POINTING },
  { camera: getCamera('latiss'), det: getCamera('latiss').detectors[0]!, pointing: { ra: 223.77, dec: -20.01, rotPA: 98.6 } },
  { camera: getCamera('dc2'), det: getDetector(getCamera('dc2'), 'R43_S22'), pointing: { ra: 61.9, dec: -36.5, rotPA: 195.6 } },
];

/** Random sky positions on a detector, each with the raw pixel of the amplifier holding it. */
function samples(p: Probe, n: number, seed: number): { ra: number; dec: number; amp: number; i: number; j: number }[] {
  const r = rng(seed);
  const out: { ra: number; dec: number; amp: number; i: number; j: number }[] = [];
  while (out.length < n) {
    const x = r() * p.det.layout.ccdWidth - 0.5;
    const y = r() * p.det.layout.ccdHeight - 0.5;
    const sky = ccdToSky(p.camera, p.det, p.pointing, x, y);
    const hit = skyToAmpRaw(p.camera, p.det, p.pointing, sky.ra, sky.dec);
    if (!hit) continue;
    out.push({ ra: sky.ra, dec: sky.dec, amp: hit.amp.index, i: hit.i, j: hit.j });
  }
  return out;
}

describe('projection model', () => {
  it.each(PROBES.map((p) => [`${p.camera.key} ${p.det.name}`, p] as const))('%s: sky <-> CCD <-> raw round trips', (_n, p) => {
    const r = rng(7);
    for (let k = 0; k < 50; k++) {
      const x = r() * p.det.layout.ccdWidth;
      const y = r() * p.det.layout.ccdHeight;
      const fp = ccdToFocalPlane(p.det, x, y);
      const back = focalPlaneToCcd(p.det, fp.x, fp.y);
      expect(Math.hypot(back.x - x, back.y - y)).toBeLessThan(1e-8);
      const sky = ccdToSky(p.camera, p.det, p.pointing, x, y);
      const c = skyToCcd(p.camera, p.det, p.pointing, sky.ra, sky.dec)!;
      expect(Math.hypot(c.x - x, c.y - y)).toBeLessThan(1e-6);
      const hit = skyToAmpRaw(p.camera, p.det, p.pointing, sky.ra, sky.dec);
      if (hit) {
        const again = ampRawToSky(p.camera, p.det, hit.amp, p.pointing, hit.i, hit.j);
        expect(sepArcsec(again, sky)).toBeLessThan(1e-6);
        // The amp's header WCS (evaluated here without astropy) says the same.
        const w = wcsPixelToSky(ampWcs(p.camera, p.det, hit.amp, p.pointing), hit.i + 1, hit.j + 1);
        expect(sepArcsec(w, sky)).toBeLessThan(1e-5);
      }
    }
  });

  it('orientation: at rotation 0 focal-plane +y is north and +x west (east for LATISS)', () => {
    const cam = getCamera('lsstcam');
    const p: Pointing = { ra: 150, dec: -20, rotPA: 0 };
    const north = skyToFocalPlane(cam, p, 150, -19.9)!;
    expect(north.y).toBeGreaterThan(0);
    expect(Math.abs(north.x)).toBeLessThan(1e-9);
    const east = skyToFocalPlane(cam, p, 150.1, -20)!;
    expect(east.x).toBeLessThan(0);
    const latiss = getCamera('latiss');
    expect(skyToFocalPlane(latiss, p, 150.01, -20)!.x).toBeGreaterThan(0);
    // A rotation by 90 degrees moves north off the y axis without changing its distance.
    const rot = skyToFocalPlane(cam, { ...p, rotPA: 90 }, 150, -19.9)!;
    expect(Math.hypot(rot.x, rot.y)).toBeCloseTo(Math.hypot(north.x, north.y), 9);
    expect(Math.abs(rot.y)).toBeLessThan(1e-9);
  });

  it('pixel scale is the plate scale times 10 um', () => {
    for (const [key, name, scale] of [['lsstcam', 'R22_S11', 0.200059], ['comcam', 'R22_S11', 0.200181], ['latiss', 'RXX_S00', 0.095695]] as const) {
      const cam = getCamera(key);
      const d = getDetector(cam, name);
      const a = ccdToSky(cam, d, POINTING, 1000, 1000);
      const b = ccdToSky(cam, d, POINTING, 1100, 1000);
      expect(sepArcsec(a, b) / 100).toBeCloseTo(scale, 5);
    }
  });

  it('the boresight lands on the centre detector', () => {
    const lsst = getCamera('lsstcam');
    const hits = detectorsAt(lsst, POINTING, POINTING.ra, POINTING.dec);
    expect(hits.map((h) => h.detector.name)).toEqual(['R22_S11']);
    expect(hits[0]!.x).toBeCloseTo(2047.5, 6);
    expect(hits[0]!.y).toBeCloseTo(2001.5, 6);
    // 1.75 deg off axis misses every detector of ComCam but hits LSSTCam near its edge only rarely.
    expect(detectorsAt(getCamera('comcam'), POINTING, POINTING.ra, POINTING.dec + 1)).toEqual([]);
  });
});

describe('header WCS read back by astropy.wcs', () => {
  it('world_to_pixel on each amp header gives the raw pixel the model places a source at', () => {
    const cases = PROBES.map((p, k) => {
      const pts = samples(p, 40, 100 + k);
      const headers = p.det.amps.map((a) => ampHeader(p.camera, p.det, a, p.pointing).toCardImages().join(''));
      return { name: `${p.camera.key} ${p.det.name}`, headers, pts };
    });
    const result = runPython<{ name: string; maxErr: number; maxSkyErr: number }[]>(
      `
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
out = []
for case in args:
    wcs = [WCS(fits.Header.fromstring(h)) for h in case['headers']]
    err = 0.0
    skyerr = 0.0
    for p in case['pts']:
        w = wcs[p['amp']]
        x, y = w.all_world2pix(p['ra'], p['dec'], 0)
        err = max(err, float(np.hypot(x - p['i'], y - p['j'])))
        ra, dec = w.all_pix2world(p['i'], p['j'], 0)
        d = np.hypot((ra - p['ra']) * np.cos(np.radians(p['dec'])), dec - p['dec']) * 3600
        skyerr = max(skyerr, float(d))
    out.append({'name': case['name'], 'maxErr': err, 'maxSkyErr': skyerr})
print(json.dumps(out))
`,
      cases,
    );
    for (const r of result) {
      // The requirement is one pixel; the model and the header agree to rounding.
      expect(r.maxErr, r.name).toBeLessThan(1e-3);
      expect(r.maxSkyErr, r.name).toBeLessThan(1e-3);
    }
  });
});
