/**
 * The worker under test, in its own process (so its heap is its own and the suite can measure
 * it): the built-in scoring handler with a priority rule, a remote model (the suite's model
 * server), connected to the broker through the suite's TCP proxy.
 *
 * argv[2]: JSON { serviceUrl, adminUrl, tenant, namespace, modelUrl, priorityTopic?, logLevel? }
 * stdout lines: `ready <httpPort>`, then `heap <bytes> <rssBytes>` every 250 ms.
 * SIGTERM drains and exits 0.
 */
import { compileRemoteModelSpec } from '../../functions/inference/index.ts';
import type { ProcessFn } from '../../functions/index.ts';
import { createRootLogger, createScoringHandler, startWorker } from '../../functions/control-plane.ts';
import { CHAOS_MODEL } from './model-server.ts';
import { PRIORITY_RULE } from './priority.ts';

export interface ChildConfig {
  serviceUrl: string;
  adminUrl: string;
  tenant: string;
  namespace: string;
  modelUrl: string;
  /** #26: the priority lane's topic (the harness routes PRIORITY_RULE's events there). */
  priorityTopic?: string;
  logLevel?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const log = createRootLogger({ level: config.logLevel ?? 'warn', destination: process.stderr });
const handler = createScoringHandler({
  features: [
    { name: 'amount', field: 'amount' },
    { name: 'count_60s', window: { lookbackMs: 60_000, aggregate: 'count' } },
    { name: 'sum_60s', window: { lookbackMs: 60_000, aggregate: 'sum', field: 'amount' } },
  ],
  idField: 'eventId',
  policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'chaos-policy-1' },
  priority: PRIORITY_RULE,
  emitFeatures: false,
  audit: false,
});
const running = await startWorker({
  tenant: config.tenant,
  namespace: config.namespace,
  serviceUrl: config.serviceUrl,
  adminUrl: config.adminUrl,
  handler: { process: handler as ProcessFn<unknown> },
  model: {
    artifact: {
      format: 'remote',
      spec: compileRemoteModelSpec(
        { protocol: 'oip-rest', endpoint: config.modelUrl, model: CHAOS_MODEL, signature: { input: [3], output: [1] } },
        'model.remote',
      ),
    },
    version: 'chaos@1',
  },
  httpPort: 0,
  ...(config.priorityTopic === undefined ? {} : { priorityTopic: config.priorityTopic }),
  log,
});
process.stdout.write(`ready ${running.http?.port ?? 0}\n`);
const heap = setInterval(() => {
  const m = process.memoryUsage();
  process.stdout.write(`heap ${m.heapUsed} ${m.rss}\n`);
}, 250);
process.once('SIGTERM', () => {
  clearInterval(heap);
  void running.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
