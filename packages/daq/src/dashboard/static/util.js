/* global document */
/** Small DOM and formatting helpers. */

/** h('div.card', {title: 'x'}, child...) -> element; a string child becomes text. */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c);
  return el;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);

export const secs = (s, digits = 2) => (s === undefined || s === null || !Number.isFinite(s) ? '—' : `${s.toFixed(digits)} s`);

export function bytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log10(n) / 3));
  return `${(n / 1000 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** TAI unix seconds -> "2025-10-16 03:00:12.3". */
export function tai(s, digits = 1) {
  if (s === null || s === undefined) return '—';
  const iso = new Date(Math.round(s * 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 20 + (digits > 0 ? digits : -1))}`;
}

export const hhmmss = (s) => (s === null || s === undefined ? '' : new Date(Math.round(s * 1000)).toISOString().slice(11, 19));
