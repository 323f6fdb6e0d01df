/**
 * What the QA flags, per CCD file, and how injected faults are scored against it. Rules are deliberately plain
 * thresholds on the measured metrics so a reader of the report can see why a CCD was flagged.
 */
import type { Amplifier } from '@daqsim/core';
import type { ManifestFault } from '../transfer/manifest.js';
import { type NightEvent, eventImage } from './events.js';

export type QaFlagCode =
  | 'missing'
  | 'unreadable'
  | 'size-mismatch'
  | 'sha256-mismatch'
  | 'checksum'
  | 'amp-missing'
  | 'header'
  | 'bias-offset'
  | 'noise-high'
  | 'saturation'
  | 'no-sources'
  | 'light-in-dark'
  | 'late'
  | 'transfer-failed';

export interface QaFlag {
  code: QaFlagCode;
  detail: string;
}

/** Thresholds of the rules. */
export const QA_LIMITS = {
  /** |bias − nominal| [ADU]. */
  biasOffsetAdu: 500,
  /** Measured / nominal read noise. */
  noiseRatio: 1.5,
  /** Saturated fraction of the data pixels. */
  saturatedFraction: 0.01,
  /** Median level of a BIAS or DARK [e-] beyond this is light where none should be. */
  darkLevelE: 50,
  /** File written later than readout end by more than this [s]. */
  lateSeconds: 5,
} as const;

/** Primary-header keywords the translators need; a missing one is a 'header' flag. */
export const REQUIRED_KEYWORDS = ['OBSID', 'IMGTYPE', 'DAYOBS', 'SEQNUM', 'GROUPID', 'DATE-BEG', 'DATE-END', 'EXPTIME', 'RAFTBAY', 'CCDSLOT', 'FILTER', 'INSTRUME'] as const;

export interface FlagInput {
  imageType: string;
  detector: string;
  obsId: string;
  header: { obsId?: string; imageType?: string; detector?: string };
  missingKeywords: string[];
  missingAmps: string[];
  checksumProblems: string[];
  amps: Array<{ name: string; bias: number; noise: number; saturatedFraction: number }>;
  /** Median level [e-]. */
  level: number;
  sources: number;
  /** Seconds from readout end to file written (manifest), when known. */
  writeDelay?: number;
}

const SKY_TYPES = new Set(['OBJECT', 'ACQ', 'ENGTEST', 'CWFS', 'STUTTERED', 'SKYEXP']);
const DARK_TYPES = new Set(['BIAS', 'DARK']);

/** Flags of a readable file from its measurements and the camera's nominal amps. */
export function pixelFlags(m: FlagInput, nominal: readonly Amplifier[]): QaFlag[] {
  const flags: QaFlag[] = [];
  const nom = new Map(nominal.map((a) => [a.name, a]));
  if (m.checksumProblems.length) flags.push({ code: 'checksum', detail: m.checksumProblems.join('; ') });
  if (m.missingAmps.length) flags.push({ code: 'amp-missing', detail: `no HDU for ${m.missingAmps.join(', ')}` });
  const hdr: string[] = [];
  if (m.missingKeywords.length) hdr.push(`missing ${m.missingKeywords.join(', ')}`);
  if (m.header.obsId !== undefined && m.obsId && m.header.obsId !== m.obsId) hdr.push(`OBSID ${m.header.obsId} but the manifest says ${m.obsId}`);
  if (m.header.detector !== undefined && m.detector && m.header.detector !== m.detector) hdr.push(`RAFTBAY/CCDSLOT ${m.header.detector} but the manifest says ${m.detector}`);
  if (hdr.length) flags.push({ code: 'header', detail: hdr.join('; ') });
  const biasOff = m.amps.filter((a) => Math.abs(a.bias - (nom.get(a.name)?.biasLevel ?? a.bias)) > QA_LIMITS.biasOffsetAdu);
  if (biasOff.length) flags.push({ code: 'bias-offset', detail: biasOff.map((a) => `${a.name} ${a.bias.toFixed(0)} ADU (nominal ${nom.get(a.name)!.biasLevel})`).join(', ') });
  const noisy = m.amps.filter((a) => {
    const n = nom.get(a.name);
    return n !== undefined && a.noise > (QA_LIMITS.noiseRatio * n.readNoise) / n.gain;
  });
  if (noisy.length) flags.push({ code: 'noise-high', detail: noisy.map((a) => `${a.name} ${a.noise.toFixed(1)} ADU`).join(', ') });
  const npix = m.amps.length;
  const sat = npix ? m.amps.reduce((s, a) => s + a.saturatedFraction, 0) / npix : 0;
  if (sat > QA_LIMITS.saturatedFraction) flags.push({ code: 'saturation', detail: `${(100 * sat).toFixed(2)}% of pixels saturated` });
  const type = m.imageType.toUpperCase();
  if (SKY_TYPES.has(type) && m.sources === 0 && m.amps.length > 0) flags.push({ code: 'no-sources', detail: 'no source detected on a sky exposure' });
  if (DARK_TYPES.has(type) && m.level > QA_LIMITS.darkLevelE) flags.push({ code: 'light-in-dark', detail: `median ${m.level.toFixed(0)} e- in a ${type}` });
  if (m.writeDelay !== undefined && m.writeDelay > QA_LIMITS.lateSeconds) flags.push({ code: 'late', detail: `written ${m.writeDelay.toFixed(1)} s after readout` });
  return flags;
}

/** An injected fault, from the manifest or the event log, normalized. */
export interface InjectedFault {
  source: 'manifest' | 'events';
  kind: string;
  obsId?: string;
  detector?: string;
  path?: string;
  detail: string;
  tai?: number;
}

/** Fault kinds with no effect on the files, which file QA cannot be expected to see. */
export const NO_FILE_EFFECT = new Set(['readoutHang', 'notReady', 'cscFault', 'notificationDuplicated', 'notificationDropped']);

export function collectFaults(manifestFaults: readonly ManifestFault[], events: readonly NightEvent[]): InjectedFault[] {
  const out: InjectedFault[] = manifestFaults.map((f) => ({
    source: 'manifest' as const,
    kind: f.kind,
    ...(f.obsId ? { obsId: f.obsId } : {}),
    ...(f.detector ? { detector: f.detector } : {}),
    ...(f.path ? { path: f.path } : {}),
    detail: f.detail ?? '',
  }));
  for (const e of events) {
    if (e.name !== 'faultInjected') continue;
    const img = eventImage(e);
    const det = typeof e.fields['detector'] === 'string' && e.fields['detector'] ? (e.fields['detector'] as string) : undefined;
    out.push({
      source: 'events',
      kind: String(e.fields['kind'] ?? 'unknown'),
      ...(img ? { obsId: img } : {}),
      ...(det ? { detector: det } : {}),
      detail: String(e.fields['detail'] ?? ''),
      tai: e.tai,
    });
  }
  return out;
}

export interface FileRef {
  path: string;
  obsId: string;
  detector: string;
  flags: readonly QaFlag[];
}

export interface FaultVerdict {
  fault: InjectedFault;
  /** Files the fault points at. */
  targets: string[];
  /** Flags QA raised on them. */
  flags: QaFlagCode[];
  verdict: 'caught' | 'missed' | 'no file effect' | 'no target';
}

/** Does each injected fault show up as a QA flag on the file(s) it hit? */
export function scoreFaults(faults: readonly InjectedFault[], files: readonly FileRef[]): { verdicts: FaultVerdict[]; unexplained: FileRef[] } {
  const explained = new Set<string>();
  const verdicts = faults.map((fault): FaultVerdict => {
    const targets = files.filter((f) =>
      fault.path !== undefined ? f.path === fault.path || f.path.endsWith(`/${fault.path}`) : fault.obsId !== undefined && f.obsId === fault.obsId && (fault.detector === undefined || f.detector === fault.detector),
    );
    for (const t of targets) explained.add(t.path);
    const flags = [...new Set(targets.flatMap((t) => t.flags.map((x) => x.code)))];
    const verdict = flags.length ? 'caught' : NO_FILE_EFFECT.has(fault.kind) ? 'no file effect' : targets.length ? 'missed' : 'no target';
    return { fault, targets: targets.map((t) => t.path), flags, verdict };
  });
  const unexplained = files.filter((f) => f.flags.length > 0 && !explained.has(f.path));
  return { verdicts, unexplained };
}
