import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Header, parseHeader } from '@daqsim/fits';
import { describe, expect, it } from 'vitest';
import {
  type Camera,
  type ExposureInfo,
  type ImageType,
  type Provenance,
  DEFAULT_CONTROLLER,
  Tai,
  VERSION,
  altAzToRaDec,
  ampHeader,
  exposureId,
  getCamera,
  getDetector,
  primaryHeader,
  resolveExposure,
} from '../src/index.js';
import { translate } from './helpers/translator.js';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const PROV: Provenance = { seed: 20261015, planHash: 'golden-plan-0000', version: '0.0.0-golden' };

/** The fixed exposures of the golden files, one per camera. */
const GOLDEN: { key: string; detector: string; info: ExposureInfo }[] = [
  {
    key: 'lsstcam',
    detector: 'R22_S11',
    info: {
      imageType: 'OBJECT',
      start: Tai.fromIso('2026-10-16T03:00:00.000'),
      expTime: 30,
      seqNum: 123,
      filter: 'r_57',
      pointing: { ra: 30, dec: -30, rotPA: 12.5 },
      groupId: '2026-10-16T02:59:40.000',
      program: 'BLOCK-365',
      reason: 'survey',
      object: 'daqsim_field_001',
    },
  },
  {
    key: 'comcam',
    detector: 'R22_S11',
    info: {
      imageType: 'OBJECT',
      start: Tai.fromIso('2026-10-16T04:12:30.250'),
      expTime: 30,
      seqNum: 45,
      filter: 'i_06',
      pointing: { ra: 53.125, dec: -28.1, rotPA: 102.8 },
      object: 'ECDFS',
    },
  },
  {
    key: 'latiss',
    detector: 'R00_S00',
    info: {
      imageType: 'OBJECT',
      start: Tai.fromIso('2026-10-16T02:00:00.000'),
      expTime: 30,
      seqNum: 7,
      filter: 'SDSSg_65mm~empty',
      pointing: { ra: 2.5, dec: -20.0, rotPA: 98.6 },
      object: 'HD 1999',
    },
  },
  {
    key: 'dc2',
    detector: 'R22_S11',
    info: {
      imageType: 'OBJECT',
      start: Tai.fromIso('2026-10-16T03:00:00.000'),
      expTime: 30,
      seqNum: 12,
      filter: 'i_sim_1.4',
      pointing: { ra: 61.9, dec: -36.5, rotPA: 195.6 },
    },
  },
];

function cardLines(h: Header): string[] {
  return h
    .toCardImages()
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && l !== 'END');
}

/** Golden text: the primary header and the first amplifier header, one card image per line. */
function goldenText(key: string, detector: string, info: ExposureInfo): string {
  const cam = getCamera(key);
  const det = getDetector(cam, detector);
  const e = resolveExposure(cam, info);
  const amp = det.amps[0]!;
  return [
    `# ${cam.name} ${det.name}: primary header and ${amp.extname} (regenerate: UPDATE_GOLDEN=1 pnpm vitest run packages/core)`,
    '# primary',
    ...cardLines(primaryHeader(cam, det, e, PROV)),
    `# ${amp.extname}`,
    ...cardLines(ampHeader(cam, det, amp, e.pointing)),
    '',
  ].join('\n');
}

/** Round-trip through bytes, as a reader of the file would see the header. */
function reparse(h: Header): Header {
  return parseHeader(h.toBytes()).header;
}

describe('golden headers', () => {
  it.each(GOLDEN.map((g) => [g.key, g] as const))('%s matches the committed header card by card', (_k, g) => {
    const file = new URL(`${g.key}.txt`, GOLDEN_DIR);
    const text = goldenText(g.key, g.detector, g.info);
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) throw new Error(`missing golden file ${file.pathname}; run with UPDATE_GOLDEN=1`);
      writeFileSync(file, text);
    }
    const want = readFileSync(file, 'utf8').split('\n');
    const got = text.split('\n');
    for (let i = 0; i < Math.max(want.length, got.length); i++) expect(got[i], `line ${i + 1}`).toBe(want[i]);
  });

  it('every golden card is a valid 80-column card', () => {
    for (const g of GOLDEN) {
      for (const line of goldenText(g.key, g.detector, g.info).split('\n')) {
        if (line.startsWith('#') || line === '') continue;
        expect(line.length).toBeLessThanOrEqual(80);
        expect(line).toMatch(/^[\x20-\x7e]+$/);
      }
    }
  });
});

describe('exposure timing and identifiers', () => {
  const cam = getCamera('lsstcam');
  const base: ExposureInfo = { imageType: 'OBJECT', start: Tai.fromIso('2026-10-16T03:00:00.000'), expTime: 30, seqNum: 5, pointing: { ra: 10, dec: -40, rotPA: 0 } };

  it('derives the timeline', () => {
    const e = resolveExposure(cam, base);
    expect(e.end.toIso()).toBe('2026-10-16T03:00:30.950');
    expect(e.readoutEnd.toIso()).toBe('2026-10-16T03:00:32.950');
    expect(e.fileDate.toIso()).toBe('2026-10-16T03:00:33.250');
    expect(e.darkTime).toBe(32.95);
    expect(e.shutterTime).toBe(30);
    expect(e.controller).toBe(DEFAULT_CONTROLLER);
    expect(e.obsId).toBe('MC_S_20261015_000005');
    expect(e.exposureId).toBe(2026101500005);
    expect(e.groupId).toBe('2026-10-16T03:00:00.000');
  });

  it('keeps the shutter shut for BIAS and DARK', () => {
    const bias = resolveExposure(cam, { ...base, imageType: 'BIAS', expTime: 0, pointing: undefined });
    expect([bias.shutterTime, bias.darkTime, bias.end.toIso()]).toEqual([0, 2, '2026-10-16T03:00:00.000']);
    const dark = resolveExposure(cam, { ...base, imageType: 'DARK', pointing: undefined });
    expect([dark.shutterTime, dark.darkTime]).toEqual([0, 32]);
    // The parked telescope looks at the zenith.
    expect(dark.altAzStart.el).toBeGreaterThan(89.99);
  });

  it.each([
    ['BIAS with an exposure time', { imageType: 'BIAS' as ImageType, expTime: 1 }, 'BAD_EXPOSURE'],
    ['too short an open-shutter exposure', { expTime: 0.05 }, 'BAD_EXPOSURE'],
    ['on-sky without pointing', { pointing: undefined }, 'BAD_POINTING'],
    ['on-sky below the horizon', { pointing: { ra: 190, dec: 10, rotPA: 0 } }, 'BAD_POINTING'],
    ['unknown filter', { filter: 'r_03' }, 'UNKNOWN_FILTER'],
    ['day_obs that contradicts the start', { dayObs: 20261010 }, 'BAD_EXPOSURE'],
    ['bad controller', { controller: 'Z' as 'O' }, 'BAD_CONTROLLER'],
    ['seq_num too large', { seqNum: 100000 }, 'BAD_SEQNUM'],
    ['CURINDEX beyond MAXINDEX', { curIndex: 3, maxIndex: 2 }, 'BAD_EXPOSURE'],
    ['non-ASCII object', { object: 'Sgr A\u2217' }, 'BAD_EXPOSURE'],
    ['a night obs_lsst rewrites (FILTER fix-up)', { start: Tai.fromIso('2026-03-16T03:00:00'), pointing: undefined, imageType: 'DARK' as ImageType }, 'BAD_DAYOBS'],
    ['lab-era LSSTCam dates', { start: Tai.fromIso('2024-10-16T03:00:00'), pointing: undefined, imageType: 'DARK' as ImageType }, 'BAD_DAYOBS'],
    ['an OBSID with a real correction file', { start: Tai.fromIso('2025-10-16T03:00:00'), controller: 'O' as const, pointing: undefined, imageType: 'DARK' as ImageType }, 'BAD_DAYOBS'],
  ])('rejects %s', (_n, patch, code) => {
    expect(() => resolveExposure(cam, { ...base, ...patch })).toThrow(expect.objectContaining({ code }));
  });

  it('allows the correction-file nights for simulated controllers', () => {
    const e = resolveExposure(cam, { ...base, start: Tai.fromIso('2025-10-16T03:00:00'), imageType: 'DARK', pointing: undefined });
    expect(e.obsId).toBe('MC_S_20251015_000005');
    expect(e.exposureId).toBe(2025101500005);
  });

  it('lets a sequence that started before the rollover keep its day_obs', () => {
    const dark: ExposureInfo = { ...base, imageType: 'DARK', pointing: undefined, start: Tai.fromIso('2026-10-16T12:00:05.000') };
    expect(resolveExposure(cam, { ...dark, dayObs: 20261015 }).obsId).toBe('MC_S_20261015_000005');
    expect(resolveExposure(cam, dark).obsId).toBe('MC_S_20261016_000005');
  });

  it('writes the package version by default', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const h = primaryHeader(cam, getDetector(cam, 'R22_S11'), base, { seed: 1, planHash: 'x' });
    expect(h.get('DAQSIMV')).toBe(pkg.version);
  });
});

/** Keywords each translator needs for a clean science translation (headers.md section 7). */
const REQUIRED: Record<string, string[]> = {
  lsst: [
    'INSTRUME', 'TELESCOP', 'OBSID', 'DAYOBS', 'SEQNUM', 'CONTRLLR', 'IMGTYPE', 'RAFTBAY', 'CCDSLOT', 'LSST_NUM', 'DATE-OBS',
    'DATE-BEG', 'MJD-OBS', 'MJD-BEG', 'MJD-END', 'DATE', 'DATE-END', 'TIMESYS', 'EXPTIME', 'SHUTTIME', 'DARKTIME', 'FILTER',
    'GROUPID', 'RASTART', 'DECSTART', 'AZSTART', 'ELSTART', 'AZEND', 'ELEND', 'ROTPA', 'ROTCOORD', 'VIGN_MIN', 'PROGRAM',
    'REASON', 'OBJECT', 'AIRTEMP', 'PRESSURE', 'HUMIDITY', 'CURINDEX', 'MAXINDEX', 'RA', 'DEC', 'RAEND', 'DECEND',
    'RADESYS', 'TRACKSYS', 'AMSTART', 'AMEND', 'FOCUSZ', 'OBSGEO-X', 'OBSGEO-Y', 'OBSGEO-Z',
  ],
  latiss: [
    'INSTRUME', 'OBSID', 'DAYOBS', 'SEQNUM', 'IMGTYPE', 'EXPTIME', 'DARKTIME', 'DATE-OBS', 'DATE', 'DATE-END', 'TIMESYS',
    'FILTER', 'GRATING', 'GROUPID', 'RASTART', 'DECSTART', 'AZSTART', 'ELSTART', 'AZEND', 'ELEND', 'ROTPA', 'ROTCOORD',
    'OBJECT', 'PROGRAM', 'REASON', 'AIRTEMP', 'PRESSURE', 'HUMIDITY',
  ],
  imsim: [
    'TESTTYPE', 'OBSID', 'RUNNUM', 'IMGTYPE', 'RAFTNAME', 'SENSNAME', 'LSST_NUM', 'MJD-OBS', 'EXPTIME', 'DARKTIME', 'FILTER',
    'PKG00001', 'VER00001', 'RATEL', 'DECTEL', 'ROTANGLE', 'AIRMASS', 'RADESYS',
  ],
};

const EXPECTED_TRANSLATOR: Record<string, string> = { lsstcam: 'LSSTCam', comcam: 'LSSTComCam', latiss: 'LATISS', dc2: 'LSSTCam-imSim' };

describe('translator rules (headers.md oracle)', () => {
  const types: ImageType[] = ['BIAS', 'DARK', 'FLAT', 'OBJECT', 'ACQ', 'ENGTEST'];

  function infoFor(cam: Camera, imageType: ImageType, k: number): ExposureInfo {
    const onSky = !['BIAS', 'DARK', 'FLAT'].includes(imageType);
    const start = Tai.fromIso('2026-10-16T03:00:00.000').plus(40 * k);
    // Point somewhere above the horizon: elevation 35-85 deg, any azimuth.
    const target = altAzToRaDec((37 * k) % 360, 35 + (k % 50), start, cam.site);
    return {
      imageType,
      start,
      expTime: imageType === 'BIAS' ? 0 : imageType === 'FLAT' ? 5 : 30,
      seqNum: 100 + k,
      ...(onSky ? { pointing: { ra: target.ra, dec: target.dec, rotPA: 10 * k } } : {}),
      filter: cam.filters[k % cam.filters.length]!.physical,
      curIndex: 1 + (k % 2),
      maxIndex: 2,
    };
  }

  it.each(['lsstcam', 'comcam', 'latiss', 'dc2'])('%s: every detector and image type translates cleanly to the right values', (key) => {
    const cam = getCamera(key);
    let k = 0;
    for (const det of cam.detectors) {
      const imageType = types[k % types.length]!;
      const info = infoFor(cam, imageType, k++);
      const e = resolveExposure(cam, info);
      const h = reparse(primaryHeader(cam, det, e, { seed: 1, planHash: 'p' }));
      const tr = translate(h);
      expect(tr.problems, `${det.name} ${imageType}`).toEqual([]);
      expect(tr.translator).toBe(EXPECTED_TRANSLATOR[key]);
      expect(tr.props.detector_num).toBe(det.id);
      expect(tr.props.physical_filter).toBe(e.filter.physical);
      expect(tr.props.exposure_id).toBe(e.exposureId);
      expect(tr.props.datetime_begin).toBe(e.start.ms);
      expect(tr.props.datetime_end).toBe(e.end.ms);
      expect(tr.props.has_simulated_content).toBe(true);
      expect(tr.props.observation_type).toBe(imageType === 'OBJECT' ? 'science' : imageType.toLowerCase());
      expect(tr.props.dark_time).toBe(e.darkTime);
      if (cam.headerStyle !== 'imsim') {
        expect(tr.props.observation_id).toBe(e.obsId);
        expect(tr.props.exposure_id).toBe(exposureId(e.dayObs, e.seqNum, e.controller));
        expect(tr.props.observing_day).toBe(e.dayObs);
        expect(tr.props.group_counter_start).toBe(e.seqNum - e.curIndex + 1);
        expect(tr.props.group_counter_end).toBe(e.seqNum + e.maxIndex - e.curIndex);
        expect(tr.props.tracking_ra).toBeCloseTo(e.pointing.ra, 6);
        expect(tr.props.boresight_rotation_angle).toBeCloseTo(e.pointing.rotPA, 6);
        expect(tr.props.can_see_sky).toBe(e.onSky ? true : false);
      } else {
        expect(tr.props.boresight_rotation_angle).toBeCloseTo(((e.pointing.rotPA % 360) + 360) % 360, 6);
        expect(tr.props.visit_id).toBe(e.exposureId);
      }
      if (imageType === 'OBJECT') {
        for (const kw of REQUIRED[cam.headerStyle]!) expect(h.has(kw), `${key} ${kw}`).toBe(true);
      }
    }
  });

  it('keeps the trap rules (section 9)', () => {
    for (const g of GOLDEN) {
      const cam = getCamera(g.key);
      const e = resolveExposure(cam, g.info);
      const h = reparse(primaryHeader(cam, getDetector(cam, g.detector), e, PROV));
      const dates = ['DATE', 'DATE-OBS', 'DATE-BEG', 'DATE-END'].filter((k) => h.has(k));
      for (const k of dates) expect(h.getString(k)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
      expect(h.getString('DATE')).not.toBe(h.getString('DATE-OBS'));
      expect(h.getString('TIMESYS')).toBe('TAI');
      // MJDs and ISO dates agree to the millisecond.
      for (const [iso, mjd] of [['DATE-OBS', 'MJD-OBS'], ['DATE-END', 'MJD-END'], ['DATE', 'MJD']] as const) {
        expect(Tai.fromMjd(h.getNumber(mjd)!).toIso()).toBe(h.getString(iso));
      }
      for (const k of ['EXPTIME', 'DARKTIME']) expect(h.card(k)!.type).toBe('float');
      expect(h.getNumber('DARKTIME')!).toBeGreaterThanOrEqual(h.getNumber('EXPTIME')!);
      if (cam.headerStyle === 'imsim') {
        expect(h.has('INSTRUME')).toBe(false);
        expect(h.has('HASTART')).toBe(false);
        expect(h.card('OBSID')!.type).toBe('int');
        expect(h.getString('TESTTYPE')).toBe('IMSIM');
      } else {
        expect(h.card('DAYOBS')!.type).toBe('string');
        expect(h.getString('DAYOBS')).toBe(String(e.dayObs));
        expect(h.card('SEQNUM')!.type).toBe('int');
        expect(h.getString('INSTRUME')).toBe({ lsstcam: 'lsstCam', comcam: 'ComCam', latiss: 'LATISS' }[g.key]);
        expect(h.getString('OBSID')).toBe(`${cam.obsIdPrefix}_S_${e.dayObs}_${String(e.seqNum).padStart(6, '0')}`);
      }
      expect(h.getBool('SIMULATE')).toBe(true);
      expect(h.getString('DAQPLAN')).toBe('golden-plan-0000');
      expect(h.getInt('DAQSEED')).toBe(20261015);
    }
    const comcam = getCamera('comcam');
    const ch = primaryHeader(comcam, getDetector(comcam, 'R22_S11'), GOLDEN[1]!.info);
    expect(ch.getString('TELESCOP')).toBe('Simonyi Survey Telescope');
    expect(getCamera('latiss').site.obsgeo[2]).toBeLessThan(0);
  });

  it('marks simulated content by SIMULATE = T even with the OCS controller, and only then', () => {
    const cam = getCamera('lsstcam');
    const det = getDetector(cam, 'R22_S11');
    const info: ExposureInfo = { ...GOLDEN[0]!.info, controller: 'O' };
    const marked = translate(reparse(primaryHeader(cam, det, info, { seed: 1, planHash: 'p' })));
    expect(marked.problems).toEqual([]);
    expect(marked.props.has_simulated_content).toBe(true);
    const unmarked = translate(reparse(primaryHeader(cam, det, info, { seed: 1, planHash: 'p', markSimulated: false })));
    expect(unmarked.props.has_simulated_content).toBe(false);
    expect(unmarked.props.exposure_id).toBe(2026101500123);
  });

  it('the oracle catches the traps it is there for', () => {
    const cam = getCamera('lsstcam');
    const det = getDetector(cam, 'R22_S11');
    const good = primaryHeader(cam, det, GOLDEN[0]!.info, PROV);
    const broken = (edit: (h: Header) => void): string[] => {
      const h = reparse(good);
      edit(h);
      return translate(h).problems;
    };
    expect(broken((h) => h.set('DATE', h.getString('DATE-OBS')!))).toContainEqual(expect.stringContaining('DATE equals DATE-OBS'));
    expect(broken((h) => h.set('DATE-END', '2026-10-16T03:00:30.950Z'))).toContainEqual(expect.stringContaining('ING'));
    expect(broken((h) => h.set('DAYOBS', '2026-10-15'))).toContainEqual(expect.stringContaining('DAYOBS'));
    expect(broken((h) => h.set('INSTRUME', 'LSSTComCam'))).toEqual(['ING: no translator recognises the header']);
    expect(broken((h) => h.set('FILTER', 'r'))).toContainEqual(expect.stringContaining('not registered'));
    expect(broken((h) => h.set('CCDSLOT', 's11'))).toContainEqual(expect.stringContaining('unknown detector'));
    expect(broken((h) => h.delete('TIMESYS'))).toContainEqual(expect.stringContaining('TIMESYS'));
  });
});
