/**
 * A complete raw CCD file whose pixels are constant: the header-only path, good enough for ingest and header
 * tests until the pixel synthesis exists. Feed the HDUs to @daqsim/fits `encodeFits` or `writeFits`.
 */
import { type HduSpec, writeFits } from '@daqsim/fits';
import { DaqsimError } from './errors.js';
import type { Camera, Detector } from './cameras/types.js';
import type { Exposure, ExposureInfo } from './exposure.js';
import { type Provenance, DEFAULT_PROVENANCE, asExposure } from './headers/common.js';
import { ampHeader } from './headers/amp.js';
import { primaryHeader } from './headers/primary.js';
import { fileName } from './ids.js';

export interface ConstantFrameOptions {
  /** Pixel value for every amplifier [each amplifier's nominal bias level]. */
  value?: number;
  provenance?: Provenance;
  /** RICE_1 tile-compress the amplifier HDUs, as real raws since 2021 are. */
  compressed?: boolean;
}

/** Primary HDU plus one int32 IMAGE HDU per amplifier (in HDU order), every pixel set to the same value. */
export function renderConstantCcdHdus(
  camera: Camera,
  detector: Detector,
  exposure: ExposureInfo | Exposure,
  opts: ConstantFrameOptions = {},
): HduSpec[] {
  if (!camera.detectors.includes(detector)) {
    throw new DaqsimError('UNKNOWN_DETECTOR', `${detector.name} is not a detector of ${camera.name}`, { detector: detector.name });
  }
  const e = asExposure(camera, exposure);
  const compressed = opts.compressed ?? false;
  const layout = detector.layout;
  const hdus: HduSpec[] = [{ header: primaryHeader(camera, detector, e, opts.provenance ?? DEFAULT_PROVENANCE, { compressed }) }];
  for (const amp of detector.amps) {
    const value = opts.value ?? Math.round(amp.biasLevel);
    if (!Number.isSafeInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new DaqsimError('OUT_OF_RANGE', `pixel value ${value} is not a 32-bit integer`, { value });
    }
    hdus.push({
      header: ampHeader(camera, detector, amp, e.pointing),
      data: new Int32Array(layout.rawWidth * layout.rawHeight).fill(value),
      shape: [layout.rawWidth, layout.rawHeight],
      ...(compressed ? { compress: { algorithm: 'RICE_1' as const } } : {}),
    });
  }
  return hdus;
}

/**
 * Write a constant CCD file into `dir` under its Rubin name (`{OBSID}_{Rnn}_{Snn}.fits[.fz]`); returns the path.
 */
export async function writeConstantCcd(
  dir: string,
  camera: Camera,
  detector: Detector,
  exposure: ExposureInfo | Exposure,
  opts: ConstantFrameOptions = {},
): Promise<string> {
  const e = asExposure(camera, exposure);
  const path = `${dir.replace(/\/+$/, '')}/${fileName(e.obsId, detector.raft, detector.slot, opts.compressed ?? false)}`;
  await writeFits(path, renderConstantCcdHdus(camera, detector, e, opts));
  return path;
}
