// Loads the TypeScript encoder worker when the package runs from its sources (tests, tsx); built code loads
// encode-worker.js directly.
import { register } from 'tsx/esm/api';
register();
await import(new URL('./encode-worker.ts', import.meta.url).href);
