/**
 * QA against the synthesis truth sidecar: what the pixels were made from. Bias and noise per amp compare
 * directly; the sky adds the dark current; sources compare with the truth sources a 5σ threshold on the 3 × 3
 * smoothed image could see if they were point sources (galaxies are wider, so this is an upper-end estimate).
 */
import { moffatBoxFraction } from './qa.js';

/** The parts of a truth sidecar the report reads. */
export interface TruthRecord {
  plan?: { seeing?: number; imageType?: string };
  amps?: Array<{ name: string; biasLevel: number; readNoiseAdu: number; gain: number }>;
  scene?: {
    skyLevel?: number;
    lampLevel?: number;
    darkRate?: number;
    darkTime?: number;
    sources?: Array<{ flux: number; kind?: string }>;
    cosmicRays?: unknown[];
    defects?: { columns?: unknown[]; hotPixels?: unknown[] };
  };
}

export interface TruthComparison {
  /** Measured − truth bias per amp [ADU]: mean and largest magnitude. */
  biasDeltaMean: number;
  biasDeltaMaxAbs: number;
  /** Measured / truth read noise per amp: mean, min, max. */
  noiseRatioMean: number;
  noiseRatioMin: number;
  noiseRatioMax: number;
  perAmp: Array<{ name: string; truthBias: number; biasDelta: number; noiseRatio: number; truthNoise: number; measuredNoise: number }>;
  /** Expected median level [e-]: sky or lamp plus dark current. */
  expectedLevel: number;
  sourcesPlaced: number;
  sourcesPredicted: number;
  cosmicRays: number;
  hotPixels: number;
  badColumns: number;
}

export interface MeasuredForTruth {
  amps: Array<{ name: string; bias: number; noise: number }>;
  /** Median robust noise of the data [e-] and the smoothed image's noise relative to white noise. */
  sigmaE: number;
  smoothNoise: number;
  threshold: number;
}

export function compareWithTruth(m: MeasuredForTruth, t: TruthRecord, pixelScaleArcsec: number): TruthComparison | undefined {
  const tAmps = new Map((t.amps ?? []).map((a) => [a.name, a]));
  const perAmp = m.amps.flatMap((a) => {
    const ta = tAmps.get(a.name);
    return ta ? [{ name: a.name, truthBias: ta.biasLevel, biasDelta: a.bias - ta.biasLevel, noiseRatio: a.noise / ta.readNoiseAdu, truthNoise: ta.readNoiseAdu, measuredNoise: a.noise }] : [];
  });
  if (perAmp.length === 0) return undefined;
  const s = t.scene ?? {};
  const dark = (s.darkRate ?? 0) * (s.darkTime ?? 0);
  const expectedLevel = (s.skyLevel ?? 0) + (s.lampLevel ?? 0) + dark;
  const seeing = t.plan?.seeing ?? 0.7;
  // Smoothed significance of a point source = flux × (3×3 box fraction) / (3 σ), against threshold × smoothNoise.
  const boxFraction = moffatBoxFraction(seeing / pixelScaleArcsec, 1.5);
  const limit = (m.threshold * m.smoothNoise * 3 * m.sigmaE) / boxFraction;
  const sources = s.sources ?? [];
  return {
    biasDeltaMean: perAmp.reduce((a, p) => a + p.biasDelta, 0) / perAmp.length,
    biasDeltaMaxAbs: Math.max(...perAmp.map((p) => Math.abs(p.biasDelta))),
    noiseRatioMean: perAmp.reduce((a, p) => a + p.noiseRatio, 0) / perAmp.length,
    noiseRatioMin: Math.min(...perAmp.map((p) => p.noiseRatio)),
    noiseRatioMax: Math.max(...perAmp.map((p) => p.noiseRatio)),
    perAmp,
    expectedLevel,
    sourcesPlaced: sources.length,
    sourcesPredicted: m.sigmaE > 0 ? sources.filter((x) => x.flux > limit).length : 0,
    cosmicRays: s.cosmicRays?.length ?? 0,
    hotPixels: s.defects?.hotPixels?.length ?? 0,
    badColumns: s.defects?.columns?.length ?? 0,
  };
}
