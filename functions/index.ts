/**
 * Beamline's public surface: tenants/, models/, bin/ and users import from here only.
 * Named exports only (house style rule 1).
 */
export { BeamlineError, ConfigError, formatValue, isRetriable } from './errors.ts';
export { FakeClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
export { parseJson, stringifyJson } from './json.ts';
export {
  PrometheusMetrics,
  checkMetricName,
  createRootLogger,
  noopMetrics,
  silentLogger,
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
  type Labels,
  type Logger,
  type Metrics,
  type RootLoggerOptions,
} from './telemetry.ts';
export type {
  EmitOptions,
  EmitTarget,
  EventRecord,
  HandlerContext,
  ModelScore,
  ProcessFn,
  ProcessWindowFn,
  RecordMeta,
  ScoreFn,
  WindowInfo,
} from './contract.ts';
export {
  PULSAR_ADMIN_ERROR_CODES,
  PulsarAdmin,
  PulsarAdminError,
  compilePulsarAdminOptions,
  decodeTokenClaims,
  isAdminStatus,
  parseTopicName,
  readPrivateKeyFile,
  readSecretKeyFile,
  signHs256Token,
  signRs256Token,
  type AdminSchemaInfo,
  type AuthAction,
  type BacklogQuota,
  type BacklogQuotaPolicy,
  type ClusterData,
  type FetchLike,
  type NamespacePolicies,
  type PartitionedTopicStats,
  type PulsarAdminConfig,
  type PulsarAdminOptions,
  type RetentionPolicy,
  type SchemaCompatibility,
  type TenantInfo,
  type TokenClaims,
  type TopicName,
  type TopicStats,
} from './pulsar/index.ts';
export {
  InMemoryWorkerIo,
  createTestDriver,
  type TestDriver,
  type TestDriverOptions,
} from './runtime/testing/index.ts';
export {
  NamespaceWorker,
  PartitionedWorker,
  compileDecisionPolicy,
  compilePriorityRule,
  compileWorkerOptions,
  createScoringHandler,
  decide,
  loadWorkerFile,
  piiPropertyKey,
  startWorker,
  type Decision,
  type DecisionPolicyOptions,
  type PriorityRuleSpec,
  type FeatureSpec,
  type PartitionEvent,
  type Prediction,
  type RunningWorker,
  type StartWorkerOptions,
  type WorkerFile,
  type WorkerHandler,
  type WorkerOptions,
} from './runtime/index.ts';
export {
  ACTION_SCHEMA,
  PREDICTION_SCHEMA,
  REVIEW_ITEM_SCHEMA,
} from './runtime/index.ts';
// #21: governance: dead letters sealed under the tenant's versioned keys.
export {
  KEYS_FILE_IN_SECRET,
  keyringFromEnv,
  openDeadLetter,
  readKeyringFile,
  type DeadLetterContent,
  type DeadLetterRecord,
} from './runtime/index.ts';
export {
  compileKeyring,
  DecryptError,
  newKeyringDocument,
  rotateKeyringDocument,
  type KeyringDocument,
  type TenantKeyring,
} from './governance/index.ts';
// /healthz, /readyz and /metrics for long-running commands besides the worker (the bridge, #24).
export { startHttpEndpoints, type HealthSource, type HttpEndpoints } from './runtime/index.ts';
export {
  MessageId,
  PulsarClient,
  avroSchema,
  createClient,
  jsonSchema,
  stringSchema,
  type ClientOptions,
  type Consumer,
  type ConsumerOptions,
  type Message,
  type OutgoingMessage,
  type Producer,
  type ProducerOptions,
  type Schema,
} from './pulsar/index.ts';
// Model registry, rollouts and audit (issue #9).
export {
  AUDIT_ENTRY_SCHEMA,
  ModelRegistry,
  REGISTRY_ERROR_CODES,
  auditEntry,
  canaryBucket,
  compareFromAudit,
  decodeAuditPayload,
  modelVersionId,
  openTopicWriter,
  readAudit,
  readModelPath,
  validateFeatureSchema,
  type AuditEntry,
  type AuditEvent,
  type CompareReport,
  type DecisionAuditEvent,
  type FeatureSchema,
  type ModelManifest,
  type PushPhase,
  type PushResult,
  type RegistryArtifact,
  type RegistryAuditEvent,
  type RolloutState,
  type TopicWriter,
} from './runtime/registry/index.ts';
