import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The package's own unit tests, runnable on their own: `npm test -w @beamline/pulsar` (from the
// repository root) or `npx vitest run` in this folder. They live in test/functions/pulsar/ with
// the rest of the repository's tests and need no broker; the root config runs them too, in its
// `unit` project.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/functions/pulsar/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
