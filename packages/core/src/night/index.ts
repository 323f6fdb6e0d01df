/** Nights: plans, their expansion into exposures, whole-night generation with a manifest, and verification. */
export { BUILTIN_PLANS, DC2_PATCH, builtinPlan, checkPlan, scalePlan, type NightPlan, type PlanBlock, type PlanImageType, type Target } from './plans.js';
export { expandNight, filterForBand, type ExpandOptions, type NightExposure } from './expand.js';
export { MANIFEST_NAME, addDays, manifestEntry, writeNight, type Manifest, type ManifestFile, type NightOptions } from './write.js';
export { verifyNight, type Problem, type VerifyOptions, type VerifyReport } from './verify.js';
