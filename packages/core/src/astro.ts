/**
 * Just enough positional astronomy to fill AZSTART/ELSTART/AMSTART consistently with RA/Dec, time and site.
 *
 * Model: ICRS (J2000 mean) RA/Dec is precessed to the mean equator of date (IAU 1976, Lieske angles), hour angle
 * comes from Greenwich mean sidereal time (IAU 1982, UT1 taken as UTC = TAI - 37 s), and alt/az from the spherical
 * triangle. Nutation (< 20"), annual aberration (< 21"), polar motion and UT1-UTC (< 14") are left out, and so is
 * refraction: astro_metadata_translator's own AltAz fallback does not refract either. The result agrees with
 * astropy's AltAz to well under the 1' that real LSSTCam headers show between their RA/Dec and Az/El.
 */
import type { Tai } from './time.js';
import { TAI_MINUS_UTC_SECONDS } from './time.js';

const DEG = Math.PI / 180;
const ARCSEC = DEG / 3600;
/** TT - TAI in seconds. */
const TT_MINUS_TAI = 32.184;
const JD_MINUS_MJD = 2_400_000.5;
const J2000_JD = 2_451_545.0;

export interface Site {
  /** East longitude, degrees (negative west of Greenwich). */
  longitude: number;
  /** Geodetic latitude, degrees. */
  latitude: number;
  /** Height above the WGS84 ellipsoid, metres. */
  elevation: number;
}

export interface AltAz {
  /** Azimuth in degrees, north = 0, east = 90, in [0, 360). */
  az: number;
  /** Elevation (altitude) in degrees. */
  el: number;
  /** Hour angle in degrees, in [-180, 180). */
  ha: number;
}

type Vec3 = [number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

/** Wrap an angle in degrees to [0, 360). */
export function wrap360(deg: number): number {
  const w = deg % 360;
  return w < 0 ? w + 360 : w === 360 ? 0 : w;
}

/** Wrap an angle in degrees to [-180, 180). */
export function wrap180(deg: number): number {
  return wrap360(deg + 180) - 180;
}

function toVec(raDeg: number, decDeg: number): Vec3 {
  const ra = raDeg * DEG;
  const dec = decDeg * DEG;
  return [Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec)];
}

function fromVec(v: Vec3): { ra: number; dec: number } {
  const r = Math.hypot(v[0], v[1], v[2]);
  return { ra: wrap360(Math.atan2(v[1], v[0]) / DEG), dec: Math.asin(v[2] / r) / DEG };
}

function mul(m: Mat3, v: Vec3): Vec3 {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
  ];
}

function transpose(m: Mat3): Mat3 {
  return [
    [m[0][0], m[1][0], m[2][0]],
    [m[0][1], m[1][1], m[2][1]],
    [m[0][2], m[1][2], m[2][2]],
  ];
}

/** Julian centuries of TT since J2000.0. */
function centuriesTT(t: Tai): number {
  const jdTT = t.mjd + JD_MINUS_MJD + TT_MINUS_TAI / 86400;
  return (jdTT - J2000_JD) / 36525;
}

/** IAU 1976 precession matrix, J2000 mean equator -> mean equator of date: R3(-z) R2(theta) R3(-zeta). */
export function precessionMatrix(t: Tai): Mat3 {
  const T = centuriesTT(t);
  const zeta = (2306.2181 * T + 0.30188 * T * T + 0.017998 * T * T * T) * ARCSEC;
  const z = (2306.2181 * T + 1.09468 * T * T + 0.018203 * T * T * T) * ARCSEC;
  const theta = (2004.3109 * T - 0.42665 * T * T - 0.041833 * T * T * T) * ARCSEC;
  const [cz, sz] = [Math.cos(zeta), Math.sin(zeta)];
  const [cZ, sZ] = [Math.cos(z), Math.sin(z)];
  const [ct, st] = [Math.cos(theta), Math.sin(theta)];
  return [
    [cZ * ct * cz - sZ * sz, -cZ * ct * sz - sZ * cz, -cZ * st],
    [sZ * ct * cz + cZ * sz, -sZ * ct * sz + cZ * cz, -sZ * st],
    [st * cz, -st * sz, ct],
  ];
}

/** J2000 RA/Dec (deg) to the mean equator and equinox of date. */
export function precess(raDeg: number, decDeg: number, t: Tai): { ra: number; dec: number } {
  return fromVec(mul(precessionMatrix(t), toVec(raDeg, decDeg)));
}

/** Mean-of-date RA/Dec (deg) back to J2000. */
export function unprecess(raDeg: number, decDeg: number, t: Tai): { ra: number; dec: number } {
  return fromVec(mul(transpose(precessionMatrix(t)), toVec(raDeg, decDeg)));
}

/** Greenwich mean sidereal time in degrees (IAU 1982 / Meeus 12.4), with UT1 = UTC = TAI - 37 s. */
export function gmstDeg(t: Tai): number {
  const jdUt = t.mjd + JD_MINUS_MJD - TAI_MINUS_UTC_SECONDS / 86400;
  const d = jdUt - J2000_JD;
  const T = d / 36525;
  return wrap360(280.46061837 + 360.98564736629 * d + 0.000387933 * T * T - (T * T * T) / 38_710_000);
}

/** Local mean sidereal time in degrees. */
export function lmstDeg(t: Tai, site: Site): number {
  return wrap360(gmstDeg(t) + site.longitude);
}

/** Azimuth, elevation and hour angle of a J2000 position seen from a site at a TAI instant. */
export function raDecToAltAz(raDeg: number, decDeg: number, t: Tai, site: Site): AltAz {
  const { ra, dec } = precess(raDeg, decDeg, t);
  const ha = wrap180(lmstDeg(t, site) - ra);
  const H = ha * DEG;
  const d = dec * DEG;
  const phi = site.latitude * DEG;
  const sinEl = Math.sin(phi) * Math.sin(d) + Math.cos(phi) * Math.cos(d) * Math.cos(H);
  const el = Math.asin(Math.max(-1, Math.min(1, sinEl))) / DEG;
  const az = Math.atan2(-Math.cos(d) * Math.sin(H), Math.sin(d) * Math.cos(phi) - Math.cos(d) * Math.sin(phi) * Math.cos(H)) / DEG;
  return { az: wrap360(az), el, ha };
}

/** J2000 RA/Dec of a direction given in azimuth/elevation (degrees) at a site and TAI instant. */
export function altAzToRaDec(azDeg: number, elDeg: number, t: Tai, site: Site): { ra: number; dec: number } {
  const A = azDeg * DEG;
  const e = elDeg * DEG;
  const phi = site.latitude * DEG;
  const sinDec = Math.sin(phi) * Math.sin(e) + Math.cos(phi) * Math.cos(e) * Math.cos(A);
  const dec = Math.asin(Math.max(-1, Math.min(1, sinDec)));
  const H = Math.atan2(-Math.cos(e) * Math.sin(A), Math.sin(e) * Math.cos(phi) - Math.cos(e) * Math.sin(phi) * Math.cos(A));
  const raDate = wrap360(lmstDeg(t, site) - H / DEG);
  return unprecess(raDate, dec / DEG, t);
}

/** Plane-parallel airmass sec(z) = 1 / sin(el), the translators' own fallback; null below 1 degree. */
export function airmass(elDeg: number): number | null {
  if (elDeg < 1) return null;
  return 1 / Math.sin(elDeg * DEG);
}
