import type { NounCommand } from '../io.ts';

/** `beamline demo`: the same run as `npm run demo` (scripts/demo/demo.ts). */
export const demoCommand: NounCommand = {
  noun: 'demo',
  summary: 'live fraud-scoring demo: local broker, tenant, model, worker, synthetic payments',
  async run(argv) {
    const { demoMain } = await import('../../../scripts/demo/demo.ts');
    return demoMain(argv);
  },
};
