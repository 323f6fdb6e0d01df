export { primaryHeader, type PrimaryHeaderOptions } from './primary.js';
export { ampHeader } from './amp.js';
export { type Provenance, DEFAULT_PROVENANCE } from './common.js';
