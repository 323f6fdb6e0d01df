/** Synthesis: deterministic raw pixels for every image type, in one thread or a worker pool. */
export {
  DEFAULT_EFFECTS,
  RENDER_KINDS,
  type Band,
  type CcdWcs,
  type Effects,
  type ExposurePlan,
  type RenderKind,
  type SynthAmp,
  type SynthCcd,
} from './types.js';
export { type SynthesisOptions, ccdGeometry, ccdSkyMapping, pixelScale, planFromExposure, renderKind } from './adapter.js';
export { type AmpTruth, ROW_NOISE_ADU, crosstalkCoefficient, renderAmp } from './render-amp.js';
export { type AmpLayout, type KernelKind, type WasmMemory, AmpWorkspace, WORKSPACE_BYTES, defaultKernelKind, sharedMemory } from './kernels.js';
export { type SceneTruth, prepareCcd, renderAmps, sceneTruth } from './render-ccd.js';
export { type CcdScene, type PlacedSource, type CosmicRay, type Defects, COSMIC_RAY_RATE, buildScene, exposureTimes, isOnSky } from './scene.js';
export { type RenderedCcd, SynthesisPool, renderCcdInThread } from './pool.js';
export {
  type OutputOptions,
  type WrittenFile,
  ExposureRenderer,
  ccdHdus,
  exposureDir,
  planHash,
  prepareExposure,
  renderCcd,
  truthRecord,
} from './output.js';
export { type CatalogSource, CATALOG_DEPTH, galactic, galaxyCounts, querySky, starCounts } from './catalog.js';
export { type BandPhotometry, bandPhotometry, electronsFromMag } from './photometry.js';
export { MOFFAT_BETA, moffatAlpha } from './psf.js';
export { hash32, streamKey, uniform, KeyedSequence, type StreamKey } from './rng.js';
export { normalTable, inverseNormalCdf } from './normal-table.js';
