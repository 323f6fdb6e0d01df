// Loads the TypeScript thumbnail worker when the package runs from its sources (tests, tsx); built code loads
// thumbnail-worker.js directly.
import { register } from 'tsx/esm/api';
register();
await import(new URL('./thumbnail-worker.ts', import.meta.url).href);
