/**
 * The header of one amplifier IMAGE extension: its name and channel, the raw sections, where its data lands in
 * the detector (DETSEC, DTV/DTM), the IRAF physical-coordinate keywords, and a TAN WCS from the pointing.
 * XTENSION/BITPIX/NAXISn/PCOUNT/GCOUNT and checksums are the FITS writer's.
 *
 * Real raws carry no BIASSEC or LTV/LTM (cameras.md section 6.1); both are written here because IRAF-style tools
 * use them and obs_lsst ignores them. LTV = 0, LTM = 1: the raw amplifier image is its own physical frame.
 */
import { Header } from '@daqsim/fits';
import { DaqsimError } from '../errors.js';
import type { Amplifier, Camera, Detector } from '../cameras/types.js';
import { biasSection, dataSection, detectorPlacement, detectorSize } from '../cameras/geometry.js';
import { type Pointing, ampWcs } from '../wcs.js';
import { round, sig } from './common.js';

/**
 * Header of amplifier `amp` of `detector`. With a pointing it carries a TAN WCS mapping the raw pixels (FITS,
 * readout order) to the sky, consistent with `skyToAmpRaw`; without one it has no celestial WCS.
 */
export function ampHeader(camera: Camera, detector: Detector, amp: Amplifier, pointing?: Pointing): Header {
  if (detector.amps[amp.index] !== amp) {
    throw new DaqsimError('UNKNOWN_AMP', `amplifier ${amp.name} does not belong to ${detector.name}`, { detector: detector.name, amp: amp.name });
  }
  const layout = detector.layout;
  const place = detectorPlacement(layout, amp);
  const h = new Header();
  h.setInt('CHANNEL', amp.hdu, 'Amplifier channel (HDU number)');
  h.set('EXTNAME', amp.extname, 'Amplifier segment');
  h.set('CCDSUM', '1 1', 'On-chip binning');
  h.set('DATASEC', dataSection(layout), 'Data section (raw pixels)');
  h.set('DETSEC', place.detsec, 'Where the data lands in the detector');
  h.set('DETSIZE', detectorSize(layout), 'Assembled detector size');
  h.set('BIASSEC', biasSection(layout), 'Serial overscan section');
  h.setInt('DTV1', place.dtv1, 'Detector x = DTM1_1 * raw x + DTV1');
  h.setInt('DTV2', place.dtv2, 'Detector y = DTM2_2 * raw y + DTV2');
  h.setFloat('DTM1_1', place.dtm11, 'Raw-to-detector matrix');
  h.setFloat('DTM2_2', place.dtm22, 'Raw-to-detector matrix');
  h.setFloat('DTM1_2', 0, 'Raw-to-detector matrix');
  h.setFloat('DTM2_1', 0, 'Raw-to-detector matrix');
  h.setFloat('LTV1', 0, 'Raw image is its own physical frame');
  h.setFloat('LTV2', 0, 'Raw image is its own physical frame');
  h.setFloat('LTM1_1', 1, 'Raw image is its own physical frame');
  h.setFloat('LTM2_2', 1, 'Raw image is its own physical frame');
  if (camera.headerStyle === 'imsim') {
    // DC2 amplifier headers carry the gain (e-/ADU).
    h.setFloat('GAIN', amp.gain, 'Nominal gain (e-/ADU)');
  }
  if (pointing !== undefined) {
    const w = ampWcs(camera, detector, amp, pointing);
    // Entries that are zero but for rounding (cos 90 deg) print as 0.0, not as 1E-21.
    const cdMax = Math.max(...w.cd.flat().map(Math.abs));
    const cd = (v: number): number => (Math.abs(v) < cdMax * 1e-12 ? 0 : sig(v));
    h.setInt('WCSAXES', 2, 'Number of WCS axes');
    h.set('CTYPE1', 'RA---TAN', 'Gnomonic projection, no distortion');
    h.set('CTYPE2', 'DEC--TAN', 'Gnomonic projection, no distortion');
    h.set('CUNIT1', 'deg', 'Unit of CRVAL1 and CD1_*');
    h.set('CUNIT2', 'deg', 'Unit of CRVAL2 and CD2_*');
    h.setFloat('CRPIX1', round(w.crpix[0], 6), 'Boresight pixel x (raw, 1-based)');
    h.setFloat('CRPIX2', round(w.crpix[1], 6), 'Boresight pixel y (raw, 1-based)');
    h.setFloat('CRVAL1', w.crval[0], 'Boresight RA (deg)');
    h.setFloat('CRVAL2', w.crval[1], 'Boresight Dec (deg)');
    h.setFloat('CD1_1', cd(w.cd[0][0]), 'Linear transform (deg/pixel)');
    h.setFloat('CD1_2', cd(w.cd[0][1]), 'Linear transform (deg/pixel)');
    h.setFloat('CD2_1', cd(w.cd[1][0]), 'Linear transform (deg/pixel)');
    h.setFloat('CD2_2', cd(w.cd[1][1]), 'Linear transform (deg/pixel)');
    h.set('RADESYS', 'ICRS', 'Celestial reference frame');
  }
  return h;
}
