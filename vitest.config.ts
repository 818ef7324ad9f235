import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers, DynamoDB Local and CDK synth are slow on a 2-core machine; a hung test still fails.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
