import type { NounCommand } from './io.ts';

/**
 * The CLI's nouns. To add one (worker, model, demo, review, actions...), write
 * `commands/<noun>.ts` exporting a `NounCommand` and add one line here. Loaded lazily so
 * `beamline token` never pays for what `beamline worker` imports.
 */
export const NOUNS: Readonly<Record<string, { readonly summary: string; readonly load: () => Promise<NounCommand> }>> = {
  tenant: { summary: 'validate, plan, apply, describe, list and delete tenants from YAML specs', load: async () => (await import('./commands/tenant.ts')).tenantCommand },
  schema: { summary: 'check a schema change against a topic before producers roll out', load: async () => (await import('./commands/schema.ts')).schemaCommand },
  demo: { summary: 'live fraud-scoring demo in one command (local broker, model, worker, payments)', load: async () => (await import('./commands/demo.ts')).demoCommand },
  worker: { summary: 'run the processing worker of a tenant namespace', load: async () => (await import('./commands/worker.ts')).workerCommand },
  model: { summary: 'push models and roll them out: live, shadow, canary, rollback, compare', load: async () => (await import('./commands/model.ts')).modelCommand },
  features: { summary: 'export point-in-time training sets from the stream (features + labels); write labels', load: async () => (await import('./commands/features.ts')).featuresCommand },
  review: { summary: 'list, show, approve and reject items in the human review queue', load: async () => (await import('./commands/review.ts')).reviewCommand },
  actions: { summary: 'apply actions to HTTP webhooks with retries, idempotency keys and a breaker per sink', load: async () => (await import('./commands/actions.ts')).actionsCommand },
  geo: { summary: 'replication health across regions: backlog, rate, lag and link state per topic', load: async () => (await import('./commands/geo.ts')).geoCommand },
  bridge: { summary: 'bridge Google Cloud Pub/Sub: pubsub-source into events, pubsub-sink out of predictions or actions', load: async () => (await import('./commands/bridge.ts')).bridgeCommand },
  top: { summary: 'live view of namespaces: rate, backlog, latency, models, breaker, review, dead letters', load: async () => (await import('./commands/top.ts')).topCommand },
  dlq: { summary: 'list, show (--decrypt) and replay dead-lettered inputs (content sealed under the tenant key)', load: async () => (await import('./commands/dlq.ts')).dlqCommand },
  keys: { summary: "create, rotate and check a tenant's versioned keys file", load: async () => (await import('./commands/keys.ts')).keysCommand },
  token: { summary: 'issue JWTs for roles (HS256 or RS256), expiring by default', load: async () => (await import('./commands/token.ts')).tokenCommand },
};
