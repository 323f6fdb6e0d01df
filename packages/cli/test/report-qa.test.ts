/**
 * QA metrics as pure functions on synthetic arrays with known answers: order statistics, overscan bias and
 * noise, detection and classification, bad columns, assembly against @daqsim/core's geometry, PNG and zscale,
 * flags and fault scoring, events and the timeline.
 */
import { inflateSync } from 'node:zlib';
import { crc32, encodeGrayPng, getCamera, getDetector, rawToCcd, toBytes, zscale } from '@daqsim/core';
import { describe, expect, it } from 'vitest';
import { BlockAccumulator, ccdX, ccdY, placeAmp } from '../src/report/assemble.js';
import { type QaFlag, collectFaults, pixelFlags, scoreFaults } from '../src/report/flags.js';
import { parseEvents, taiIsoToMs } from '../src/report/events.js';
import {
  background,
  countKinds,
  detect,
  maskBadColumns,
  moffatBoxFraction,
  overscanCorrected,
  overscanStats,
  rowOverscanLevels,
  saturatedFraction,
  smooth3,
} from '../src/report/qa.js';
import { clippedStats, madSigma, median, quantileSorted, selectInPlace } from '../src/report/stats.js';
import { buildTimeline, latencySeries } from '../src/report/timeline.js';
import { compareWithTruth } from '../src/report/truth.js';
import type { ManifestFile } from '../src/transfer/manifest.js';
import type { TransferSummary } from '../src/transfer/summary.js';
import { mulberry32 } from '../../../test/support/random.js';

/** Seeded standard normal deviates (mulberry32 + Box–Muller). */
function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

describe('order statistics', () => {
  it('median, selection, quantiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(median([7, 7, 7, 7, 1])).toBe(7);
    const a = Float64Array.from([9, 2, 7, 4, 5, 6, 3, 8, 1]);
    expect(selectInPlace(a, 0)).toBe(1);
    expect(selectInPlace(a, 8)).toBe(9);
    expect(selectInPlace(a, 4)).toBe(5);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
  });

  it('robust scatter of Gaussian data with outliers', () => {
    const g = gaussian(1);
    const v = Array.from({ length: 50_000 }, () => 100 + 5 * g());
    for (let i = 0; i < 200; i++) v[i * 97] = 1e6; // cosmic-ray-like outliers
    expect(madSigma(v)).toBeCloseTo(5, 0);
    const s = clippedStats(v, 4);
    expect(s.mean).toBeCloseTo(100, 1);
    expect(Math.abs(s.std / 5 - 1)).toBeLessThan(0.02);
    expect(s.n).toBeLessThanOrEqual(50_000 - 200);
  });
});

/** An ITL-like amp: 3 prescan, `w` data and 16 overscan columns; each row has its own offset. */
function syntheticAmp(opts: { w: number; h: number; bias: number; noise: number; sky: number; seed: number }): { pix: Int32Array; rawWidth: number; rowOffset: Float64Array } {
  const g = gaussian(opts.seed);
  const rawWidth = 3 + opts.w + 16;
  const pix = new Int32Array(rawWidth * opts.h);
  const rowOffset = new Float64Array(opts.h);
  for (let j = 0; j < opts.h; j++) {
    rowOffset[j] = 3 * g(); // row-correlated noise, the same in data and overscan
    for (let i = 0; i < rawWidth; i++) {
      const light = i >= 3 && i < 3 + opts.w ? opts.sky : 0;
      pix[j * rawWidth + i] = Math.round(opts.bias + rowOffset[j]! + light + opts.noise * g());
    }
  }
  return { pix, rawWidth, rowOffset };
}

describe('overscan metrics', () => {
  const w = 100;
  const h = 400;
  const amp = syntheticAmp({ w, h, bias: 20_000, noise: 6, sky: 500, seed: 7 });
  const overscan = { x0: 3 + w, y0: 0, width: 16, height: h };
  const data = { x0: 3, y0: 0, width: w, height: h };

  it('measures bias and read noise from the overscan after per-row subtraction', () => {
    const levels = rowOverscanLevels(amp.pix, amp.rawWidth, overscan);
    const { bias, noise } = overscanStats(amp.pix, amp.rawWidth, overscan, levels);
    const meanOffset = amp.rowOffset.reduce((a, b) => a + b, 0) / h;
    expect(bias).toBeCloseTo(20_000 + meanOffset, 0);
    // Rounding to integers adds 1/12 ADU² of variance; row noise is gone.
    expect(noise).toBeGreaterThan(Math.sqrt(36 + 1 / 12) * 0.96);
    expect(noise).toBeLessThan(Math.sqrt(36 + 1 / 12) * 1.04);
  });

  it('subtracts each row’s level from the data, leaving the sky', () => {
    const levels = rowOverscanLevels(amp.pix, amp.rawWidth, overscan);
    const corrected = overscanCorrected(amp.pix, amp.rawWidth, data, levels);
    expect(corrected).toHaveLength(w * h);
    const bg = background(corrected);
    expect(bg.level).toBeCloseTo(500, 0);
    // Per-row subtraction takes the row noise out of the data too: only pixel noise (plus the row median's) remains.
    expect(bg.sigma).toBeGreaterThan(5.7);
    expect(bg.sigma).toBeLessThan(7.0);
  });

  it('counts saturated pixels in the data section only', () => {
    const pix = new Int32Array(10 * 4).fill(100);
    pix[1 * 10 + 2] = 5000;
    pix[2 * 10 + 3] = 6000;
    pix[0] = 9999; // prescan: ignored
    expect(saturatedFraction(pix, 10, { x0: 1, y0: 0, width: 6, height: 4 }, 5000)).toBeCloseTo(2 / 24, 12);
  });
});

describe('detection', () => {
  const W = 200;
  const H = 160;
  function scene(): Float32Array {
    const g = gaussian(11);
    const sig = new Float32Array(W * H);
    for (let i = 0; i < sig.length; i++) sig[i] = g();
    // A star: Gaussian PSF of 4 px FWHM, peak 40σ, at (50.3, 60.7).
    const s = 4 / 2.3548;
    for (let y = 40; y < 80; y++) for (let x = 30; x < 70; x++) sig[y * W + x] = sig[y * W + x]! + 40 * Math.exp(-((x - 50.3) ** 2 + (y - 60.7) ** 2) / (2 * s * s));
    // A cosmic-ray track: a diagonal line of bright pixels.
    for (let k = 0; k < 6; k++) sig[(100 + k) * W + 120 + k] = 80;
    // A lone hot pixel or CR hit.
    sig[20 * W + 170] = 60;
    return sig;
  }

  it('finds the star as a source, the track as a cosmic ray and the lone spike as a hot pixel', () => {
    const sig = scene();
    const dets = detect(sig, smooth3(sig, W, H), W, H, { threshold: 5 });
    expect(countKinds(dets)).toEqual({ source: 1, 'cosmic-ray': 1, 'hot-pixel': 1 });
    const star = dets.find((d) => d.kind === 'source')!;
    expect(star.x).toBeGreaterThanOrEqual(49);
    expect(star.x).toBeLessThanOrEqual(51);
    expect(star.y).toBeGreaterThanOrEqual(60);
    expect(star.y).toBeLessThanOrEqual(61);
    expect(dets.find((d) => d.kind === 'cosmic-ray' && d.pixels >= 6)).toBeDefined();
  });

  it('finds nothing in pure noise', () => {
    const g = gaussian(5);
    const sig = Float32Array.from({ length: W * H }, () => g());
    expect(detect(sig, smooth3(sig, W, H), W, H, { threshold: 5 })).toEqual([]);
  });

  it('smooth3 keeps white noise at unit σ and triples a constant', () => {
    const g = gaussian(3);
    const sig = Float32Array.from({ length: W * H }, () => g());
    const sm = smooth3(sig, W, H);
    const interior: number[] = [];
    for (let y = 1; y < H - 1; y++) for (let x = 1; x < W - 1; x++) interior.push(sm[y * W + x]!);
    expect(Math.abs(clippedStats(interior).std - 1)).toBeLessThan(0.03);
    const c = smooth3(new Float32Array(9).fill(2), 3, 3);
    expect(c[4]).toBeCloseTo(6, 6);
    expect(c[0]).toBeCloseTo(8 / 3, 6);
  });

  it('masks hot and dark columns and leaves the rest', () => {
    const g = gaussian(9);
    const sig = Float32Array.from({ length: W * H }, () => g());
    for (let y = 0; y < H; y++) {
      sig[y * W + 17] = sig[y * W + 17]! + 4; // hot
      sig[y * W + 150] = sig[y * W + 150]! - 20; // dark
    }
    const cols = maskBadColumns(sig, W, [{ x0: 0, y0: 0, width: W, height: H }]);
    expect(cols.map((c) => c.x)).toEqual([17, 150]);
    expect(cols[0]!.level).toBeGreaterThan(3);
    expect(cols[1]!.level).toBeLessThan(-15);
    expect(sig[5 * W + 17]).toBe(0);
  });

  it('Moffat box fractions: all the flux in a wide box, the analytic peak in the central pixel', () => {
    expect(moffatBoxFraction(3, 60)).toBeGreaterThan(0.995);
    const fwhm = 20; // wide enough that the pixel samples the peak
    const alpha = fwhm / (2 * Math.sqrt(2 ** (1 / 3.5) - 1));
    expect(moffatBoxFraction(fwhm, 0.5) / ((3.5 - 1) / (Math.PI * alpha * alpha))).toBeCloseTo(1, 2);
  });
});

describe('CCD assembly', () => {
  it('places every amp data pixel where @daqsim/core says it goes', () => {
    for (const [cam, name] of [
      ['comcam', 'R22_S11'],
      ['lsstcam', 'R22_S11'],
      ['latiss', 'RXX_S00'],
    ] as const) {
      const det = getDetector(getCamera(cam), name);
      const L = det.layout;
      for (const amp of det.amps) {
        for (const [u, j] of [
          [0, 0],
          [L.data.width - 1, 0],
          [0, L.data.height - 1],
          [17, 123],
        ] as const) {
          const want = rawToCcd(L, amp, L.data.x0 + u, j);
          expect([ccdX(amp, u), ccdY(amp, j)]).toEqual([want.x, want.y]);
        }
      }
    }
  });

  it('placeAmp writes a block through the flips; BlockAccumulator averages blocks', () => {
    const ccd = new Float32Array(4 * 2);
    const block = Float32Array.from([1, 2, 3, 4]); // 2 × 2, readout order
    placeAmp(ccd, 4, block, { ccdBox: { x0: 2, y0: 0, width: 2, height: 2 }, flipX: true, flipY: true }, 10, 1);
    expect([...ccd]).toEqual([0, 0, 41, 31, 0, 0, 21, 11]);
    const acc = new BlockAccumulator(4, 2, 2);
    acc.add(block, { ccdBox: { x0: 0, y0: 0, width: 2, height: 2 }, flipX: false, flipY: false });
    const r = acc.result();
    expect(r[0]).toBeCloseTo(2.5, 6);
    expect(r[1]).toBeNaN();
  });
});

describe('PNG and zscale', () => {
  it('encodes a greyscale PNG that inflates back to the pixels', () => {
    const w = 5;
    const h = 3;
    const gray = Uint8Array.from({ length: w * h }, (_, i) => (i * 37) & 0xff);
    const png = Buffer.from(encodeGrayPng(gray, w, h));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(w);
    expect(png.readUInt32BE(20)).toBe(h);
    expect(png.readUInt32BE(29)).toBe(crc32(png.subarray(12, 29)));
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    // Every row carries filter 0 (None): the bytes follow as they are.
    const back = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      expect(raw[y * (w + 1)]).toBe(0);
      for (let x = 0; x < w; x++) back[y * w + x] = raw[y * (w + 1) + 1 + x]!;
    }
    expect([...back]).toEqual([...gray]);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('zscale brackets the noise of the sky and ignores bright outliers', () => {
    const g = gaussian(2);
    const v = Float32Array.from({ length: 20_000 }, (_, i) => (i % 500 === 0 ? 1e5 : 1000 + 30 * g()));
    const { z1, z2 } = zscale(v);
    expect(z1).toBeGreaterThan(1000 - 30 * 8);
    expect(z1).toBeLessThan(1000 - 30);
    expect(z2).toBeGreaterThan(1000 + 30);
    expect(z2).toBeLessThan(1000 + 30 * 8);
    expect([...toBytes([z1 - 1, z1, (z1 + z2) / 2, z2, z2 + 1], { z1, z2 })]).toEqual([0, 0, 128, 255, 255]);
  });
});

describe('flags, faults and truth', () => {
  const comcam = getDetector(getCamera('comcam'), 'R22_S11');
  const amps = comcam.amps.map((a) => ({ name: a.name, bias: a.biasLevel + 3, noise: a.readNoise / a.gain, saturatedFraction: 0 }));
  const base = { imageType: 'OBJECT', detector: 'R22_S11', obsId: 'CC_S_20251015_000003', header: {}, missingKeywords: [], missingAmps: [], checksumProblems: [], amps, level: 990, sources: 1200 };

  it('flags nothing on a healthy CCD and the right thing on a broken one', () => {
    expect(pixelFlags(base, comcam.amps)).toEqual([]);
    const broken = pixelFlags(
      { ...base, amps: amps.map((a, k) => (k === 2 ? { ...a, bias: a.bias + 2000, noise: a.noise * 3 } : a)), sources: 0, missingKeywords: ['GROUPID'], writeDelay: 12 },
      comcam.amps,
    );
    expect(broken.map((f) => f.code)).toEqual(['header', 'bias-offset', 'noise-high', 'no-sources', 'late']);
    expect(pixelFlags({ ...base, imageType: 'BIAS', level: 400, sources: 0 }, comcam.amps).map((f) => f.code)).toEqual(['light-in-dark']);
  });

  it('scores injected faults against the flags on their targets', () => {
    const events = parseEvents(
      [
        JSON.stringify({ name: 'faultInjected', seq: 1, tai: 1760576460, fields: { kind: 'headerKeywordMissing', imageName: 'CC_S_20251015_000003', detector: 'R22_S11', detail: 'GROUPID' } }),
        JSON.stringify({ seq: 2, name: 'faultInjected', data: { kind: 'notificationDropped', imageName: 'CC_S_20251015_000002', detector: 'R22_S11', detail: '', private_sndStamp: 1760576470 } }),
      ].join('\n'),
    );
    const faults = collectFaults([{ kind: 'truncated', path: 'a/b.fits.fz', detail: 'half' }, { kind: 'bitflip', path: 'a/c.fits.fz' }], events);
    const flag = (code: QaFlag['code']): QaFlag[] => [{ code, detail: '' }];
    const files = [
      { path: 'a/b.fits.fz', obsId: 'CC_S_20251015_000001', detector: 'R22_S11', flags: flag('unreadable') },
      { path: 'a/c.fits.fz', obsId: 'CC_S_20251015_000001', detector: 'R22_S12', flags: [] },
      { path: 'a/d.fits.fz', obsId: 'CC_S_20251015_000003', detector: 'R22_S11', flags: flag('header') },
      { path: 'a/e.fits.fz', obsId: 'CC_S_20251015_000002', detector: 'R22_S11', flags: [] },
      { path: 'a/f.fits.fz', obsId: 'CC_S_20251015_000004', detector: 'R22_S11', flags: flag('saturation') },
    ];
    const { verdicts, unexplained } = scoreFaults(faults, files);
    expect(verdicts.map((v) => [v.fault.kind, v.verdict])).toEqual([
      ['truncated', 'caught'],
      ['bitflip', 'missed'],
      ['headerKeywordMissing', 'caught'],
      ['notificationDropped', 'no file effect'],
    ]);
    expect(unexplained.map((f) => f.path)).toEqual(['a/f.fits.fz']);
  });

  it('compares measurements with the truth sidecar', () => {
    const cmp = compareWithTruth(
      { amps: [{ name: 'C10', bias: 24103.5, noise: 4.3 }], sigmaE: 32, smoothNoise: 1.05, threshold: 5 },
      {
        plan: { seeing: 0.7 },
        amps: [{ name: 'C10', biasLevel: 24103.4, readNoiseAdu: 4.28, gain: 1.35 }],
        scene: { skyLevel: 990, darkRate: 0.02, darkTime: 32, sources: [{ flux: 10 }, { flux: 1e6 }], cosmicRays: [{}, {}], defects: { columns: [{}] } },
      },
      0.2,
    )!;
    expect(cmp.biasDeltaMaxAbs).toBeCloseTo(0.1, 6);
    expect(cmp.noiseRatioMean).toBeCloseTo(4.3 / 4.28, 6);
    expect(cmp.expectedLevel).toBeCloseTo(990.64, 6);
    expect(cmp.sourcesPredicted).toBe(1);
    expect([cmp.cosmicRays, cmp.badColumns, cmp.sourcesPlaced]).toEqual([2, 1, 2]);
  });
});

describe('events and timeline', () => {
  const file = (seq: number, fileDate: string, beg: string, end: string): ManifestFile => ({
    path: `LSSTComCam/20251015/CC_S_20251015_00000${seq}/CC_S_20251015_00000${seq}_R22_S11.fits.fz`,
    size: 1000,
    obsId: `CC_S_20251015_00000${seq}`,
    dayObs: 20251015,
    seqNum: seq,
    detector: 'R22_S11',
    imageType: 'OBJECT',
    band: 'r',
    exptime: 30,
    dateBeg: beg,
    dateEnd: end,
    fileDate,
  });
  const files = [file(1, '2025-10-16T03:00:32.730', '2025-10-16T03:00:00.000', '2025-10-16T03:00:30.430'), file(2, '2025-10-16T03:00:40.000', '2025-10-16T03:00:35.000', '2025-10-16T03:00:37.000')];

  it('reads both event shapes and TAI in seconds or ISO', () => {
    const ev = parseEvents(
      `${JSON.stringify({ name: 'startIntegration', seq: 5, tai: '2025-10-16T03:00:00.100', fields: { imageName: 'X' } })}\n\n${JSON.stringify({ seq: 6, name: 'endReadout', data: { imageName: 'X', private_sndStamp: 1760583632.5 } })}\n`,
    );
    expect(ev.map((e) => [e.name, e.tai])).toEqual([
      ['startIntegration', taiIsoToMs('2025-10-16T03:00:00.100')],
      ['endReadout', 1760583632500],
    ]);
    expect(() => parseEvents('{"seq":1}')).toThrow(/name/);
    expect(() => parseEvents('{"name":"x"}')).toThrow(/time/);
  });

  it('replays a transfer run after the night on the night’s timeline, in write order, one file at a time', () => {
    const transfer = {
      files: [
        { path: files[0]!.path, verified: true, seconds: 10, start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:00:10.000Z' },
        { path: files[1]!.path, verified: true, seconds: 4, start: '2026-01-01T00:00:10.000Z', end: '2026-01-01T00:00:14.000Z' },
      ],
    } as unknown as TransferSummary;
    const t = buildTimeline(files, [], transfer, 2);
    expect(t.transferMode).toBe('replayed');
    // File 1 written 03:00:32.730, arrives 10 s later; file 2 written 03:00:40 but the link is busy until 42.730.
    expect(t.arrivals.map((a) => (a.arrived - a.written) / 1000)).toEqual([10, 6.73]);
    expect(t.exposures[0]!.readoutEnd - t.exposures[0]!.integrationEnd).toBe(2000);
    const lat = latencySeries(t);
    expect(lat.map((l) => l.key)).toEqual(['readout-written', 'written-arrived', 'link-time']);
  });

  it('uses event times and the takeImages command when there is a log', () => {
    const tai = (iso: string): number => taiIsoToMs(iso) / 1000;
    const events = parseEvents(
      [
        { name: 'ackcmd', tai: tai('2025-10-16T03:00:34.000'), fields: { command: 'takeImages', ack: 301 } },
        { name: 'startIntegration', tai: tai('2025-10-16T03:00:35.100'), fields: { imageName: 'CC_S_20251015_000002' } },
        { name: 'largeFileObjectAvailable', tai: tai('2025-10-16T03:00:41.000'), fields: { obsId: 'CC_S_20251015_000002' } },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const t = buildTimeline(files, events, undefined, 2);
    const e2 = t.exposures[1]!;
    expect(e2.command).toBe(taiIsoToMs('2025-10-16T03:00:34.000'));
    expect(e2.integrationStart).toBe(taiIsoToMs('2025-10-16T03:00:35.100'));
    expect(e2.notified! - e2.fileWritten).toBe(1000);
    expect(t.exposures[0]!.command).toBeUndefined();
  });
});
