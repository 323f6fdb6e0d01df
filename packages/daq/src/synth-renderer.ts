/**
 * The DAQ's real pixels: each CCD of an exposure is synthesized by @daqsim/core's worker pool while the exposure and
 * readout run (the image writer asks at integration start and writes after telemetry), Rice-compressed in the same
 * workers, with core's headers plus the DAQ keywords. Same seed and exposure, same bytes as `daqsim frame`/`night`.
 */
import { SynthesisPool, ccdHdus, planFromExposure, type SynthesisOptions } from '@daqsim/core';
import type { HduSpec } from '@daqsim/fits';
import { addDaqKeywords, type ExposureRecord, type FrameRenderer, type RenderOptions } from './frames.js';

export class SynthesisFrameRenderer implements FrameRenderer {
  private readonly pool: SynthesisPool;

  constructor(
    private readonly synth: SynthesisOptions = {},
    workers = 2,
  ) {
    this.pool = new SynthesisPool(workers);
  }

  async renderCcd(e: ExposureRecord, detectorName: string, opts: RenderOptions): Promise<HduSpec[]> {
    const plan = planFromExposure(e.resolved, this.synth);
    const ccd = await this.pool.renderCcd(plan, detectorName, { compress: opts.compress });
    // The HDUs keep views on the CCD's buffer until the encoder has them, so it is not recycled here.
    const hdus = ccdHdus(e.resolved.camera, e.resolved, plan, ccd, { compress: opts.compress });
    addDaqKeywords(hdus, e);
    return hdus;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
