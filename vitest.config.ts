import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    // Two cores here and in CI: one worker per core keeps TF.js tests from starving each other.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts'], exclude: ['tests/e2e/**'] } },
      // The browser tests run alone, one file at a time (npm test runs them after the unit tests):
      // they measure the page's long tasks, which other work on the two cores would inflate.
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
