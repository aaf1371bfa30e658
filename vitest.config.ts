import { defineConfig } from 'vitest/config';

// Two projects run together in `npm test`: fast unit tests (no I/O beyond the process) and
// integration tests that talk to a real Pulsar broker started once by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One broker on a 2-core machine: files run one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
