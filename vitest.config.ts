import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources through the "daqsim-source" export condition,
// so no build is needed to run them.
const resolve = { conditions: ['daqsim-source'] };
const ssr = { resolve: { conditions: ['daqsim-source'] } };

// Tests that measure wall-clock pacing run first, one file at a time, before the CPU-heavy synthesis tests
// start competing for the two cores: a timing test must measure the code, not the neighbours.
const TIMING = ['packages/daq/test/image-cycle.test.ts', 'packages/cli/test/transfer*.test.ts'];

export default defineConfig({
  resolve,
  ssr,
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'timing',
          include: TIMING,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'main',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...TIMING, '**/node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
