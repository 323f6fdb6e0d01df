/**
 * The emulator's event log as JSON lines. Two shapes are read: `{name, seq, tai, fields}` (a recorded
 * rehearsal) and `{seq, name, data}` as the DAQ event stream carries it, where the time is data.private_sndStamp.
 * `tai` may be TAI unix seconds or an ISO TAI date without a zone. Times become TAI milliseconds on the same
 * scale as the manifest's dates (ISO TAI read as if UTC).
 */
import { readFile } from 'node:fs/promises';
import { ReportError } from './errors.js';

export interface NightEvent {
  name: string;
  seq: number;
  /** TAI, ms since 1970-01-01T00:00:00 TAI. */
  tai: number;
  fields: Readonly<Record<string, unknown>>;
}

/** TAI ms of an ISO TAI date without zone (manifest and header style); NaN when unreadable. */
export function taiIsoToMs(iso: string | undefined): number {
  if (iso === undefined) return NaN;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(iso);
  if (!m) return NaN;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return ms + (m[7] ? Math.round(Number(m[7]) * 1000) : 0);
}

/** TAI − UTC since 2017. */
export const TAI_MINUS_UTC_MS = 37_000;

/** TAI ms of an ISO UTC instant with a zone (the transfer summary's wall-clock times). */
export function utcIsoToTaiMs(iso: string): number {
  return Date.parse(iso) + TAI_MINUS_UTC_MS;
}

export function taiMsToIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}

function timeOf(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string') return taiIsoToMs(v);
  return NaN;
}

/** Parse JSONL text; lines that are blank are skipped, others must be events. */
export function parseEvents(text: string, source = 'events'): NightEvent[] {
  const out: NightEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new ReportError('BAD_INPUT', `${source}:${i + 1}: not JSON`);
    }
    if (typeof v !== 'object' || v === null || typeof (v as { name?: unknown }).name !== 'string') {
      throw new ReportError('BAD_INPUT', `${source}:${i + 1}: an event needs a "name"`);
    }
    const o = v as Record<string, unknown>;
    const fields = (typeof o['fields'] === 'object' && o['fields'] !== null ? o['fields'] : typeof o['data'] === 'object' && o['data'] !== null ? o['data'] : {}) as Record<string, unknown>;
    const tai = o['tai'] !== undefined ? timeOf(o['tai']) : timeOf(fields['private_sndStamp']);
    if (!Number.isFinite(tai)) throw new ReportError('BAD_INPUT', `${source}:${i + 1}: event ${o['name'] as string} has no readable time`);
    out.push({ name: o['name'] as string, seq: typeof o['seq'] === 'number' ? o['seq'] : out.length + 1, tai, fields });
  }
  return out.sort((a, b) => a.tai - b.tai || a.seq - b.seq);
}

export async function readEvents(path: string): Promise<NightEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReportError('BAD_INPUT', `cannot read events ${path}: ${(err as Error).message}`);
  }
  return parseEvents(text, path);
}

/** The image an event is about (imageName in ts_xml image events), if any. */
export function eventImage(e: NightEvent): string | undefined {
  for (const k of ['imageName', 'obsId', 'obsid']) {
    const v = e.fields[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}
