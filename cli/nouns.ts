import type { Noun } from './noun.ts';

/**
 * The CLI's nouns, in the order the top-level help lists them. To add one, write
 * `commands/<noun>.ts` exporting `defineNoun({ name, summary, verbs })` and add one line here; its
 * summary and help come from that declaration. Loaded lazily so `beamline token` never pays for
 * what `beamline worker` imports (only the top-level help loads them all).
 */
export const NOUNS: Readonly<Record<string, () => Promise<Noun>>> = {
  tenant: async () => (await import('./commands/tenant.ts')).tenantNoun,
  schema: async () => (await import('./commands/schema.ts')).schemaNoun,
  demo: async () => (await import('./commands/demo.ts')).demoNoun,
  worker: async () => (await import('./commands/worker.ts')).workerNoun,
  model: async () => (await import('./commands/model.ts')).modelNoun,
  features: async () => (await import('./commands/features.ts')).featuresNoun,
  review: async () => (await import('./commands/review.ts')).reviewNoun,
  actions: async () => (await import('./commands/actions.ts')).actionsNoun,
  geo: async () => (await import('./commands/geo.ts')).geoNoun,
  bridge: async () => (await import('./commands/bridge.ts')).bridgeNoun,
  top: async () => (await import('./commands/top.ts')).topNoun,
  dlq: async () => (await import('./commands/dlq.ts')).dlqNoun,
  audit: async () => (await import('./commands/audit.ts')).auditNoun,
  gdpr: async () => (await import('./commands/gdpr.ts')).gdprNoun,
  keys: async () => (await import('./commands/keys.ts')).keysNoun,
  token: async () => (await import('./commands/token.ts')).tokenNoun,
};
