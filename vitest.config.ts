import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real peers (tgtd, tar, the CLI) run as processes; two cores: keep files in parallel low.
    maxWorkers: 2,
    minWorkers: 1,
    disableConsoleIntercept: true,
  },
});
