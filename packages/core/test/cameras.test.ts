import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Camera,
  DaqsimError,
  ampAtCcd,
  ccdToRaw,
  dataSection,
  detectorPlacement,
  getAmp,
  getCamera,
  getDetector,
  getFilter,
  listCameras,
  parseCamera,
  rawToCcd,
} from '../src/index.js';
import { lsstCamDetectorNum } from './helpers/translator.js';

const HDU_ORDER = ['C10', 'C11', 'C12', 'C13', 'C14', 'C15', 'C16', 'C17', 'C07', 'C06', 'C05', 'C04', 'C03', 'C02', 'C01', 'C00'];

function rawJson(key: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../data/cameras/${key}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

describe('camera registry', () => {
  it('ships the four cameras', () => {
    expect(listCameras()).toEqual(expect.arrayContaining(['comcam', 'dc2', 'latiss', 'lsstcam']));
  });

  it('rejects an unknown camera with a typed error', () => {
    expect(() => getCamera('hsc')).toThrow(DaqsimError);
    try {
      getCamera('../x');
    } catch (e) {
      expect((e as DaqsimError).code).toBe('UNKNOWN_CAMERA');
    }
  });

  it('caches cameras', () => {
    expect(getCamera('lsstcam')).toBe(getCamera('lsstcam'));
  });
});

describe('detector inventories', () => {
  it('LATISS: one ITL CCD, DM name RXX_S00, headers R00/S00', () => {
    const cam = getCamera('latiss');
    expect(cam.detectors).toHaveLength(1);
    const d = cam.detectors[0]!;
    expect([d.id, d.name, d.raft, d.slot, d.vendor, d.serial]).toEqual([0, 'RXX_S00', 'R00', 'S00', 'ITL', 'ITL-3800C-068']);
    expect(getDetector(cam, 'R00_S00')).toBe(d);
    expect(getDetector(cam, 'RXX_S00')).toBe(d);
    expect(d.centerMm).toEqual([-0.515, -0.055, 0]);
    expect(cam.wcsFlipX).toBe(true);
    expect(cam.plateScaleArcsecPerMm).toBe(9.5695);
  });

  it('LSSTComCam: nine ITL CCDs in R22, ids 3a+b on a 42.25 mm grid', () => {
    const cam = getCamera('comcam');
    expect(cam.detectors).toHaveLength(9);
    for (const d of cam.detectors) {
      const [a, b] = [Number(d.slot[1]), Number(d.slot[2])];
      expect(d.raft).toBe('R22');
      expect(d.id).toBe(3 * a + b);
      expect(d.vendor).toBe('ITL');
      expect(d.centerMm[0]).toBeCloseTo(42.25 * (b - 1), 9);
      expect(d.centerMm[1]).toBeCloseTo(42.25 * (a - 1), 9);
    }
    expect(getDetector(cam, 'R22_S11').serial).toBe('ITL-3800C-283');
    expect(getDetector(cam, 'R22_S00').serial).toBe('ITL-3800C-229');
  });

  it('LSSTCam: 189 science (72 ITL, 117 E2V) + 8 guiders + 8 wavefront, numbered as obs_lsst does', () => {
    const cam = getCamera('lsstcam');
    expect(cam.detectors).toHaveLength(205);
    const science = cam.detectors.filter((d) => d.role === 'science');
    expect(science).toHaveLength(189);
    expect(science.filter((d) => d.vendor === 'ITL')).toHaveLength(72);
    expect(science.filter((d) => d.vendor === 'E2V')).toHaveLength(117);
    expect(cam.detectors.filter((d) => d.role === 'guider')).toHaveLength(8);
    expect(cam.detectors.filter((d) => d.role === 'wavefront')).toHaveLength(8);
    for (const d of cam.detectors) {
      expect(d.id).toBe(lsstCamDetectorNum(d.raft, d.slot));
      expect(d.name).toBe(`${d.raft}_${d.slot}`);
    }
    expect(getDetector(cam, 'R01_S00').id).toBe(0);
    expect(getDetector(cam, 'R22_S11').id).toBe(94);
    expect(getDetector(cam, 'R22_S22').id).toBe(98);
    expect(getDetector(cam, 'R00_SG0').id).toBe(189);
    expect(getDetector(cam, 'R44_SW1').id).toBe(204);
    expect(getDetector(cam, 'R22_S11').serial).toBe('E2V-CCD250-382');
    expect(getDetector(cam, 'R01_S01').serial).toBe('ITL-3800C-226');
    expect(getDetector(cam, 'R22_S11').raftSerial).toBe('LCA-11021_RTM-024');
  });

  it('LSSTCam positions: nominal grid for science CCDs, rotated corner sensors', () => {
    const cam = getCamera('lsstcam');
    for (const d of cam.detectors.filter((x) => x.role === 'science')) {
      const [r, c] = [Number(d.raft[1]), Number(d.raft[2])];
      const [a, b] = [Number(d.slot[1]), Number(d.slot[2])];
      expect(d.centerMm[0]).toBeCloseTo(127 * (c - 2) + 42.25 * (b - 1), 9);
      expect(d.centerMm[1]).toBeCloseTo(127 * (r - 2) + 42.25 * (a - 1), 9);
      expect(d.yawDeg).toBe(0);
    }
    const sg0 = getDetector(cam, 'R00_SG0');
    expect([sg0.centerMm[0], sg0.centerMm[1], sg0.yawDeg]).toEqual([-212.24, -258.74, 90]);
    const sw0 = getDetector(cam, 'R44_SW0');
    expect(sw0.centerMm).toEqual([214.25, 202.625, -1.5]);
    expect(sw0.amps).toHaveLength(8);
    expect([sw0.layout.ccdWidth, sw0.layout.ccdHeight]).toEqual([4072, 2000]);
    expect(sw0.serial).toBe('ITL-4400B-025');
  });

  it('DC2 (LSSTCam-imSim): 189 ITL CCDs at measured positions, gain 0.7, read noise 7', () => {
    const cam = getCamera('dc2');
    expect(cam.detectors).toHaveLength(189);
    expect(cam.instrume).toBeNull();
    for (const d of cam.detectors) {
      expect(d.id).toBe(lsstCamDetectorNum(d.raft, d.slot, false));
      expect(d.vendor).toBe('ITL');
      expect(d.amps.every((a) => a.gain === 0.7 && a.readNoise === 7 && a.saturation === 142857 && a.biasLevel === 1000)).toBe(true);
    }
    const r01s00 = getDetector(cam, 'R01_S00');
    expect(r01s00.centerMm[0]).toBeCloseTo(-127.6 - 42.37, 9);
    expect(r01s00.centerMm[1]).toBeCloseTo(-253.8 - 42.19, 9);
    expect(getDetector(cam, 'R22_S11').serial).toBe('ITL-3800C-017-Dev');
  });

  it('per-amp electronics follow HDU order', () => {
    const latiss = getCamera('latiss').detectors[0]!;
    expect(latiss.amps.map((a) => a.gain)).toEqual([1.0811, 1.047, 1.0795, 1.081, 1.0644, 1.0669, 1.0795, 1.056, 1.1033, 1.1039, 1.1047, 1.084, 1.0939, 1.0874, 1.0933, 1.0972]);
    expect(latiss.amps.map((a) => a.readNoise)).toEqual([8.4, 8.5, 8.4, 8.6, 8.4, 8.4, 8.4, 8.0, 8.5, 10.0, 10.3, 9.7, 9.1, 9.4, 9.9, 9.1]);
    const r01 = getDetector(getCamera('lsstcam'), 'R01_S00');
    expect(r01.amps[0]!.gain).toBe(1.74075);
    expect(r01.amps[15]!.saturation).toBe(130008);
    const belowBias: string[] = [];
    for (const cam of ['latiss', 'comcam', 'lsstcam', 'dc2'].map((k) => getCamera(k))) {
      for (const d of cam.detectors) {
        for (const a of d.amps) {
          expect(a.gain).toBeGreaterThan(0.5);
          expect(a.readNoise).toBeGreaterThan(0);
          if (a.saturation <= a.biasLevel) belowBias.push(`${cam.key}:${d.name}:${a.name}`);
        }
      }
    }
    // Real bad-amp entries are kept as they are (cameras.md section 4); only one sits below the nominal bias.
    expect(belowBias).toEqual(['lsstcam:R30_S00:C10']);
    expect(getDetector(getCamera('lsstcam'), 'R22_S11').amps[0]!.biasLevel).toBe(26411);
    expect(getDetector(getCamera('lsstcam'), 'R01_S00').amps[0]!.biasLevel).toBe(24104);
  });

  it('filters carry physical names and bands', () => {
    expect(getFilter(getCamera('lsstcam'), 'r_57').band).toBe('r');
    expect(getFilter(getCamera('comcam'), 'i_06').band).toBe('i');
    const l = getFilter(getCamera('latiss'), 'SDSSr_65mm~empty');
    expect([l.filter, l.grating, l.band]).toEqual(['SDSSr_65mm', 'empty_1', 'r']);
    const dc2 = getFilter(getCamera('dc2'), 'i_sim_1.4');
    expect([dc2.filter, dc2.throughputsVersion]).toEqual(['i', '1.4']);
    expect(() => getFilter(getCamera('lsstcam'), 'r')).toThrow(expect.objectContaining({ code: 'UNKNOWN_FILTER' }));
  });
});

describe('amplifier layouts', () => {
  const cases: [string, string, string, number, number, number][] = [
    // camera, detector, DATASEC, raw width, CCD width, CCD height
    ['lsstcam', 'R01_S00', '[4:512,1:2000]', 576, 4072, 4000],
    ['lsstcam', 'R22_S11', '[11:522,1:2002]', 576, 4096, 4004],
    ['lsstcam', 'R00_SG0', '[4:512,1:2000]', 576, 4072, 4000],
    ['lsstcam', 'R00_SW0', '[4:512,1:2000]', 576, 4072, 2000],
    ['comcam', 'R22_S11', '[4:512,1:2000]', 576, 4072, 4000],
    ['latiss', 'RXX_S00', '[4:512,1:2000]', 576, 4072, 4000],
    ['dc2', 'R22_S11', '[4:512,1:2000]', 544, 4072, 4000],
  ];

  it.each(cases)('%s %s: DATASEC %s, raw width %i, CCD %ix%i', (key, name, datasec, rawW, ccdW, ccdH) => {
    const d = getDetector(getCamera(key), name);
    expect(dataSection(d.layout)).toBe(datasec);
    expect([d.layout.rawWidth, d.layout.rawHeight]).toEqual([rawW, 2048]);
    expect([d.layout.ccdWidth, d.layout.ccdHeight]).toEqual([ccdW, ccdH]);
    // Every amp tile covers the CCD exactly once.
    const hits = new Uint8Array(ccdW * ccdH);
    for (const a of d.amps) {
      for (let y = a.ccdBox.y0; y < a.ccdBox.y0 + a.ccdBox.height; y++) {
        hits.fill(hits[y * ccdW + a.ccdBox.x0]! + 1, y * ccdW + a.ccdBox.x0, y * ccdW + a.ccdBox.x0 + a.ccdBox.width);
      }
    }
    expect(hits.every((v) => v === 1)).toBe(true);
    // Raw data pixels map onto their tile and back.
    for (const a of d.amps) {
      const { x0, y0, width, height } = d.layout.data;
      for (const [i, j] of [[x0, y0], [x0 + width - 1, y0 + height - 1], [x0 + 17, y0 + 1234]] as const) {
        const p = rawToCcd(d.layout, a, i, j);
        expect(ampAtCcd(d, p.x, p.y)).toBe(a);
        expect(ccdToRaw(d.layout, a, p.x, p.y)).toEqual({ i, j });
      }
    }
  });

  it('HDU order and EXTNAMEs', () => {
    const d = getDetector(getCamera('lsstcam'), 'R22_S11');
    expect(d.amps.map((a) => a.name)).toEqual(HDU_ORDER);
    expect(d.amps.map((a) => a.extname)).toEqual(HDU_ORDER.map((n) => `Segment${n.slice(1)}`));
    expect(d.amps.map((a) => a.hdu)).toEqual(HDU_ORDER.map((_, i) => i + 1));
    expect(getAmp(d, 'Segment07').hdu).toBe(9);
    expect(getAmp(d, 16).name).toBe('C00');
    const wf = getDetector(getCamera('lsstcam'), 'R40_SW1');
    expect(wf.amps.map((a) => a.extname)).toEqual(['Segment10', 'Segment11', 'Segment12', 'Segment13', 'Segment14', 'Segment15', 'Segment16', 'Segment17']);
    expect(() => getAmp(wf, 'C00')).toThrow(expect.objectContaining({ code: 'UNKNOWN_AMP' }));
  });

  it('DETSEC and DTV/DTM match real camera headers (CCS convention)', () => {
    const itl = getDetector(getCamera('lsstcam'), 'R01_S00');
    const e2v = getDetector(getCamera('lsstcam'), 'R22_S11');
    const p = (d: typeof itl, amp: string): ReturnType<typeof detectorPlacement> => detectorPlacement(d.layout, getAmp(d, amp));
    expect(p(itl, 'C10')).toEqual({ detsec: '[509:1,1:2000]', dtv1: 513, dtv2: 0, dtm11: -1, dtm22: 1 });
    expect(p(itl, 'C00')).toEqual({ detsec: '[509:1,4000:2001]', dtv1: 513, dtv2: 4001, dtm11: -1, dtm22: -1 });
    expect(p(itl, 'C17').detsec).toBe('[4072:3564,1:2000]');
    expect(p(e2v, 'C07')).toEqual({ detsec: '[3585:4096,4004:2003]', dtv1: 3574, dtv2: 4005, dtm11: 1, dtm22: -1 });
    expect(p(e2v, 'C00').dtv1).toBe(-10);
    expect(p(e2v, 'C10').detsec).toBe('[512:1,1:2002]');
    // DC2 files carry the DM layout.
    const dc2 = getDetector(getCamera('dc2'), 'R22_S11');
    expect(p(dc2, 'C10').detsec).toBe('[509:1,1:2000]');
    expect(p(dc2, 'C00').detsec).toBe('[509:1,4000:2001]');
    // The DM layout of LSSTCam puts C1x on top: obs_lsst's dm_detsec.
    expect(detectorPlacement(itl.layout, getAmp(itl, 'C10'), 'dm').detsec).toBe('[509:1,4000:2001]');
  });
});

describe('camera data validation', () => {
  function broken(edit: (o: Record<string, unknown>) => void): () => Camera {
    const o = structuredClone(rawJson('comcam'));
    edit(o);
    return () => parseCamera(o, 'test.json');
  }

  it('accepts the shipped files', () => {
    for (const key of ['latiss', 'comcam', 'lsstcam', 'dc2']) expect(parseCamera(rawJson(key), key).key).toBe(key);
  });

  it.each([
    ['wrong per-amp length', (o: Record<string, unknown>) => ((o.detectors as { gain: number[] }[])[0]!.gain = [1, 2, 3])],
    ['duplicate detector id', (o: Record<string, unknown>) => ((o.detectors as { id: number }[])[1]!.id = 0)],
    ['unknown physical type', (o: Record<string, unknown>) => ((o.detectors as { type: string }[])[0]!.type = 'CCD')],
    ['default filter missing', (o: Record<string, unknown>) => (o.defaultFilter = 'r')],
    ['INSTRUME on imSim', (o: Record<string, unknown>) => (o.headerStyle = 'imsim')],
    ['overlapping amps', (o: Record<string, unknown>) => ((o.ampLayouts as { ITL: { amps: { ix: number }[] } }).ITL.amps[1]!.ix = 0)],
    ['bad box', (o: Record<string, unknown>) => ((o.ampLayouts as { ITL: { data: number[] } }).ITL.data = [3, 0, 600, 2000])],
    ['schema version', (o: Record<string, unknown>) => (o.schemaVersion = 2)],
  ])('rejects %s', (_name, edit) => {
    expect(broken(edit)).toThrow(expect.objectContaining({ code: 'BAD_CAMERA_DATA' }));
  });
});
