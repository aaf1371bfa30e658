/**
 * Beamline's public surface: tenants/, models/, bin/ and users import from here only.
 * Named exports only (house style rule 1).
 */
export { BeamlineError, ConfigError, formatValue, isRetriable } from './errors.ts';
export { FakeClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
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
  readSecretKeyFile,
  signHs256Token,
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
  compileDecisionPolicy,
  compileWorkerOptions,
  createScoringHandler,
  decide,
  loadWorkerFile,
  startWorker,
  type Decision,
  type DecisionPolicyOptions,
  type FeatureSpec,
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
