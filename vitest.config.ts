import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources through the
// "daqsim-source" export condition, so no build is needed to run them.
export default defineConfig({
  resolve: { conditions: ['daqsim-source'] },
  ssr: { resolve: { conditions: ['daqsim-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
