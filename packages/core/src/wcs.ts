/**
 * Sky <-> CCD pixel <-> raw amplifier pixel, and the TAN WCS written into every amplifier HDU.
 *
 * The model is the one obs_base/afw use for a raw's initial WCS (cameras.md section 5), without optical distortion:
 *   1. CCD pixel p (DM orientation, 0-based) -> focal plane fp [mm] = R(yaw) (p - refPos) * pixelSize + centre
 *   2. fp -> field angle theta [rad] = plateScale * c1 * fp (radial polynomial cut to its linear term)
 *   3. theta -> intermediate world coordinates (xi, eta) = M theta with afw's makeCdMatrix(1 rad, rotation, flipX):
 *      M = [[-cos o, sin o], [sin o, cos o]] (flipX false), [[cos o, sin o], [-sin o, cos o]] (flipX true),
 *      so at rotation 0 focal-plane +y points north and +x west
 *   4. (xi, eta) -> (ra, dec): gnomonic (TAN) projection about the boresight.
 * Steps 1-3 are affine in the raw pixel, so one CRPIX/CD per amplifier reproduces the model exactly; the header WCS
 * and these functions agree to rounding. Leaving out the distortion terms (LSSTCam: 0.07% at the field edge,
 * about 20 px) keeps that agreement; a source placed with skyToAmpRaw lands where the header WCS says it is.
 */
import { DaqsimError } from './errors.js';
import { ampToCcd, ccdToAmpRaw } from './cameras/geometry.js';
import type { AmpGeometry, Amplifier, Camera, Detector } from './cameras/types.js';

const DEG = Math.PI / 180;
const ARCSEC = DEG / 3600;

/** Telescope pointing for the WCS: boresight ICRS RA/Dec and the boresight rotation angle on the sky, degrees. */
export interface Pointing {
  readonly ra: number;
  readonly dec: number;
  /** Boresight rotation angle (DM boresight_rotation_angle, sky), = ROTPA for the Rubin cameras. */
  readonly rotPA: number;
}

type Vec2 = readonly [number, number];
type Mat2 = readonly [Vec2, Vec2];

export interface TanWcs {
  /** FITS reference pixel (1-based). */
  readonly crpix: Vec2;
  /** Reference sky position (boresight), degrees. */
  readonly crval: Vec2;
  /** CD matrix, degrees per pixel: [[CD1_1, CD1_2], [CD2_1, CD2_2]]. */
  readonly cd: Mat2;
}

function mul(m: Mat2, v: Vec2): Vec2 {
  return [m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1]];
}

function mmul(a: Mat2, b: Mat2): Mat2 {
  return [
    [a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]],
    [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]],
  ];
}

function inv(m: Mat2): Mat2 {
  const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
  return [
    [m[1][1] / det, -m[0][1] / det],
    [-m[1][0] / det, m[0][0] / det],
  ];
}

function checkPointing(p: Pointing): void {
  if (![p.ra, p.dec, p.rotPA].every(Number.isFinite) || Math.abs(p.dec) > 90) {
    throw new DaqsimError('BAD_POINTING', `bad pointing ra=${p.ra} dec=${p.dec} rot=${p.rotPA}`, { pointing: p });
  }
  // TAN with CRVAL at a pole needs LONPOLE care that nothing here needs; Rubin cannot point there anyway.
  if (Math.abs(p.dec) > 89.999) throw new DaqsimError('BAD_POINTING', 'pointing too close to a celestial pole', { pointing: p });
}

/** Focal-plane field angle per mm, radians (plate scale times the linear radial coefficient). */
function radPerMm(camera: Camera): number {
  return camera.plateScaleArcsecPerMm * ARCSEC * camera.fieldAngleRadialCoeffs[1]!;
}

/** afw makeCdMatrix(1 rad, rotation, flipX): field angle -> intermediate world coordinates. */
function orientation(camera: Camera, rotDeg: number): Mat2 {
  const c = Math.cos(rotDeg * DEG);
  const s = Math.sin(rotDeg * DEG);
  return camera.wcsFlipX
    ? [
        [c, s],
        [-s, c],
      ]
    : [
        [-c, s],
        [s, c],
      ];
}

function yawMatrix(det: Detector): Mat2 {
  const c = Math.cos(det.yawDeg * DEG);
  const s = Math.sin(det.yawDeg * DEG);
  return [
    [c, -s],
    [s, c],
  ];
}

/** CCD pixel (DM, 0-based) -> focal plane, mm. */
export function ccdToFocalPlane(det: Detector, x: number, y: number): { x: number; y: number } {
  const [rx, ry] = det.layout.refPos;
  const v = mul(yawMatrix(det), [(x - rx) * det.pixelSizeMm, (y - ry) * det.pixelSizeMm]);
  return { x: v[0] + det.centerMm[0], y: v[1] + det.centerMm[1] };
}

/** Focal plane (mm) -> CCD pixel (DM, 0-based). */
export function focalPlaneToCcd(det: Detector, fx: number, fy: number): { x: number; y: number } {
  const [rx, ry] = det.layout.refPos;
  const v = mul(inv(yawMatrix(det)), [fx - det.centerMm[0], fy - det.centerMm[1]]);
  return { x: v[0] / det.pixelSizeMm + rx, y: v[1] / det.pixelSizeMm + ry };
}

/** Tangent-plane coordinates (radians) -> RA/Dec (degrees), gnomonic projection about (ra0, dec0). */
export function tanToSky(xi: number, eta: number, ra0: number, dec0: number): { ra: number; dec: number } {
  const d0 = dec0 * DEG;
  const den = Math.cos(d0) - eta * Math.sin(d0);
  const ra = ra0 + Math.atan2(xi, den) / DEG;
  const dec = Math.atan2(Math.sin(d0) + eta * Math.cos(d0), Math.hypot(xi, den)) / DEG;
  return { ra: ((ra % 360) + 360) % 360, dec };
}

/** RA/Dec (degrees) -> tangent-plane coordinates (radians); undefined for the hemisphere behind the tangent point. */
export function skyToTan(ra: number, dec: number, ra0: number, dec0: number): { xi: number; eta: number } | undefined {
  const d = dec * DEG;
  const d0 = dec0 * DEG;
  const da = (ra - ra0) * DEG;
  const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(da);
  if (!(cosc > 1e-9)) return undefined;
  return {
    xi: (Math.cos(d) * Math.sin(da)) / cosc,
    eta: (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(da)) / cosc,
  };
}

/** Focal plane (mm) -> sky. */
export function focalPlaneToSky(camera: Camera, pointing: Pointing, fx: number, fy: number): { ra: number; dec: number } {
  checkPointing(pointing);
  const k = radPerMm(camera);
  const [xi, eta] = mul(orientation(camera, pointing.rotPA), [k * fx, k * fy]);
  return tanToSky(xi, eta, pointing.ra, pointing.dec);
}

/** Sky -> focal plane (mm); undefined more than 90 degrees from the boresight. */
export function skyToFocalPlane(camera: Camera, pointing: Pointing, ra: number, dec: number): { x: number; y: number } | undefined {
  checkPointing(pointing);
  const t = skyToTan(ra, dec, pointing.ra, pointing.dec);
  if (!t) return undefined;
  const k = radPerMm(camera);
  const [tx, ty] = mul(inv(orientation(camera, pointing.rotPA)), [t.xi, t.eta]);
  return { x: tx / k, y: ty / k };
}

/** CCD pixel (DM, 0-based) -> sky. */
export function ccdToSky(camera: Camera, det: Detector, pointing: Pointing, x: number, y: number): { ra: number; dec: number } {
  const fp = ccdToFocalPlane(det, x, y);
  return focalPlaneToSky(camera, pointing, fp.x, fp.y);
}

/** Sky -> CCD pixel (DM, 0-based, may lie off the CCD); undefined behind the tangent plane. */
export function skyToCcd(camera: Camera, det: Detector, pointing: Pointing, ra: number, dec: number): { x: number; y: number } | undefined {
  const [x, y] = skyToCcdMapper(camera, det, pointing)(ra, dec);
  return Number.isNaN(x) ? undefined : { x, y };
}

/**
 * Sky -> CCD pixel for many positions of one (detector, pointing), and the one implementation of skyToCcd: the
 * trigonometry of the pointing and the affine chain tangent plane -> focal plane -> CCD pixel are folded once into
 * six numbers, so a call costs four sines and cosines and no allocation beyond the result. NaN behind the tangent
 * plane.
 */
export function skyToCcdMapper(camera: Camera, det: Detector, pointing: Pointing): (ra: number, dec: number) => [number, number] {
  checkPointing(pointing);
  const d0 = pointing.dec * DEG;
  const sinD0 = Math.sin(d0);
  const cosD0 = Math.cos(d0);
  const ra0 = pointing.ra;
  // pixel = Y^-1 (O^-1 (xi, eta) / k - centre) / pixelSize + refPos  =  M (xi, eta) + c
  const s = 1 / det.pixelSizeMm;
  const yi = inv(yawMatrix(det));
  const m = mmul(yi, inv(orientation(camera, pointing.rotPA)));
  const k = radPerMm(camera);
  const m00 = (m[0][0] * s) / k;
  const m01 = (m[0][1] * s) / k;
  const m10 = (m[1][0] * s) / k;
  const m11 = (m[1][1] * s) / k;
  const c = mul(yi, [-det.centerMm[0] * s, -det.centerMm[1] * s]);
  const cx = c[0] + det.layout.refPos[0];
  const cy = c[1] + det.layout.refPos[1];
  return (ra, dec) => {
    const d = dec * DEG;
    const da = (ra - ra0) * DEG;
    const sinD = Math.sin(d);
    const cosD = Math.cos(d);
    const cosDa = Math.cos(da);
    const cosc = sinD0 * sinD + cosD0 * cosD * cosDa;
    if (!(cosc > 1e-9)) return [Number.NaN, Number.NaN];
    const xi = (cosD * Math.sin(da)) / cosc;
    const eta = (cosD0 * sinD - sinD0 * cosD * cosDa) / cosc;
    return [m00 * xi + m01 * eta + cx, m10 * xi + m11 * eta + cy];
  };
}

/** Raw amplifier pixel (0-based, readout order) -> sky. */
export function ampRawToSky(camera: Camera, det: Detector, amp: AmpGeometry, pointing: Pointing, i: number, j: number): { ra: number; dec: number } {
  const m = ampToCcd(det.layout, amp);
  return ccdToSky(camera, det, pointing, m.ax * i + m.bx, m.ay * j + m.by);
}

/** Sky -> the amplifier of `det` whose data block holds it and the raw pixel there; undefined off the CCD. */
export function skyToAmpRaw(
  camera: Camera,
  det: Detector,
  pointing: Pointing,
  ra: number,
  dec: number,
): { amp: Amplifier; i: number; j: number; x: number; y: number } | undefined {
  const p = skyToCcd(camera, det, pointing, ra, dec);
  if (!p) return undefined;
  const hit = ccdToAmpRaw(det, p.x, p.y);
  return hit && { ...hit, x: p.x, y: p.y };
}

/** Every detector whose pixels hold (ra, dec), with the CCD pixel there. */
export function detectorsAt(camera: Camera, pointing: Pointing, ra: number, dec: number): { detector: Detector; x: number; y: number }[] {
  const fp = skyToFocalPlane(camera, pointing, ra, dec);
  if (!fp) return [];
  const out: { detector: Detector; x: number; y: number }[] = [];
  for (const detector of camera.detectors) {
    const { x, y } = focalPlaneToCcd(detector, fp.x, fp.y);
    if (x >= -0.5 && y >= -0.5 && x < detector.layout.ccdWidth - 0.5 && y < detector.layout.ccdHeight - 0.5) out.push({ detector, x, y });
  }
  return out;
}

/**
 * TAN WCS of a pixel grid given its affine map into CCD pixels: x = ax * i + bx, y = ay * j + by (0-based).
 * IWC = A (i, j) + b with A, b from steps 1-3; FITS pixel P = (i, j) + 1, so CD = A in degrees and
 * CRPIX = 1 - A^-1 b (the boresight's pixel, usually far off the grid).
 */
function gridWcs(camera: Camera, det: Detector, pointing: Pointing, ax: number, bx: number, ay: number, by: number): TanWcs {
  checkPointing(pointing);
  const k = radPerMm(camera);
  const [rx, ry] = det.layout.refPos;
  const mr = mmul(orientation(camera, pointing.rotPA), yawMatrix(det));
  const scale = k * det.pixelSizeMm;
  const a: Mat2 = mmul(
    [
      [scale * mr[0][0], scale * mr[0][1]],
      [scale * mr[1][0], scale * mr[1][1]],
    ],
    [
      [ax, 0],
      [0, ay],
    ],
  );
  const off = mul(mr, [(bx - rx) * det.pixelSizeMm, (by - ry) * det.pixelSizeMm]);
  const center = mul(orientation(camera, pointing.rotPA), [det.centerMm[0], det.centerMm[1]]);
  const b: Vec2 = [k * (off[0] + center[0]), k * (off[1] + center[1])];
  const ainvb = mul(inv(a), b);
  return {
    crpix: [1 - ainvb[0], 1 - ainvb[1]],
    crval: [pointing.ra, pointing.dec],
    cd: [
      [a[0][0] / DEG, a[0][1] / DEG],
      [a[1][0] / DEG, a[1][1] / DEG],
    ],
  };
}

/** TAN WCS of one amplifier HDU: raw pixels (FITS 1-based, readout order) -> sky. */
export function ampWcs(camera: Camera, det: Detector, amp: AmpGeometry, pointing: Pointing): TanWcs {
  const m = ampToCcd(det.layout, amp);
  return gridWcs(camera, det, pointing, m.ax, m.bx, m.ay, m.by);
}

/** TAN WCS of the assembled CCD (FITS pixel = DM pixel + 1). */
export function ccdWcs(camera: Camera, det: Detector, pointing: Pointing): TanWcs {
  return gridWcs(camera, det, pointing, 1, 0, 1, 0);
}

/** Evaluate a TAN WCS at a FITS (1-based) pixel, for tests and consumers without a WCS library. */
export function wcsPixelToSky(wcs: TanWcs, px: number, py: number): { ra: number; dec: number } {
  const [xi, eta] = mul(wcs.cd, [px - wcs.crpix[0], py - wcs.crpix[1]]);
  return tanToSky(xi * DEG, eta * DEG, wcs.crval[0], wcs.crval[1]);
}
