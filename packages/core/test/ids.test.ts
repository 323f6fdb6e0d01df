import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTROLLER,
  MAX_SEQNUM,
  TAI_MINUS_UTC_SECONDS,
  Tai,
  dayObs,
  dayObsStart,
  detectorExposureId,
  exposureId,
  fileName,
  groupId,
  imsimDetectorExposureId,
  imsimVisitId,
  isSimulatedController,
  obsId,
  parseObsId,
  unpackExposureId,
  visitIdFromGroupId,
} from '../src/index.js';

const t = (iso: string): Tai => Tai.fromIso(iso);

describe('Tai', () => {
  it('round-trips ISO strings without a zone', () => {
    expect(t('2025-10-16T03:00:00').toIso()).toBe('2025-10-16T03:00:00.000');
    expect(t('2025-10-16T03:00:30.1').toIso()).toBe('2025-10-16T03:00:30.100');
    expect(t('2025-10-16T03:00:30.1234').toIso()).toBe('2025-10-16T03:00:30.123');
    expect(t('2024-02-29T23:59:59.999').plus(0.001).toIso()).toBe('2024-03-01T00:00:00.000');
  });

  it('refuses Z, offsets and impossible dates', () => {
    for (const bad of ['2025-10-16T03:00:00Z', '2025-10-16T03:00:00+00:00', '2025-10-16 03:00:00', '2025-02-29T00:00:00', '2025-10-16T24:00:00']) {
      expect(() => t(bad)).toThrow(expect.objectContaining({ code: 'BAD_TIME' }));
    }
  });

  it('MJD is TAI and consistent with the ISO date', () => {
    expect(t('2025-10-16T03:00:00.000').mjd).toBe(60964.125);
    expect(Tai.fromMjd(60964.125).toIso()).toBe('2025-10-16T03:00:00.000');
    expect(t('1970-01-01T00:00:00').mjd).toBe(40587);
    const x = t('2024-06-25T01:27:55.160');
    expect(Math.abs(x.mjd - 60486.06105509261) * 86400).toBeLessThan(1e-4);
  });

  it('TAI - UTC = 37 s', () => {
    expect(TAI_MINUS_UTC_SECONDS).toBe(37);
    const u = new Date(Date.UTC(2025, 9, 16, 2, 59, 23));
    expect(Tai.fromUtc(u).toIso()).toBe('2025-10-16T03:00:00.000');
    expect(t('2025-10-16T03:00:00').toUtc().toISOString()).toBe('2025-10-16T02:59:23.000Z');
    expect(() => Tai.fromUtc(new Date(Date.UTC(2016, 11, 31)))).toThrow(expect.objectContaining({ code: 'BAD_TIME' }));
  });
});

describe('day_obs', () => {
  it('rolls over at 12:00 TAI', () => {
    expect(dayObs(t('2025-10-16T11:59:59.999'))).toBe(20251015);
    expect(dayObs(t('2025-10-16T12:00:00.000'))).toBe(20251016);
    expect(dayObs(t('2025-10-16T03:00:00'))).toBe(20251015);
    // 12:00 TAI is 11:59:23 UTC: the UTC clock has not reached noon yet.
    expect(dayObs(Tai.fromUtc(new Date(Date.UTC(2025, 9, 16, 11, 59, 30))))).toBe(20251016);
  });

  it('crosses the year boundary', () => {
    expect(dayObs(t('2025-12-31T23:59:59.999'))).toBe(20251231);
    expect(dayObs(t('2026-01-01T11:59:59.999'))).toBe(20251231);
    expect(dayObs(t('2026-01-01T12:00:00.000'))).toBe(20260101);
    expect(dayObs(t('2024-03-01T06:00:00'))).toBe(20240229);
  });

  it('honours a different offset (imSim: 0)', () => {
    expect(dayObs(t('2026-01-01T00:00:00.000'), 0)).toBe(20260101);
    expect(dayObs(t('2025-12-31T23:59:59.999'), 0)).toBe(20251231);
  });

  it('knows when a day starts', () => {
    expect(dayObsStart(20251015).toIso()).toBe('2025-10-15T12:00:00.000');
    expect(() => dayObsStart(20251301)).toThrow(expect.objectContaining({ code: 'BAD_DAYOBS' }));
  });
});

describe('OBSID and file names', () => {
  it('formats the exact strings', () => {
    expect(obsId({ camCode: 'MC', controller: 'O', dayObs: 20251015, seqNum: 123 })).toBe('MC_O_20251015_000123');
    expect(obsId({ camCode: 'AT', controller: 'S', dayObs: 20260101, seqNum: 1 })).toBe('AT_S_20260101_000001');
    expect(obsId({ camCode: 'CC', controller: 'C', dayObs: 20241108, seqNum: 99999 })).toBe('CC_C_20241108_099999');
    expect(fileName('MC_O_20250609_000578', 'R01', 'S01')).toBe('MC_O_20250609_000578_R01_S01.fits');
    expect(fileName('MC_S_20261015_000001', 'R00', 'SG0', true)).toBe('MC_S_20261015_000001_R00_SG0.fits.fz');
    expect(parseObsId('CC_S_20260321_000042')).toEqual({ camCode: 'CC', controller: 'S', dayObs: 20260321, seqNum: 42 });
  });

  it('enforces the sequence-number limits', () => {
    expect(MAX_SEQNUM).toBe(99999);
    expect(obsId({ camCode: 'MC', controller: 'S', dayObs: 20251015, seqNum: 99999 })).toBe('MC_S_20251015_099999');
    for (const seqNum of [100000, -1, 1.5, Number.NaN]) {
      expect(() => obsId({ camCode: 'MC', controller: 'S', dayObs: 20251015, seqNum })).toThrow(expect.objectContaining({ code: 'BAD_SEQNUM' }));
      expect(() => exposureId(20251015, seqNum)).toThrow(expect.objectContaining({ code: 'BAD_SEQNUM' }));
    }
    expect(exposureId(20251015, 99999)).toBe(2025101599999);
  });

  it('rejects bad controllers, days and OBSIDs', () => {
    expect(() => obsId({ camCode: 'MC', controller: 'X' as 'O', dayObs: 20251015, seqNum: 1 })).toThrow(expect.objectContaining({ code: 'BAD_CONTROLLER' }));
    expect(() => exposureId(20250230, 1)).toThrow(expect.objectContaining({ code: 'BAD_DAYOBS' }));
    expect(() => exposureId(2025101, 1)).toThrow(expect.objectContaining({ code: 'BAD_DAYOBS' }));
    expect(() => parseObsId('MC_O_2025-10-15_000001')).toThrow(expect.objectContaining({ code: 'BAD_OBSID' }));
  });

  it('defaults to the simulated-images controller', () => {
    expect(DEFAULT_CONTROLLER).toBe('S');
    expect(isSimulatedController('S')).toBe(true);
    expect(isSimulatedController('O')).toBe(false);
  });
});

describe('exposure_id (headers.md section 5)', () => {
  it('reproduces the verified examples', () => {
    expect(exposureId(20251015, 123, 'O')).toBe(2025101500123);
    expect(exposureId(20251015, 123, 'H')).toBe(4025101500123);
    expect(exposureId(20230101, 123, 'C')).toBe(3023010100123);
    expect(exposureId(20240321, 123, 'S')).toBe(7024032100123);
    expect(exposureId(20240321, 720, 'S')).toBe(7024032100720);
  });

  it('drops the C offset after 20231004 and the P/Q/S offsets after 20250417', () => {
    expect(exposureId(20231004, 1, 'C')).toBe(3023100400001);
    expect(exposureId(20231005, 1, 'C')).toBe(2023100500001);
    expect(exposureId(20250417, 1, 'P')).toBe(5025041700001);
    expect(exposureId(20250417, 1, 'Q')).toBe(6025041700001);
    expect(exposureId(20250418, 1, 'P')).toBe(2025041800001);
    expect(exposureId(20250418, 1, 'S')).toBe(2025041800001);
    expect(exposureId(20300101, 1, 'H')).toBe(4030010100001);
  });

  it('unpacks', () => {
    expect(unpackExposureId(7024032100720)).toEqual({ dayObs: 20240321, seqNum: 720, controllerIndex: 5 });
    expect(unpackExposureId(2025101500123)).toEqual({ dayObs: 20251015, seqNum: 123, controllerIndex: 0 });
  });

  it('detector_exposure_id', () => {
    expect(detectorExposureId(2025101500123, 94)).toBe(48368745310);
    // Controller index 5 is packed above the day: 16384 days * 32768 seqs * 256 detectors per index.
    const s = detectorExposureId(7024032100720, 0);
    const o = detectorExposureId(2024032100720, 0);
    expect(s - o).toBe(5 * 16384 * 32768 * 256);
    expect(() => detectorExposureId(2025101540000, 0)).toThrow(expect.objectContaining({ code: 'BAD_SEQNUM' }));
    expect(() => detectorExposureId(2025101500001, 256)).toThrow(expect.objectContaining({ code: 'BAD_DETECTOR_NUM' }));
    expect(imsimDetectorExposureId(2_118_123, 94)).toBe(2_118_123_094);
  });
});

describe('group and visit ids', () => {
  it('group ids are TAI ISO strings', () => {
    expect(groupId(t('2025-10-16T02:59:40'))).toBe('2025-10-16T02:59:40.000');
    expect(groupId(t('2025-10-16T02:59:40'), 2)).toBe('2025-10-16T02:59:40.000+2');
  });

  it('visit_id from GROUPID as obs_lsst computes it', () => {
    expect(visitIdFromGroupId('2025-10-16T02:59:40.000')).toBe(3405131800000000n);
    expect(visitIdFromGroupId('2025-10-16T02:59:40.123+7')).toBe(3405131801230007n);
    expect(visitIdFromGroupId('2025-10-16T02:59:40.123#7')).toBe(3405131801230007n);
    expect(visitIdFromGroupId('12345')).toBe(12345n);
    // Hash path: values computed with Python hashlib.blake2b.
    expect(visitIdFromGroupId('my-group')).toBe(3088349101200254108n);
    expect(visitIdFromGroupId('CALSET_XXXX_YYYY')).toBe(4750993146370751916n);
  });

  it('imSim visit ids stay within 7 digits', () => {
    expect(imsimVisitId(20200101, 0)).toBe(0);
    expect(imsimVisitId(20261015, 123)).toBe(2479 * 1000 + 123);
    expect(imsimVisitId(20470518, 999)).toBe(9_999_999);
    expect(() => imsimVisitId(20470519, 0)).toThrow(expect.objectContaining({ code: 'BAD_DAYOBS' }));
    expect(() => imsimVisitId(20261015, 1000)).toThrow(expect.objectContaining({ code: 'BAD_SEQNUM' }));
  });
});
