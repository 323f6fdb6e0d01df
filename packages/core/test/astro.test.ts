import { describe, expect, it } from 'vitest';
import { Tai, airmass, altAzToRaDec, getCamera, raDecToAltAz } from '../src/index.js';
import { runPython } from './helpers/python.js';

const SITE = getCamera('lsstcam').site;

describe('alt/az', () => {
  it('agrees with astropy AltAz (no refraction) to well under 1 arcmin', () => {
    const cases: { ra: number; dec: number; iso: string }[] = [];
    let k = 0;
    for (const iso of ['2025-06-10T07:31:55.280', '2026-10-16T03:00:00.000', '2027-03-01T01:00:00.000', '2030-12-24T06:30:00.000']) {
      const t = Tai.fromIso(iso);
      for (const [az, el] of [[10, 80], [100, 45], [200, 30], [300, 60], [170, 20]] as const) {
        const p = altAzToRaDec(az + k, el, t, SITE);
        cases.push({ ra: p.ra, dec: p.dec, iso });
        k++;
      }
    }
    const ref = runPython<{ az: number; el: number }[]>(
      `
from astropy.coordinates import SkyCoord, EarthLocation, AltAz
from astropy.time import Time
import astropy.units as u
loc = EarthLocation.from_geodetic(${SITE.longitude}, ${SITE.latitude}, ${SITE.elevation})
out = []
for c in args:
    aa = SkyCoord(c['ra'] * u.deg, c['dec'] * u.deg, frame='icrs').transform_to(AltAz(obstime=Time(c['iso'], scale='tai'), location=loc))
    out.append({'az': float(aa.az.deg), 'el': float(aa.alt.deg)})
print(json.dumps(out))
`,
      cases,
    );
    cases.forEach((c, i) => {
      const ours = raDecToAltAz(c.ra, c.dec, Tai.fromIso(c.iso), SITE);
      const r = ref[i]!;
      const dAz = ((((ours.az - r.az + 180) % 360) + 360) % 360) - 180;
      const sep = Math.hypot(dAz * Math.cos((r.el * Math.PI) / 180), ours.el - r.el) * 3600;
      expect(sep, `${c.iso} ${c.ra} ${c.dec}`).toBeLessThan(30);
    });
  });

  it('inverts itself and gives sec z airmass', () => {
    const t = Tai.fromIso('2026-10-16T03:00:00');
    const p = altAzToRaDec(123, 47, t, SITE);
    const a = raDecToAltAz(p.ra, p.dec, t, SITE);
    expect(a.az).toBeCloseTo(123, 9);
    expect(a.el).toBeCloseTo(47, 9);
    expect(airmass(90)).toBe(1);
    expect(airmass(30)).toBeCloseTo(2, 12);
    expect(airmass(0.5)).toBeNull();
  });
});
