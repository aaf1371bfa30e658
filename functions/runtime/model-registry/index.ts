/**
 * The model registry of a namespace (issue #9): manifests, artifacts and rollouts on the
 * compacted `models` topic, audit events on `audit`, and the router behind the worker's
 * `ctx.score` that follows rollouts (live, canary by key hash, shadow) with hot swaps.
 *
 * #15: it lives inside runtime/, the composition root, because it composes three concepts: it
 * reads and writes Pulsar topics (pulsar/), loads and validates models (inference/) and routes
 * `ctx.score` through the runtime's own scorer and decision policy. As a concept of its own
 * under functions/ it would import runtime/, which no concept may. The data scientist's tools
 * over it (`beamline model`) are models/.
 */
export { REGISTRY_ERROR_CODES } from './errors.ts';
export {
  checkModelName,
  checkSignature,
  modelVersionId,
  validateFeatureSchema,
  validateManifest,
  type FeatureSchema,
  type ModelFormat,
  type ModelManifest,
  type ModelSignature,
} from './manifest.ts';
export { currentAvroSchema, openAuditWriter, openTopicWriter, type AuditWriter, type TopicWriter } from './audit.ts';
export { decodeArtifact, encodeArtifact, sha256Hex, type RegistryArtifact } from './artifact-codec.ts';
export {
  applyRolloutChange,
  canaryBucket,
  emptyRollout,
  parseRollout,
  routeOf,
  type CanarySlot,
  type RolloutChange,
  type RolloutState,
} from './rollout.ts';
export {
  AUDIT_ENTRY_SCHEMA,
  auditEntry,
  decodeAuditPayload,
  readAudit,
  type AuditEntry,
  type AuditEvent,
  type DecisionAuditEvent,
  type RegistryAuditEvent,
  type RegistryAuditType,
} from './audit.ts';
export { FEATURE_SCHEMA_KEY, RegistryView, artifactKey, artifactPartKey, manifestKey, rolloutKey } from './registry-view.ts';
export { readModelPath, validateModel, validateRemoteModel, type ValidatedModel } from './validate-model.ts';
export {
  ARTIFACT_PART_BYTES,
  ModelRegistry,
  namespaceTopicName,
  type ModelRegistryOptions,
  type PushOptions,
  type PushPhase,
  type PushResult,
} from './model-registry.ts';
export { ModelRouter, type LoadScorer, type ModelRouterOptions, type ModelRouterState, type RouterView } from './model-router.ts';
export { compareFromAudit, type CanaryStats, type CompareReport, type ShadowStats, type SlotStats } from './compare.ts';
export { populationStabilityIndex, SCORE_BINS, ScoreDrift, scoreBaseline, scoreBin } from './score-drift.ts';
export { ModelVersionMetrics } from './model-version-metrics.ts';
export { startRegistryRouting, type RegistryRouting, type RegistryRoutingOptions } from './registry-routing.ts';
