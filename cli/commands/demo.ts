import { defineNoun } from '../noun.ts';

/** `beamline demo`: the same run as `npm run demo` (demo/demo.ts), which parses its own options. */
export const demoNoun = defineNoun({
  name: 'demo',
  summary: 'live fraud-scoring demo in one command (local broker, model, worker, payments)',
  async run(argv) {
    const { demoMain } = await import('../../demo/demo.ts');
    return demoMain(argv);
  },
});
