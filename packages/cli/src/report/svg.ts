/**
 * Inline SVG charts for the report: the night overview (one lane per phase), the per-exposure image cycle,
 * histograms and scatter plots. Plain strings, no library; every mark carries a <title> for hover details.
 */
import { quantileSorted } from './stats.js';
import type { ExposureTimeline, NightTimeline } from './timeline.js';

export const COLORS = {
  command: '#8c6d31',
  integration: '#3b6fb6',
  readout: '#e8871e',
  written: '#8e5ea2',
  notified: '#2a9d8f',
  transferred: '#4caf50',
  grid: '#e3e6ea',
  axis: '#5f6b7a',
  bar: '#3b6fb6',
  flag: '#d64545',
} as const;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];

function timeTicks(t0: number, t1: number, count = 8): number[] {
  const span = (t1 - t0) / 1000;
  const step = (TIME_STEPS_S.find((s) => span / s <= count) ?? 43200) * 1000;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function hhmm(t: number, withSeconds: boolean): string {
  const iso = new Date(t).toISOString();
  return withSeconds ? iso.slice(11, 19) : iso.slice(11, 16);
}

export function isoTai(t: number): string {
  return new Date(t).toISOString().slice(0, 23);
}

const LANES = [
  ['command', 'command'],
  ['integration', 'integration'],
  ['readout', 'readout'],
  ['written', 'file written'],
  ['notified', 'notified'],
  ['transferred', 'transferred'],
] as const;

/** The whole night, one lane per phase; integration and readout as spans, the rest as ticks. */
export function overviewSvg(t: NightTimeline, width = 1080): string {
  const left = 96;
  const right = 16;
  const laneH = 22;
  const top = 8;
  const h = top + LANES.length * laneH + 26;
  const pad = Math.max(1000, (t.end - t.start) * 0.01);
  const t0 = t.start - pad;
  const t1 = t.end + pad;
  const x = (v: number): number => left + ((v - t0) / (t1 - t0)) * (width - left - right);
  const parts: string[] = [];
  const ticks = timeTicks(t0, t1);
  const withSeconds = t1 - t0 < 600_000;
  for (const tk of ticks) {
    parts.push(`<line x1="${f1(x(tk))}" x2="${f1(x(tk))}" y1="${top}" y2="${top + LANES.length * laneH}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${f1(x(tk))}" y="${top + LANES.length * laneH + 14}" text-anchor="middle" class="tick">${hhmm(tk, withSeconds)}</text>`);
  }
  LANES.forEach(([key, label], i) => {
    const y = top + i * laneH;
    parts.push(`<text x="${left - 8}" y="${y + laneH / 2 + 4}" text-anchor="end" class="lane">${label}</text>`);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y + laneH}" y2="${y + laneH}" stroke="${COLORS.grid}"/>`);
    for (const e of t.exposures) {
      const tip = (what: string, a: number, b?: number): string =>
        `<title>${esc(`${e.obsId} ${e.imageType} ${what}: ${isoTai(a)}${b !== undefined ? ` → ${isoTai(b)} (${((b - a) / 1000).toFixed(1)} s)` : ''} TAI`)}</title>`;
      const span = (a: number, b: number, color: string): void => {
        const w = Math.max(1.5, x(b) - x(a));
        parts.push(`<rect x="${f1(x(a))}" y="${y + 4}" width="${f1(w)}" height="${laneH - 8}" fill="${color}" opacity="0.85">${tip(label, a, b)}</rect>`);
      };
      const tick = (a: number | undefined, color: string): void => {
        if (a === undefined || !Number.isFinite(a)) return;
        parts.push(`<line x1="${f1(x(a))}" x2="${f1(x(a))}" y1="${y + 3}" y2="${y + laneH - 3}" stroke="${color}" stroke-width="1.5">${tip(label, a)}</line>`);
      };
      if (key === 'command') tick(e.command, COLORS.command);
      else if (key === 'integration') span(e.integrationStart, e.integrationEnd, COLORS.integration);
      else if (key === 'readout') span(e.integrationEnd, e.readoutEnd, COLORS.readout);
      else if (key === 'written') tick(e.fileWritten, COLORS.written);
      else if (key === 'notified') tick(e.notified, COLORS.notified);
      else tick(e.transferred, COLORS.transferred);
    }
  });
  parts.push(`<text x="${width - right}" y="${h - 2}" text-anchor="end" class="tick">TAI</text>`);
  return `<svg class="chart" role="img" aria-label="night timeline" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}">${parts.join('')}</svg>`;
}

/** One row per exposure: each phase as a bar, seconds from the command (or integration start). */
export function cycleSvg(t: NightTimeline, width = 1080, maxRows = 400): string {
  const rows = t.exposures.slice(0, maxRows);
  const left = 190;
  const right = 16;
  const rowH = 13;
  const top = 6;
  const h = top + rows.length * rowH + 26;
  const origin = (e: ExposureTimeline): number => e.command ?? e.integrationStart;
  const endOf = (e: ExposureTimeline): number => Math.max(e.fileWritten, e.notified ?? 0, e.transferred ?? 0);
  const spans = rows.map((e) => (endOf(e) - origin(e)) / 1000).sort((a, b) => a - b);
  // The 98th percentile sets the scale, so one stuck transfer does not squash every other row.
  const xmax = Math.max(1, quantileSorted(spans, 0.98) * 1.05);
  const x = (s: number): number => left + (Math.min(s, xmax) / xmax) * (width - left - right);
  const parts: string[] = [];
  for (const tk of niceTicks(0, xmax, 8)) {
    parts.push(`<line x1="${f1(x(tk))}" x2="${f1(x(tk))}" y1="${top}" y2="${top + rows.length * rowH}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${f1(x(tk))}" y="${top + rows.length * rowH + 14}" text-anchor="middle" class="tick">${tk}</text>`);
  }
  rows.forEach((e, i) => {
    const y = top + i * rowH;
    const o = origin(e);
    const s = (v: number): number => (v - o) / 1000;
    parts.push(`<text x="${left - 6}" y="${y + rowH - 3}" text-anchor="end" class="row">${esc(`${e.obsId} ${e.imageType}`)}</text>`);
    const bar = (a: number, b: number, color: string, what: string, thin = false): void => {
      if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return;
      const w = Math.max(1, x(s(b)) - x(s(a)));
      const yy = thin ? y + rowH - 5 : y + 2;
      const hh = thin ? 3 : rowH - 6;
      parts.push(`<rect x="${f1(x(s(a)))}" y="${yy}" width="${f1(w)}" height="${hh}" fill="${color}"><title>${esc(`${e.obsId} ${what}: ${((b - a) / 1000).toFixed(2)} s`)}</title></rect>`);
    };
    if (e.command !== undefined) bar(e.command, e.integrationStart, COLORS.command, 'command → integration');
    bar(e.integrationStart, e.integrationEnd, COLORS.integration, 'integration');
    bar(e.integrationEnd, e.readoutEnd, COLORS.readout, 'readout');
    bar(e.readoutEnd, e.fileWritten, COLORS.written, 'readout end → files written');
    if (e.notified !== undefined) bar(e.fileWritten, e.notified, COLORS.notified, 'written → notified', true);
    if (e.transferred !== undefined) bar(e.fileWritten, e.transferred, COLORS.transferred, 'written → arrived at the data facility', true);
  });
  parts.push(`<text x="${width - right}" y="${h - 2}" text-anchor="end" class="tick">seconds since ${t.exposures.some((e) => e.command !== undefined) ? 'command' : 'integration start'}</text>`);
  return `<svg class="chart" role="img" aria-label="image cycle per exposure" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}">${parts.join('')}</svg>`;
}

export interface Stats {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

export function summarize(values: readonly number[]): Stats {
  const s = Float64Array.from(values).sort();
  return { n: s.length, min: s[0] ?? NaN, median: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), max: s[s.length - 1] ?? NaN };
}

/** Histogram of values (seconds) with the median marked. */
export function histogramSvg(values: readonly number[], label: string, width = 340, height = 170, color: string = COLORS.bar): string {
  const st = summarize(values);
  const left = 34;
  const bottom = 30;
  const top = 8;
  const right = 10;
  let lo = st.min;
  let hi = st.max;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const bins = Math.min(30, Math.max(5, Math.ceil(Math.sqrt(values.length))));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]! += 1;
  const cmax = Math.max(...counts);
  const x = (v: number): number => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const y = (c: number): number => height - bottom - (c / cmax) * (height - top - bottom);
  const parts: string[] = [];
  const bw = (width - left - right) / bins;
  counts.forEach((c, i) => {
    if (c === 0) return;
    const a = lo + ((hi - lo) * i) / bins;
    const b = lo + ((hi - lo) * (i + 1)) / bins;
    parts.push(`<rect x="${f1(left + i * bw + 0.5)}" y="${f1(y(c))}" width="${f1(Math.max(1, bw - 1))}" height="${f1(height - bottom - y(c))}" fill="${color}"><title>${c} in [${a.toFixed(2)}, ${b.toFixed(2)}) s</title></rect>`);
  });
  for (const tk of niceTicks(lo, hi, 4)) {
    parts.push(`<line x1="${f1(x(tk))}" x2="${f1(x(tk))}" y1="${height - bottom}" y2="${height - bottom + 4}" stroke="${COLORS.axis}"/>`);
    parts.push(`<text x="${f1(x(tk))}" y="${height - bottom + 15}" text-anchor="middle" class="tick">${+tk.toPrecision(6)}</text>`);
  }
  parts.push(`<text x="${left - 4}" y="${top + 8}" text-anchor="end" class="tick">${cmax}</text>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="${COLORS.axis}"/>`);
  parts.push(`<line x1="${f1(x(st.median))}" x2="${f1(x(st.median))}" y1="${top}" y2="${height - bottom}" stroke="#222" stroke-dasharray="3 3"><title>median ${st.median.toFixed(3)} s</title></line>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 2}" text-anchor="middle" class="tick">${esc(label)}</text>`);
  return `<svg class="chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  flagged?: boolean;
}

/** A scatter plot with an optional reference line y = x (`diagonal`) or y = 0. */
export function scatterSvg(points: readonly ScatterPoint[], opts: { xLabel: string; yLabel: string; reference: 'diagonal' | 'zero'; width?: number; height?: number }): string {
  const width = opts.width ?? 340;
  const height = opts.height ?? 220;
  const left = 46;
  const bottom = 32;
  const top = 10;
  const right = 10;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (opts.reference === 'diagonal') {
    x0 = y0 = Math.min(x0, y0);
    x1 = y1 = Math.max(x1, y1);
  } else {
    const m = Math.max(Math.abs(y0), Math.abs(y1), 1e-3);
    y0 = -m;
    y1 = m;
  }
  const padX = (x1 - x0 || Math.abs(x0) || 1) * 0.06;
  const padY = (y1 - y0 || Math.abs(y0) || 1) * 0.06;
  x0 -= padX;
  x1 += padX;
  y0 -= padY;
  y1 += padY;
  const X = (v: number): number => left + ((v - x0) / (x1 - x0)) * (width - left - right);
  const Y = (v: number): number => height - bottom - ((v - y0) / (y1 - y0)) * (height - top - bottom);
  const parts: string[] = [];
  for (const tk of niceTicks(x0, x1, 4)) parts.push(`<text x="${f1(X(tk))}" y="${height - bottom + 14}" text-anchor="middle" class="tick">${+tk.toPrecision(6)}</text>`);
  for (const tk of niceTicks(y0, y1, 4)) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${f1(Y(tk))}" y2="${f1(Y(tk))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 4}" y="${f1(Y(tk) + 3)}" text-anchor="end" class="tick">${+tk.toPrecision(4)}</text>`);
  }
  if (opts.reference === 'diagonal') parts.push(`<line x1="${f1(X(x0))}" y1="${f1(Y(x0))}" x2="${f1(X(x1))}" y2="${f1(Y(x1))}" stroke="${COLORS.axis}" stroke-dasharray="4 3"/>`);
  else parts.push(`<line x1="${left}" x2="${width - right}" y1="${f1(Y(0))}" y2="${f1(Y(0))}" stroke="${COLORS.axis}" stroke-dasharray="4 3"/>`);
  for (const p of points) {
    parts.push(`<circle cx="${f1(X(p.x))}" cy="${f1(Y(p.y))}" r="2.6" fill="${p.flagged ? COLORS.flag : COLORS.bar}" fill-opacity="0.7"><title>${esc(p.label)}</title></circle>`);
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 3}" text-anchor="middle" class="tick">${esc(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(11 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle" class="tick">${esc(opts.yLabel)}</text>`);
  return `<svg class="chart" role="img" aria-label="${esc(opts.yLabel)} vs ${esc(opts.xLabel)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}
