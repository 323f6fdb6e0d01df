/**
 * A deterministic sky: the celestial sphere is cut into cells of about 0.1 x 0.1 deg, and each cell's stars and
 * galaxies are drawn from a key made of the sky seed and the cell, never from the exposure. Every exposure that
 * covers a patch of sky therefore sees the same sources with the same magnitudes, whatever its pointing or camera.
 *
 * Number counts (shared/reference/observing.md §9): stars from the Bahcall & Soneira (1980) model in V at the
 * cell's galactic position; galaxies from the LSST Science Book power law N(<i) = 46·10^(0.31(i−25)) per arcmin².
 */
import { KeyedSequence, streamKey } from './rng.js';
import type { Band } from './types.js';

export interface CatalogSource {
  /** Stable identifier: cell and index within the cell. */
  id: string;
  kind: 'star' | 'galaxy';
  ra: number;
  dec: number;
  /** Magnitude in each band (AB). */
  mags: Record<Exclude<Band, 'white'>, number>;
  /** Galaxies: half-light-like radius [arcsec] added in quadrature to the PSF; 0 for stars. */
  size: number;
}

const CELL_DEG = 0.1;
/**
 * The catalog's own depth, independent of what a plan renders: a cell's draws must not depend on the plan's
 * magnitude limit, or the same sky would hold different sources in a deeper exposure.
 */
export const CATALOG_DEPTH = 25;
const STAR_BRIGHT = 9;
const GALAXY_BRIGHT = 17;
/** Galaxy colours relative to i (the rubin_sim convention of 0.4 mag between adjacent bands). */
const GALAXY_OFFSETS = { u: 1.2, g: 0.8, r: 0.4, i: 0, z: -0.4, y: -0.8 } as const;
const D2R = Math.PI / 180;

/** ICRS -> galactic (l, b) in degrees. */
export function galactic(ra: number, dec: number): [number, number] {
  // Rotation matrix ICRS -> galactic (Hipparcos/IAU 1958 definition in ICRS).
  const r = ra * D2R;
  const d = dec * D2R;
  const x = Math.cos(d) * Math.cos(r);
  const y = Math.cos(d) * Math.sin(r);
  const z = Math.sin(d);
  const gx = -0.0548755604 * x - 0.8734370902 * y - 0.4838350155 * z;
  const gy = 0.4941094279 * x - 0.44482963 * y + 0.7469822445 * z;
  const gz = -0.867666149 * x - 0.1980763734 * y + 0.4559837762 * z;
  let l = Math.atan2(gy, gx) / D2R;
  if (l < 0) l += 360;
  return [l, Math.asin(Math.max(-1, Math.min(1, gz))) / D2R];
}

/** Bahcall & Soneira integrated star counts N(<V) per deg² at galactic (l, b). */
export function starCounts(v: number, l: number, b: number): number {
  const lr = l * D2R;
  // Keep away from the plane, where the model does not apply and the geometric factor diverges.
  const br = Math.max(Math.abs(b), 10) * D2R;
  const t = Math.min(1, Math.max(0, (v - 12) / 8));
  const mu = 0.03 + t * (0.09 - 0.03);
  const gamma = 0.36 + t * (0.04 - 0.36);
  const sigma = 1.45 - 0.2 * Math.cos(br) * Math.cos(lr);
  const disk = (925 * 10 ** (0.035 * (v - 15.75))) / (1 + 10 ** (-0.132 * (v - 15.75))) ** 3;
  const geomDisk = (Math.sin(br) * (1 - mu * (Math.cos(br) / Math.sin(br)) * Math.cos(lr))) ** -(3 - 5 * gamma);
  const halo = (1050 * 10 ** (0.087 * (v - 17.5))) / (1 + 10 ** (-0.18 * (v - 17.5))) ** 2.5;
  const geomHalo = (1 - Math.cos(br) * Math.cos(lr)) ** -sigma;
  return disk * Math.max(0, geomDisk) + halo * geomHalo;
}

export function galaxyCounts(i: number): number {
  return 46 * 10 ** (0.31 * (i - 25)) * 3600;
}

interface Cell {
  j: number;
  i: number;
  nRa: number;
  dec0: number;
  ra0: number;
  width: number;
}

function decBand(dec: number): number {
  return Math.min(Math.floor((dec + 90) / CELL_DEG), Math.round(180 / CELL_DEG) - 1);
}

function cellsInBand(j: number): number {
  const decC = -90 + (j + 0.5) * CELL_DEG;
  return Math.max(1, Math.floor((360 * Math.cos(decC * D2R)) / CELL_DEG));
}

/** Cells overlapping a box in (ra, dec); raMin > raMax means the box wraps through RA 0. */
function cellsFor(raMin: number, raMax: number, decMin: number, decMax: number): Cell[] {
  const out: Cell[] = [];
  for (let j = decBand(decMin); j <= decBand(decMax); j++) {
    const nRa = cellsInBand(j);
    const width = 360 / nRa;
    const dec0 = -90 + j * CELL_DEG;
    const polar = dec0 <= -90 + CELL_DEG || dec0 + CELL_DEG >= 90;
    let first = Math.floor(raMin / width);
    let last = Math.floor(raMax / width);
    if (polar || raMax - raMin >= 360) {
      first = 0;
      last = nRa - 1;
    } else if (raMin > raMax) {
      last += nRa;
    }
    for (let k = first; k <= last; k++) {
      const i = ((k % nRa) + nRa) % nRa;
      out.push({ j, i, nRa, dec0, ra0: i * width, width });
    }
  }
  return out;
}

/**
 * One cell's sources as columns: a query scans a few typed arrays instead of thousands of scattered objects
 * (which made the scan memory-latency bound and filled the old generation with garbage-collector work).
 * Stars come first, then galaxies; `mags` holds six bands per source in BANDS order.
 */
export interface CellTable {
  j: number;
  i: number;
  n: number;
  nStars: number;
  ra: Float64Array;
  dec: Float64Array;
  mags: Float64Array;
  size: Float64Array;
}

/** Band order of CellTable.mags. */
export const BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;
const GALAXY_OFFSET_LIST = BANDS.map((b) => GALAXY_OFFSETS[b]);

/** Per-cell cache: a worker renders 16 amps of a CCD and neighbouring CCDs share cells. */
const cellCache = new Map<string, CellTable>();
const CELL_CACHE_LIMIT = 4096;

function cellTable(skySeed: number, cell: Cell): CellTable {
  const cacheKey = `${skySeed}/${cell.j}/${cell.i}`;
  const hit = cellCache.get(cacheKey);
  if (hit) return hit;
  const seq = new KeyedSequence(streamKey('sky', skySeed, cell.j, cell.i));
  const decC = cell.dec0 + CELL_DEG / 2;
  const area = cell.width * CELL_DEG * Math.cos(decC * D2R);
  const [l, b] = galactic(cell.ra0 + cell.width / 2, decC);
  const sinLo = Math.sin(cell.dec0 * D2R);
  const sinHi = Math.sin(Math.min(90, cell.dec0 + CELL_DEG) * D2R);

  // Stars to V = depth + 0.6 so red stars still reach the depth in the red bands.
  const vMax = CATALOG_DEPTH + 0.6;
  const steps = Math.max(1, Math.ceil((vMax - STAR_BRIGHT) / 0.1));
  const cum = new Float64Array(steps + 1);
  const n0 = starCounts(STAR_BRIGHT, l, b);
  for (let s = 0; s <= steps; s++) cum[s] = starCounts(STAR_BRIGHT + (s * (vMax - STAR_BRIGHT)) / steps, l, b) - n0;
  const nStars = seq.poisson(cum[steps]! * area);
  // Galaxies to i = depth + 0.8 so the reddest still reach the depth in y. The count is drawn after the stars,
  // as it always was, so the columns are sized once the star draws are done.
  const starDraws: number[] = [];
  for (let k = 0; k < nStars; k++) {
    const target = seq.next() * cum[steps]!;
    let lo = 0;
    let hi = steps;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < target) lo = mid;
      else hi = mid;
    }
    const span = cum[hi]! - cum[lo]!;
    const frac = span > 0 ? (target - cum[lo]!) / span : 0;
    const v = STAR_BRIGHT + ((lo + frac) * (vMax - STAR_BRIGHT)) / steps;
    const c = 0.2 + 1.4 * seq.next();
    const ra = cell.ra0 + seq.next() * cell.width;
    const dec = Math.asin(sinLo + seq.next() * (sinHi - sinLo)) / D2R;
    starDraws.push(v, c, ra, dec);
  }
  const iMax = CATALOG_DEPTH + 0.8;
  const a = 0.31 * Math.LN10;
  const nGal = seq.poisson((galaxyCounts(iMax) - galaxyCounts(GALAXY_BRIGHT)) * area);
  const n = nStars + nGal;
  const t: CellTable = {
    j: cell.j,
    i: cell.i,
    n,
    nStars,
    ra: new Float64Array(n),
    dec: new Float64Array(n),
    mags: new Float64Array(n * 6),
    size: new Float64Array(n),
  };
  for (let k = 0; k < nStars; k++) {
    const v = starDraws[4 * k]!;
    const c = starDraws[4 * k + 1]!;
    t.ra[k] = starDraws[4 * k + 2]!;
    t.dec[k] = starDraws[4 * k + 3]!;
    const o = 6 * k;
    t.mags[o] = v + 1.1 * c;
    t.mags[o + 1] = v + 0.35 * c;
    t.mags[o + 2] = v - 0.15 * c;
    t.mags[o + 3] = v - 0.35 * c;
    t.mags[o + 4] = v - 0.45 * c;
    t.mags[o + 5] = v - 0.5 * c;
  }
  const eLo = Math.exp(a * GALAXY_BRIGHT);
  const eHi = Math.exp(a * iMax);
  for (let g = 0; g < nGal; g++) {
    const k = nStars + g;
    const i = Math.log(eLo + seq.next() * (eHi - eLo)) / a;
    const jitter = (seq.next() - 0.5) * 0.3;
    t.ra[k] = cell.ra0 + seq.next() * cell.width;
    t.dec[k] = Math.asin(sinLo + seq.next() * (sinHi - sinLo)) / D2R;
    // Fainter galaxies are smaller: about 0.8" at i = 20, 0.3" at i = 25, with scatter.
    t.size[k] = Math.max(0.1, 0.8 * 10 ** (-0.085 * (i - 20)) * Math.exp(0.3 * seq.normal()));
    for (let m = 0; m < 6; m++) t.mags[6 * k + m] = i + GALAXY_OFFSET_LIST[m]! * (1 + jitter);
  }
  if (cellCache.size >= CELL_CACHE_LIMIT) cellCache.clear();
  cellCache.set(cacheKey, t);
  return t;
}

/** Stable identifier of source k of a cell: kind, cell and index within the kind. */
export function sourceId(t: CellTable, k: number): string {
  return k < t.nStars ? `s${t.j}.${t.i}.${k}` : `g${t.j}.${t.i}.${k - t.nStars}`;
}

/** The source at k of a cell as an object. */
export function catalogSource(t: CellTable, k: number): CatalogSource {
  const mags = {} as CatalogSource['mags'];
  BANDS.forEach((band, m) => {
    mags[band] = t.mags[6 * k + m]!;
  });
  return { id: sourceId(t, k), kind: k < t.nStars ? 'star' : 'galaxy', ra: t.ra[k]!, dec: t.dec[k]!, mags, size: t.size[k]! };
}

/**
 * Calls `visit(table, k)` for every source of the sky seed inside a (ra, dec) box and brighter than magLimit
 * (at most CATALOG_DEPTH) in `band`, in catalog order (cells band by band, then index). raMin > raMax means the
 * box crosses RA = 0.
 */
export function scanSky(
  skySeed: number,
  box: { raMin: number; raMax: number; decMin: number; decMax: number },
  band: Band,
  magLimit: number,
  visit: (table: CellTable, k: number) => void,
): void {
  const m = BANDS.indexOf(band === 'white' ? 'r' : band);
  const wraps = box.raMin > box.raMax;
  for (const cell of cellsFor(box.raMin, box.raMax, Math.max(-90, box.decMin), Math.min(90, box.decMax))) {
    const t = cellTable(skySeed, cell);
    const { ra, dec, mags } = t;
    for (let k = 0; k < t.n; k++) {
      if (mags[6 * k + m]! > magLimit) continue;
      const d = dec[k]!;
      if (d < box.decMin || d > box.decMax) continue;
      const r = ra[k]!;
      const inRa = wraps ? r >= box.raMin || r <= box.raMax : r >= box.raMin && r <= box.raMax;
      if (inRa) visit(t, k);
    }
  }
}

/**
 * Sources of the sky seed inside a (ra, dec) box, brighter than magLimit (at most CATALOG_DEPTH) in `band`.
 * raMin > raMax means the box crosses RA = 0.
 */
export function querySky(
  skySeed: number,
  box: { raMin: number; raMax: number; decMin: number; decMax: number },
  band: Band,
  magLimit: number,
): CatalogSource[] {
  const out: CatalogSource[] = [];
  scanSky(skySeed, box, band, magLimit, (t, k) => out.push(catalogSource(t, k)));
  return out;
}
