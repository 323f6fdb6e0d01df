/**
 * The report page: one self-contained HTML document (inline CSS, a few lines of inline JS for table sorting,
 * inline SVG charts and PNG data URIs). A Content-Security-Policy forbids every network fetch, so the page is
 * the same offline, in CI and in a mail attachment.
 */
import type { NightManifest } from '../transfer/manifest.js';
import type { TransferSummary } from '../transfer/summary.js';
import type { CcdResult } from './analyze.js';
import type { FaultVerdict, FileRef } from './flags.js';
import { COLORS, type ScatterPoint, cycleSvg, esc, histogramSvg, isoTai, overviewSvg, scatterSvg, summarize } from './svg.js';
import { type LatencySeries, type NightTimeline } from './timeline.js';

export interface PageInput {
  title: string;
  dir: string;
  manifest: NightManifest;
  cameraName: string;
  timeline: NightTimeline;
  latencies: LatencySeries[];
  results: CcdResult[];
  thumbnails: CcdResult[];
  verdicts: FaultVerdict[];
  unexplained: FileRef[];
  transfer: TransferSummary | undefined;
  eventsCount: number;
  generatedAt: string;
  generator: string;
}

const CSS = `
:root{--fg:#1d2733;--muted:#5f6b7a;--line:#e3e6ea;--bg:#fff;--band:#f6f8fa;--bad:#d64545;--ok:#2e7d32;--warn:#b26a00}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px 12px;border-bottom:1px solid var(--line);background:var(--band)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:12px 0 6px}main{padding:4px 28px 40px;max-width:1240px}
.wide{overflow-x:auto}
.meta{color:var(--muted);font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:10px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:110px}
.card b{display:block;font-size:18px}.card span{color:var(--muted);font-size:12px}
.card.bad b{color:var(--bad)}.card.ok b{color:var(--ok)}
.chart{max-width:100%;height:auto;display:block}.chart text{font-size:11px;fill:#3a4654}.chart .lane{font-size:12px}.chart .row{font-size:10px}
.scroll{max-height:440px;overflow:auto;border:1px solid var(--line);border-radius:4px}
.grid{display:flex;flex-wrap:wrap;gap:16px}.grid figure{margin:0}
figure.plot{border:1px solid var(--line);border-radius:6px;padding:8px}figure.plot figcaption{font-size:12px;color:var(--muted);max-width:340px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;font-size:12.5px;width:100%}th,td{padding:3px 6px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:var(--band);position:sticky;top:0;text-align:right}table.sortable th{cursor:pointer;user-select:none}th.l,td.l{text-align:left}
tr.flagged td{background:#fff5f5}.badge{display:inline-block;padding:0 6px;margin:1px 2px;border-radius:9px;background:#fde2e2;color:#9b1c1c;font-size:11px}
.v-caught{color:var(--ok);font-weight:600}.v-missed{color:var(--bad);font-weight:600}.v-na{color:var(--muted)}
.thumbs{display:flex;flex-wrap:wrap;gap:14px}.thumbs figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#111}
.thumbs img{display:block;image-rendering:auto;width:260px;height:auto}.thumbs figcaption{color:#dde;font-size:11.5px;max-width:260px;margin-top:4px}
.note{color:var(--muted);font-size:12.5px}code{font-size:12px;background:var(--band);padding:0 3px;border-radius:3px}
`;

// Click a header to sort its table; numbers sort numerically (data-v holds the raw value).
const JS = `
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.dataset.dir!=='asc';
      t.querySelectorAll('th').forEach(function(h){delete h.dataset.dir});th.dataset.dir=asc?'asc':'desc';
      rows.sort(function(a,b){var x=a.cells[i].dataset.v!==undefined?a.cells[i].dataset.v:a.cells[i].textContent,
        y=b.cells[i].dataset.v!==undefined?b.cells[i].dataset.v:b.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);
        var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:String(x).localeCompare(String(y));return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
});
var only=document.getElementById('flagged-only');
if(only){only.addEventListener('change',function(){document.querySelectorAll('#qa tbody tr').forEach(function(r){
  r.style.display=only.checked&&!r.classList.contains('flagged')?'none':''})})}
`;

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function cell(v: number | undefined, digits = 1, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''} data-v="${v === undefined || !Number.isFinite(v) ? '' : v}">${fmt(v, digits)}</td>`;
}

function card(value: string | number, label: string, cls = ''): string {
  return `<div class="card ${cls}"><b>${esc(String(value))}</b><span>${esc(label)}</span></div>`;
}

function legend(): string {
  const items: Array<[string, string]> = [
    [COLORS.command, 'command'],
    [COLORS.integration, 'integration'],
    [COLORS.readout, 'readout'],
    [COLORS.written, 'readout end → written'],
    [COLORS.notified, 'notified'],
    [COLORS.transferred, 'arrived at the data facility'],
  ];
  return `<div class="legend">${items.map(([c, l]) => `<span><i style="background:${c}"></i>${esc(l)}</span>`).join('')}</div>`;
}

function summaryCards(p: PageInput): string {
  const files = p.results.length;
  const flagged = p.results.filter((r) => r.flags.length > 0).length;
  const exposures = p.timeline.exposures.length;
  const bytes = p.manifest.files.reduce((s, f) => s + f.size, 0);
  const caught = p.verdicts.filter((v) => v.verdict === 'caught').length;
  const scorable = p.verdicts.filter((v) => v.verdict === 'caught' || v.verdict === 'missed').length;
  const types = new Map<string, number>();
  for (const e of p.timeline.exposures) types.set(e.imageType, (types.get(e.imageType) ?? 0) + 1);
  const cards = [
    card(exposures, 'exposures'),
    card(files, 'CCD files'),
    card(`${(bytes / 1e9).toFixed(2)} GB`, 'data'),
    card(flagged, 'CCDs flagged by QA', flagged ? 'bad' : 'ok'),
    card(p.verdicts.length ? `${caught}/${scorable}` : '0', 'injected faults caught', scorable && caught < scorable ? 'bad' : 'ok'),
  ];
  if (p.transfer) {
    const n = p.transfer.nightly;
    const missing = n.reduce((s, x) => s + x.missingAfterResend, 0);
    cards.push(card(missing, 'files missing at the data facility', missing ? 'bad' : 'ok'));
  }
  const typeList = [...types].map(([t, n]) => `${n} ${t}`).join(', ');
  return `<div class="cards">${cards.join('')}</div><p class="meta">${esc(typeList)}</p>`;
}

function timelineSection(p: PageInput): string {
  const t = p.timeline;
  if (!t.exposures.length) return '<h2>Timeline</h2><p class="note">No exposures with dates in the manifest.</p>';
  const sources = [
    'integration and file-written times from the manifest',
    p.eventsCount ? `${p.eventsCount} events from the event log (command, readout, notifications)` : 'no event log (pass --events for command and notification times)',
    t.transferMode === 'none'
      ? 'no transfer summary (pass --transfer)'
      : t.transferMode === 'replayed'
        ? 'arrivals replayed on the night from the measured per-file link times of the transfer summary'
        : 'arrivals from the transfer summary',
  ];
  const more = t.exposures.length > 400 ? `<p class="note">First 400 of ${t.exposures.length} exposures shown.</p>` : '';
  return `<h2 id="timeline">Timeline</h2>
<p class="note">${esc(isoTai(t.start))} → ${esc(isoTai(t.end))} TAI. Sources: ${esc(sources.join('; '))}.</p>
${legend()}
${overviewSvg(t)}
<h3>Image cycle per exposure</h3>
<div class="scroll">${cycleSvg(t)}</div>${more}`;
}

function latencySection(p: PageInput): string {
  if (!p.latencies.length) return '<h2 id="latency">Latency</h2><p class="note">No latencies to show.</p>';
  const figs = p.latencies.map((s) => {
    const st = summarize(s.values);
    return `<figure class="plot">${histogramSvg(s.values, `${s.title} [s]`)}<figcaption>n = ${st.n}, median ${st.median.toFixed(2)} s, p90 ${st.p90.toFixed(2)} s, max ${st.max.toFixed(2)} s${s.note ? ` — ${esc(s.note)}` : ''}</figcaption></figure>`;
  });
  return `<h2 id="latency">Latency distributions</h2><div class="grid">${figs.join('')}</div>`;
}

function badges(r: { flags: ReadonlyArray<{ code: string; detail: string }> }): string {
  return r.flags.map((f) => `<span class="badge" title="${esc(f.detail)}">${esc(f.code)}</span>`).join('');
}

function qaSection(p: PageInput): string {
  const rows = p.results.map((r) => {
    const t = r.truth;
    const cls = r.flags.length ? ' class="flagged"' : '';
    const sat = r.saturatedFraction === undefined ? undefined : 100 * r.saturatedFraction;
    const flagCell = `<td class="l" data-v="${r.flags.length}">${r.status !== 'ok' ? `<b>${esc(r.status)}</b> ` : ''}${badges(r)}</td>`;
    return `<tr${cls}><td class="l">${esc(r.obsId)}</td><td class="l">${esc(r.detector)}</td><td class="l">${esc(r.imageType)}</td><td class="l">${esc(r.band)}</td>${cell(r.exptime, 1)}${flagCell}${cell(r.bias, 1)}${cell(r.noise, 2)}${cell(r.level, 1)}${cell(r.sources, 0)}${cell(t?.sourcesPredicted, 0)}${cell(r.cosmicRays, 0)}${cell(t?.cosmicRays, 0)}${cell(r.hotPixels, 0)}${cell(t?.hotPixels, 0)}${cell(r.badColumns, 0)}${cell(t?.badColumns, 0)}${cell(sat, 3)}${cell(t?.biasDeltaMaxAbs, 2)}${cell(t?.noiseRatioMean, 3)}</tr>`;
  });
  return `<h2 id="qa">Per-CCD QA</h2>
<p class="note">Bias and read noise from the serial overscan per amp after per-row overscan subtraction (mean over amps, ADU);
level = median of the overscan-corrected data × gain (e⁻); sources and cosmic rays from a 5σ threshold on the 3×3-smoothed,
background-subtracted CCD with 8-connected components (sharp ones are cosmic rays, or hot pixels when one pixel stands out;
the truth lists every hot pixel, including those too faint to see in a short exposure); bad columns are hot or dark columns
found by their median. "pred." is the number of truth sources bright enough to pass the threshold as point sources; "|Δbias|" the
largest |measured − truth| bias over amps, "noise/truth" the mean ratio of measured to truth read noise. Click a header to sort.</p>
<label class="note"><input type="checkbox" id="flagged-only"> flagged CCDs only</label>
<div class="scroll"><table id="qa" class="sortable"><thead><tr><th class="l">exposure</th><th class="l">detector</th><th class="l">type</th><th class="l">band</th><th>exp s</th><th class="l">flags</th><th>bias ADU</th><th>noise ADU</th><th>level e⁻</th><th>sources</th><th>pred.</th><th>CRs</th><th>truth CRs</th><th>hot px</th><th>truth hot</th><th>bad cols</th><th>truth cols</th><th>sat %</th><th>|Δbias|</th><th>noise/truth</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function truthSection(p: PageInput): string {
  const withTruth = p.results.filter((r) => r.truth);
  if (!withTruth.length) return '<h2 id="truth">QA versus truth</h2><p class="note">No truth sidecars found.</p>';
  const bias: ScatterPoint[] = [];
  const noise: ScatterPoint[] = [];
  for (const r of withTruth) {
    for (const a of r.truth!.perAmp) {
      bias.push({ x: a.truthBias, y: a.biasDelta, label: `${r.obsId} ${r.detector} ${a.name}: Δbias ${a.biasDelta.toFixed(2)} ADU`, flagged: r.flags.length > 0 });
      noise.push({ x: a.truthNoise, y: a.measuredNoise, label: `${r.obsId} ${r.detector} ${a.name}: ${a.measuredNoise.toFixed(3)} vs ${a.truthNoise.toFixed(3)} ADU`, flagged: r.flags.length > 0 });
    }
  }
  const src = withTruth
    .filter((r) => r.sources !== undefined && r.truth!.sourcesPredicted + (r.sources ?? 0) > 0)
    .map((r) => ({ x: r.truth!.sourcesPredicted, y: r.sources!, label: `${r.obsId} ${r.detector}: ${r.sources} detected, ${r.truth!.sourcesPredicted} predicted, ${r.truth!.sourcesPlaced} placed`, flagged: r.flags.length > 0 }));
  const cr = withTruth.filter((r) => r.cosmicRays !== undefined).map((r) => ({ x: r.truth!.cosmicRays, y: r.cosmicRays!, label: `${r.obsId} ${r.detector}: ${r.cosmicRays} detected, ${r.truth!.cosmicRays} in truth` }));
  const lvl = withTruth.filter((r) => r.level !== undefined).map((r) => ({ x: r.truth!.expectedLevel, y: r.level!, label: `${r.obsId} ${r.detector} ${r.imageType}: ${fmt(r.level)} e⁻ measured, ${fmt(r.truth!.expectedLevel)} expected` }));
  const figs = [
    `<figure class="plot">${scatterSvg(bias, { xLabel: 'truth bias [ADU]', yLabel: 'measured − truth bias [ADU]', reference: 'zero' })}<figcaption>Bias per amp: measured minus the truth level (drift and jitter included).</figcaption></figure>`,
    `<figure class="plot">${scatterSvg(noise, { xLabel: 'truth read noise [ADU]', yLabel: 'measured noise [ADU]', reference: 'diagonal' })}<figcaption>Read noise per amp against the truth; the dashed line is equality.</figcaption></figure>`,
    `<figure class="plot">${scatterSvg(lvl, { xLabel: 'truth sky/lamp + dark [e⁻]', yLabel: 'measured level [e⁻]', reference: 'diagonal' })}<figcaption>Median level per CCD against the truth sky or lamp plus dark current.</figcaption></figure>`,
  ];
  if (src.length) figs.push(`<figure class="plot">${scatterSvg(src, { xLabel: 'truth sources above threshold (point-source estimate)', yLabel: 'detected sources', reference: 'diagonal' })}<figcaption>Detections against truth sources a point-source 5σ threshold would see.</figcaption></figure>`);
  if (cr.length) figs.push(`<figure class="plot">${scatterSvg(cr, { xLabel: 'truth cosmic rays', yLabel: 'detected cosmic rays', reference: 'diagonal' })}<figcaption>Cosmic rays found against those synthesized.</figcaption></figure>`);
  return `<h2 id="truth">QA versus truth</h2><div class="grid">${figs.join('')}</div>`;
}

function thumbsSection(p: PageInput): string {
  if (!p.thumbnails.length) return '<h2 id="thumbnails">Thumbnails</h2><p class="note">No readable frame to show.</p>';
  const figs = p.thumbnails.map((r) => {
    const t = r.thumbnail!;
    const why = r.flags.length ? ` — flagged: ${r.flags.map((f) => f.code).join(', ')}` : '';
    return `<figure><img src="${t.uri}" width="${t.width}" height="${t.height}" alt="${esc(`${r.obsId} ${r.detector}`)}"><figcaption>${esc(`${r.obsId} ${r.detector} ${r.imageType}${r.band ? ` ${r.band}` : ''} ${r.exptime}s · zscale ${t.z1.toFixed(0)}…${t.z2.toFixed(0)} e⁻ · ${t.factor}×${t.factor} binned${why}`)}</figcaption></figure>`;
  });
  return `<h2 id="thumbnails">Thumbnails</h2><p class="note">Assembled CCDs, overscan removed, gain applied, north (CCD +y) up; the first frame of each image type and flagged frames.</p><div class="thumbs">${figs.join('')}</div>`;
}

function faultsSection(p: PageInput): string {
  const rows = p.verdicts.map((v) => {
    const f = v.fault;
    const target = f.path ? (f.path.split('/').pop() ?? f.path) : [f.obsId, f.detector].filter(Boolean).join(' ');
    const cls = v.verdict === 'caught' ? 'v-caught' : v.verdict === 'missed' ? 'v-missed' : 'v-na';
    return `<tr><td class="l">${esc(f.source)}</td><td class="l">${esc(f.kind)}</td><td class="l" title="${esc(f.path ?? target)}">${esc(target || '–')}</td><td class="l">${esc(f.detail)}</td><td class="l">${v.flags.map((c) => `<span class="badge">${esc(c)}</span>`).join('') || '–'}</td><td class="l ${cls}">${esc(v.verdict)}</td></tr>`;
  });
  const table = rows.length
    ? `<div class="wide"><table class="sortable"><thead><tr><th class="l">from</th><th class="l">kind</th><th class="l">target</th><th class="l">detail</th><th class="l">QA flags on target</th><th class="l">verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    : '<p class="note">No injected faults in the manifest or the event log.</p>';
  const un = p.unexplained.length
    ? `<h3>Flagged by QA without an injected fault</h3><table><thead><tr><th class="l">file</th><th class="l">flags</th></tr></thead><tbody>${p.unexplained
        .map((f) => `<tr><td class="l">${esc(f.path)}</td><td class="l">${badges(f)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="note">QA flagged nothing beyond the injected faults.</p>';
  return `<h2 id="faults">Injected faults versus QA</h2>${table}${un}`;
}

function transferSection(p: PageInput): string {
  const t = p.transfer;
  if (!t) return '';
  const nightly = t.nightly
    .map(
      (n) =>
        `<tr><td class="l">${esc(n.site)}</td><td class="l">${esc(n.dayObs)}</td>${[n.expected, n.written, n.transferredBeforeResend, n.missingBeforeResend, n.resendCount, n.transferredAfterResend, n.missingAfterResend].map((v) => `<td>${v}</td>`).join('')}<td class="l">${esc(n.maxFullDiskNode)}</td><td>${n.maxFullDiskPercent}</td></tr>`,
    )
    .join('');
  const perImage = t.perImage
    .map((n) => {
      const meta = JSON.parse(n.metaData) as { seconds?: number; bytes?: number };
      return `<tr${n.missingAfterResend ? ' class="flagged"' : ''}><td class="l">${esc(n.obsId)}</td><td class="l">${esc(n.dayObs)}</td>${[n.expected, n.written, n.transferredBeforeResend, n.missingBeforeResend, n.resendCount, n.transferredAfterResend, n.missingAfterResend].map((v) => `<td>${v}</td>`).join('')}${cell(meta.seconds, 2)}${cell(meta.bytes !== undefined ? meta.bytes / 1e6 : undefined, 1)}</tr>`;
    })
    .join('');
  const head = '<th>expected</th><th>written</th><th>transferredBeforeResend</th><th>missingBeforeResend</th><th>resendCount</th><th>transferredAfterResend</th><th>missingAfterResend</th>';
  return `<h2 id="transfer">Transfer to ${esc(t.site)}</h2>
<p class="note">Link ${esc(t.link.rate)} (${(t.link.bytesPerSecond / 1e6).toFixed(2)} MB/s), latency ${t.link.latencyMs} ms per file, loss ${t.link.loss}; last run ${t.run.elapsedSeconds.toFixed(2)} s for ${(t.run.bytesSent / 1e6).toFixed(1)} MB (link model ${t.run.modelSeconds.toFixed(2)} s)${t.run.previousRuns ? `, resumed after ${t.run.previousRuns} interrupted run(s)` : ''}.</p>
<h3>fileTransferNightlySummary</h3><div class="wide"><table><thead><tr><th class="l">site</th><th class="l">dayObs</th>${head}<th class="l">maxFullDiskNode</th><th>maxFullDiskPercent</th></tr></thead><tbody>${nightly}</tbody></table></div>
<h3>fileTransferPerImageSummary</h3><div class="scroll"><table class="sortable"><thead><tr><th class="l">obsId</th><th class="l">dayObs</th>${head}<th>seconds</th><th>MB</th></tr></thead><tbody>${perImage}</tbody></table></div>`;
}

export function renderPage(p: PageInput): string {
  const m = p.manifest;
  const subtitle = [m.instrument ?? p.cameraName, m.plan ? `plan ${m.plan}` : '', m.nights?.length ? `day_obs ${m.nights.join(', ')}` : '', m.seed !== undefined ? `seed ${m.seed}` : ''].filter(Boolean).join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(p.title)}</h1><div class="meta">${esc(subtitle)} · ${esc(p.dir)} · generated ${esc(p.generatedAt)} by ${esc(p.generator)}</div>${summaryCards(p)}</header>
<main>
${timelineSection(p)}
${latencySection(p)}
${qaSection(p)}
${truthSection(p)}
${thumbsSection(p)}
${faultsSection(p)}
${transferSection(p)}
</main><script>${JS}</script></body></html>
`;
}
