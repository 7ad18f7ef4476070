import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // Two cores here and in CI: one worker per core keeps TF.js tests from starving each other.
    maxWorkers: 2,
  },
});
