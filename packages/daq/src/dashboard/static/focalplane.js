/* global document, window, Image */
/**
 * Thumbnails of the last exposure, each CCD where it sits in the focal plane (the camera data's centres and yaws,
 * x right, y up, as the thumbnails are drawn). A new exposure's thumbnail replaces the old one only once it has
 * loaded, so the picture never blanks; a CCD without a file is hatched. Click a CCD for a larger view.
 */
import { h } from './util.js';

/** Thumbnail sizes asked for, so that neighbouring layouts share the server's cache. */
const SIZES = [32, 48, 64, 96, 128, 192, 256, 384, 512];
/** Thumbnails loading at once. */
const LOADS = 3;

export class FocalPlane {
  /** @param {object} info the CSC's dashboard entry; @param {(obsId: string, det: string) => void} onOpen */
  constructor(info, onOpen) {
    this.info = info;
    this.onOpen = onOpen;
    this.obsId = null;
    this.size = 64;
    this.queue = [];
    this.active = 0;
    this.el = h('div.fp');
    this.ccds = new Map();
    for (const d of info.detectors) {
      const el = h('button.ccd.wait', { type: 'button', title: d.name, 'data-det': d.name, onclick: () => this.obsId && !el.classList.contains('missing') && this.onOpen(this.obsId, d.name) }, h('span.name', {}, d.name.replace('_', ' ')));
      this.ccds.set(d.name, { d, el, img: null, want: null });
      this.el.append(el);
    }
  }

  /** Place the CCDs for a container `width` px wide. */
  layout(width) {
    const dets = this.info.detectors;
    const ext = (d) => {
      const a = (d.yaw * Math.PI) / 180;
      const [c, s] = [Math.abs(Math.cos(a)), Math.abs(Math.sin(a))];
      return [(d.width * c + d.height * s) / 2, (d.width * s + d.height * c) / 2];
    };
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const d of dets) {
      const [ex, ey] = ext(d);
      [x0, x1, y0, y1] = [Math.min(x0, d.x - ex), Math.max(x1, d.x + ex), Math.min(y0, d.y - ey), Math.max(y1, d.y + ey)];
    }
    const w = Math.min(width, dets.length === 1 ? 460 : width);
    const scale = w / (x1 - x0);
    this.el.style.width = `${w}px`;
    this.el.style.height = `${(y1 - y0) * scale}px`;
    let largest = 0;
    for (const { d, el } of this.ccds.values()) {
      const [pw, ph] = [d.width * scale, d.height * scale];
      largest = Math.max(largest, pw, ph);
      Object.assign(el.style, {
        left: `${(d.x - x0) * scale - pw / 2}px`,
        top: `${(y1 - d.y) * scale - ph / 2}px`,
        width: `${pw}px`,
        height: `${ph}px`,
        // Screen y points down: a counter-clockwise yaw is a negative CSS rotation.
        transform: d.yaw ? `rotate(${-d.yaw}deg)` : '',
      });
    }
    this.el.classList.toggle('small', largest < 70);
    const need = largest * (window.devicePixelRatio || 1);
    this.size = SIZES.find((s) => s >= need) ?? SIZES[SIZES.length - 1];
  }

  url(obsId, det, size) {
    return `/api/v1/images/${obsId}/${det}/thumbnail.png?size=${size}`;
  }

  /** Show an exposure: `files` are the detectors that have a file. */
  show(obsId, files) {
    this.obsId = obsId;
    // Whatever is still queued belongs to an older exposure.
    this.queue = [];
    for (const c of this.ccds.values()) {
      const has = files.has(c.d.name);
      c.el.classList.toggle('missing', !has);
      c.el.title = `${c.d.name} · ${obsId}${has ? '' : ' · no file'}`;
      if (!has) {
        c.img?.remove();
        c.img = null;
        c.want = null;
        continue;
      }
      const src = this.url(obsId, c.d.name, this.size);
      if (c.want === src) continue;
      c.want = src;
      this.queue.push([c, src, obsId]);
    }
    this.pump();
  }

  /** Load a few thumbnails at a time: the browser's six connections also carry the stream, polls and commands. */
  pump() {
    while (this.active < LOADS && this.queue.length > 0) {
      const [c, src, obsId] = this.queue.shift();
      if (c.want !== src) continue;
      this.active++;
      const img = new Image();
      img.decoding = 'async';
      img.alt = c.d.name;
      const done = () => {
        this.active--;
        this.pump();
      };
      img.onload = () => {
        done();
        if (c.want !== src) return;
        img.dataset.obs = obsId;
        c.img?.remove();
        c.img = img;
        c.el.classList.remove('wait');
        c.el.prepend(img);
      };
      img.onerror = () => {
        done();
        if (c.want === src) c.el.title = `${c.d.name} · ${obsId} · thumbnail failed`;
      };
      img.src = src;
    }
  }
}

/** The larger view of one CCD (the page's <dialog id="viewer">). */
export function openViewer(obsId, det) {
  const dialog = document.getElementById('viewer');
  document.getElementById('viewer-title').textContent = `${obsId} · ${det}`;
  const fits = document.getElementById('viewer-fits');
  fits.href = `/api/v1/images/${obsId}/${det}`;
  const img = document.getElementById('viewer-img');
  // 1024 px: every row of an LSSTCam CCD, 4 x 4 pixels a block; one size so the cache serves every click again.
  const size = 1024;
  img.alt = `${obsId} ${det}`;
  img.src = `/api/v1/images/${obsId}/${det}/thumbnail.png?size=${size}`;
  dialog.showModal();
}
