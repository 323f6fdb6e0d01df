// Loads the TypeScript worker when the package runs from its sources (tests, tsx); built code loads worker.js.
import { register } from 'tsx/esm/api';
register();
await import(new URL('./worker.ts', import.meta.url).href);
