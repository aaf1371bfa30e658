/**
 * The control plane's surface: what tenants/, models/, bridge/, the CLI and the worker's
 * composition need (the Pulsar client and admin, the worker, registry, training, governance,
 * telemetry, and the namespace's shared vocabulary). Handler authors use index.ts instead; this
 * file does not repeat what index.ts exports (errors, clock, json, handler types).
 * Named exports only (house style rule 1).
 */
export { TOPIC_KINDS, OUTPUT_TOPICS, type OutputTopic, type TopicKind } from './topics.ts';
export { BREAKER_STATES, BREAKER_STATE_TEXT, breakerGaugeValue, type BreakerState, type BreakerStateText } from './breaker-state.ts';
export { formatBytes, formatSizeBytes } from './bytes.ts';
export { seededRandom } from './random.ts';
export { denseGraph, encodeOnnxModel } from './inference/index.ts';
export { RUNTIME_ERROR_CODES } from './runtime/index.ts';
export { GOVERNANCE_ERROR_CODES } from './governance/index.ts';
export { TRACING_ERROR_CODES } from './tracing/index.ts';
// #22: OTLP span export (components see only telemetry.ts's Tracer).
export { OtlpTracer, compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing/index.ts';
export {
  PrometheusMetrics,
  TRACEPARENT,
  TRACESTATE,
  activeSpanContext,
  checkMetricName,
  contentTypeOf,
  createRootLogger,
  metricsFormatFor,
  formatTraceparent,
  noopMetrics,
  noopTracer,
  parseTraceparent,
  silentLogger,
  traceContextOf,
  traceProperties,
  withSpanContext,
  type Attributes,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type Tracer,
  type RootLoggerOptions,
  type Exemplar,
  type MetricsFormat,
} from './telemetry.ts';
export {
  PULSAR_ADMIN_ERROR_CODES,
  PULSAR_ERROR_CODES,
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
export { InMemoryWorkerIo } from './runtime/testing/index.ts';
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
  type WorkerOptions,
} from './runtime/index.ts';
export { ACTION_SCHEMA, PREDICTION_SCHEMA, REVIEW_ITEM_SCHEMA } from './runtime/index.ts';
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
  AUDIT_CHAIN_PROPERTIES,
  auditSealOf,
  compileKeyring,
  DecryptError,
  newKeyringDocument,
  rotateKeyringDocument,
  verifyAuditChain,
  type AuditRecordRead,
  type AuditSeal,
  type AuditVerifyReport,
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
  openAuditWriter,
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
  type AuditWriter,
  type TopicWriter,
} from './runtime/model-registry/index.ts';
// #23: training sets from the stream, labels, evaluation before promotion.
export {
  FeatureReplay,
  LABEL_SCHEMA,
  TRAINING_ERROR_CODES,
  checkEvaluationGate,
  checkWindow,
  compileFeatureExtractor,
  evaluateModel,
  evaluateRegistryVersion,
  exportTrainingSet,
  formatTrainingSet,
  labelsTopic,
  openLabelWriter,
  qualityFromAudit,
  readLabels,
  summarizeEvaluation,
  tableFormatOf,
  validateLabel,
  type EvaluationGate,
  type EvaluationReport,
  type FeatureExtractor,
  type Label,
  type LabelWriter,
  type ScoredRow,
  type SlotQuality,
  type TableFormat,
  type TrainingRow,
  type TrainingSet,
  type TrainingSetOptions,
} from './runtime/index.ts';
