/**
 * The exposure timeline: one row per recent exposure on a common time axis from its startIntegration (emulated
 * seconds). Bars are the planned instants the events carry (integration, shutter open, readout) and what followed
 * (telemetry, files, notifications); white ticks under them are when each event was actually sent. The table below
 * compares planned and actual instants of the selected exposure.
 */
import { esc, secs } from './util.js';

const ROWS = 6;
const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

/** [kind, start, end, running] segments of one exposure (TAI s), `now` closing the ones still under way. */
export function segments(x, now) {
  const p = x.plan;
  const s = x.sent;
  const end = x.state === 'abandoned' ? x.endedAt : now;
  const out = [];
  const seg = (kind, a, b) => {
    if (a === undefined || a === null) return;
    const running = b === undefined || b === null;
    out.push([kind, a, running ? Math.max(a, end ?? a) : b, running && x.state !== 'abandoned']);
  };
  seg('integration', p.startIntegration, p.startReadout);
  if (p.startShutterOpen !== undefined) seg('shutter', p.startShutterOpen, p.endShutterClose ?? p.startReadout);
  seg('readout', p.startReadout, p.endReadout);
  if (p.endReadout !== undefined) seg('telemetry', p.endReadout, s.endOfImageTelemetry);
  if (s.endOfImageTelemetry !== undefined) seg('files', s.endOfImageTelemetry, s.files);
  // Notifications go out file by file, while the files are still being written: a lane of their own.
  const n = x.notify;
  if (n && n.first !== null && n.first !== undefined) {
    const expected = x.files ? x.files.written * n.targets : Infinity;
    seg('notify', n.first, n.n + n.failed >= expected ? n.last : undefined);
  }
  return out;
}

/** Actual send times: [label, planned, sent]. */
export function milestones(x) {
  const p = x.plan;
  const s = x.sent;
  const rows = [
    ['startIntegration', p.startIntegration, s.startIntegration],
    ['startShutterOpen', p.startShutterOpen, s.startShutterOpen],
    ['endShutterOpen', p.endShutterOpen, s.endShutterOpen],
    ['startShutterClose', p.startShutterClose, s.startShutterClose],
    ['endShutterClose', p.endShutterClose, s.endShutterClose],
    ['startReadout', p.startReadout, s.startReadout],
    ['endReadout', p.endReadout, s.endReadout],
    ['endOfImageTelemetry', p.endOfImageTelemetry, s.endOfImageTelemetry],
    ['files written', undefined, s.files],
    ['first notification', undefined, x.notify?.first ?? undefined],
    ['last notification', undefined, x.notify?.last ?? undefined],
  ];
  return rows.filter(([, a, b]) => a !== undefined || (b !== undefined && b !== null));
}

function axisStep(span) {
  return STEPS.find((st) => span / st <= 8) ?? STEPS[STEPS.length - 1];
}

function status(x) {
  const parts = [esc(x.state)];
  if (x.files) parts.push(`files ${x.files.written}/${x.files.expected}`);
  if (x.notify && x.notify.targets > 0 && x.files) parts.push(`notified ${x.notify.n}/${x.files.written * x.notify.targets}${x.notify.failed ? `, ${x.notify.failed} failed` : ''}`);
  if (x.faults.length) parts.push(`<span class="bad">faults: ${esc(x.faults.join(', '))}</span>`);
  return parts.join('<br>');
}

/** The timeline's HTML for the model's recent exposures. */
export function renderTimeline(model, selected, now) {
  const rows = model.recent(ROWS).filter((x) => x.plan.startIntegration !== undefined);
  if (rows.length === 0) return '<p class="muted">No exposure yet: enable the camera and take images.</p>';
  const segs = rows.map((x) => segments(x, now));
  const span = Math.max(1, ...rows.map((x, i) => Math.max(...segs[i].map((g) => g[2] - x.plan.startIntegration), ...milestones(x).map((m) => (m[2] ?? 0) - x.plan.startIntegration)))) * 1.04;
  const pct = (t) => `${Math.max(0, Math.min(100, (t / span) * 100)).toFixed(2)}%`;
  const step = axisStep(span);
  const ticks = [];
  for (let t = 0; t <= span; t += step) ticks.push(`<span style="left:${pct(t)}">${+t.toFixed(1)} s</span>`);
  let html = `<div class="tl-axis"><span class="muted">exposure</span><div class="ticks">${ticks.join('')}</div><span class="muted">status</span></div>`;
  rows.forEach((x, i) => {
    const t0 = x.plan.startIntegration;
    const bars = segs[i]
      .map(([kind, a, b, running]) => `<div class="seg ${kind}${running ? ' running' : ''}" style="left:${pct(a - t0)};width:${pct(b - a)}" title="${kind} ${secs(b - a, 3)}${running ? ' (under way)' : ''}"></div>`)
      .join('');
    const ticksHtml = milestones(x)
      .filter((m) => m[2] !== undefined && m[2] !== null)
      .map(([label, , sent]) => `<div class="tick" style="left:${pct(sent - t0)}" title="${label} sent at +${(sent - t0).toFixed(3)} s"></div>`)
      .join('');
    const label = `${esc(x.imageType || '?')} ${x.index ?? '?'}/${x.count ?? '?'} · ${secs(x.expTime, x.expTime % 1 ? 2 : 0)}`;
    html +=
      `<div class="tl-row${x.obsId === selected ? ' sel' : ''}" data-obs="${esc(x.obsId)}">` +
      `<div class="tl-label"><b>${esc(x.obsId)}</b><span>${label}</span></div>` +
      `<div class="tl-track">${bars}${ticksHtml}</div><div class="tl-status">${status(x)}</div></div>`;
  });
  return html;
}

/** Planned versus actual instants of one exposure, relative to its planned start. */
export function renderDetail(x) {
  if (!x || x.plan.startIntegration === undefined) return '';
  const t0 = x.plan.startIntegration;
  const rel = (t) => (t === undefined || t === null ? '—' : `${(t - t0).toFixed(3)}`);
  const body = milestones(x)
    .map(([label, planned, sent]) => {
      const d = planned !== undefined && sent !== undefined && sent !== null ? (sent - planned) * 1000 : undefined;
      return `<tr><td>${label}</td><td>${rel(planned)}</td><td>${rel(sent)}</td><td${d !== undefined && Math.abs(d) > 100 ? ' class="late"' : ''}>${d === undefined ? '' : `${d >= 0 ? '+' : ''}${d.toFixed(0)} ms`}</td></tr>`;
    })
    .join('');
  const p = x.plan;
  const readout = p.endReadout !== undefined && p.startReadout !== undefined ? p.endReadout - p.startReadout : undefined;
  const facts = [
    `commanded exposure ${secs(x.expTime, 3)}`,
    x.measuredShutterOpenTime !== undefined ? `shutter open ${secs(x.measuredShutterOpenTime, 3)}` : '',
    x.darkTime !== undefined ? `dark time ${secs(x.darkTime, 3)}` : '',
    readout !== undefined ? `readout ${secs(readout, 3)} (actual ${secs(x.sent.endReadout - x.sent.startReadout, 3)})` : '',
    x.files ? `${x.files.written}/${x.files.expected} files${x.files.missing.length ? ` (missing ${esc(x.files.missing.join(', '))})` : ''}` : '',
  ].filter(Boolean);
  return (
    `<div class="summary-line"><b>${esc(x.obsId)}</b> · ${facts.join(' · ')}</div>` +
    `<table class="detail"><thead><tr><th>event</th><th>planned [s]</th><th>sent [s]</th><th>sent − planned</th></tr></thead><tbody>${body}</tbody></table>`
  );
}

export const LEGEND =
  '<div class="legend">' +
  ['integration', 'shutter', 'readout', 'telemetry', 'files', 'notify'].map((k) => `<span><i style="background:var(--${k})"></i>${k === 'shutter' ? 'shutter open' : k === 'notify' ? 'notifications' : k}</span>`).join('') +
  '<span><i style="background:#fff"></i>event sent</span></div>';
