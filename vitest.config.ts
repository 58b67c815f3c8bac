import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Only a guard against a hang: synthesis and end-to-end runs take minutes on a busy shared machine.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
