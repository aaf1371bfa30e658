/**
 * The namespace worker: the only composition root. It wires the Pulsar client, schemas, PII
 * tokenization, state, windows and the scorer (ctx.score, registry rollouts) around a tenant's handler.
 */
export { compileDecisionPolicy, decide, type Decision, type DecisionPolicy, type DecisionPolicyOptions } from './decision-policy.ts';
export {
  HandlerEngine,
  type EmittedOutput,
  type EngineChanges,
  type EngineStep,
  type HandlerEngineOptions,
  type LateRecord,
} from './handler-engine.ts';
export {
  createScoringHandler,
  type FeatureSpec,
  type Prediction,
  type ScoringHandlerOptions,
  type WindowAggregate,
} from './scoring-handler.ts';
export { compilePriorityRule, type PriorityOperator, type PriorityRule, type PriorityRuleSpec } from './priority-rule.ts';
export { startHttpEndpoints, type HealthSource, type HttpEndpoints } from './http-endpoints.ts';
export { Ingress, autoDecoder, schemaDecoder, type IngressOptions, type IngressResult, type PayloadDecoder } from './ingress.ts';
export { KEYS_FILE_IN_SECRET, keyringFromEnv, readKeyringFile } from './keyring-source.ts';
export { deadLetterAad, openDeadLetter, sealedDeadLetter, type DeadLetterSealing } from './dead-letters.ts';
export { createModelScorer, type ModelScorer, type ModelScorerOptions } from './model-scorer.ts';
export { PulsarWorkerIo, type PartitionIoDeps, type PulsarWorkerIoDeps, type TopicStatsSource } from './pulsar-io.ts';
export { FirstSendGate } from './first-send-gate.ts';
export { awaitLeftoverPermits, LEFTOVER_PERMITS_WAIT_MS } from './leftover-permits.ts';
export { PartitionedWorker, type PartitionEvent, type PartitionedWorkerDeps } from './partition-ownership.ts';
export { OwnershipJournal, JOURNAL_SKEW_MARGIN_MS, type FenceResult, type OwnershipJournalDeps } from './ownership-journal.ts';
export { StateStandby, type StandbyState, type StateStandbyDeps } from './state-standby.ts';
export { ChangelogAccumulator } from './changelog-accumulator.ts';
export { layoutOf, partitionLayout, type PartitionLayout, type PartitionMetadataSource } from './partition-layout.ts';
export { DEFAULT_FILL_GAP_MS, receiveBatch, type BatchFill, type BatchSource } from './batch-receive.ts';
export { priorityFirst, type LaneInput } from './lane-source.ts';
export { namespacePiiTokenizer, namespaceSubjectFields, piiPropertyKey, subjectPropertyKey } from './namespace-pii.ts';
export { eraseSubject, exportSubject, openDeadLetters, type ErasureReceipt, type GdprTarget, type SubjectExport } from './gdpr.ts';
export { openSubjectVault, SubjectVault, type SubjectKeys, type SubjectKeysView, type SubjectVaultOptions } from './subject-vault.ts';
export { refuseSecondReplica, startWorker, WORKER_CLIENT_OPTIONS, type RunningWorker, type StartWorkerOptions } from './start-worker.ts';
export { NamespaceWorker, type NamespaceWorkerDeps, type OutputEncoder, type WorkerHandler, type WorkerState } from './namespace-worker.ts';
export { ACTION_SCHEMA, PREDICTION_SCHEMA, REVIEW_ITEM_SCHEMA } from './output-schemas.ts';
export {
  isReviewOutcome,
  ReviewDepth,
  decodeReviewPayload,
  tailReviewDepth,
  type ReviewDepthTail,
  type ReviewDepthTailOptions,
  type ReviewDepthTailState,
  type ReviewRecord,
} from './review-depth.ts';
export {
  ANALYST_ROLE_PROPERTY,
  REVIEW_AUDIT_SUBSCRIPTION,
  ReviewAuditor,
  type ReviewAuditorOptions,
  type ReviewAuditorState,
} from './review-audit.ts';
export { type DeadLetterContent, type DeadLetterReason, type DeadLetterRecord, type InputMessage, type OutputMessage } from './records.ts';
export { RUNTIME_ERROR_CODES } from './errors.ts';
export {
  COMMIT_OUTCOME_UNKNOWN,
  EXPIRES_AT_PROPERTY,
  MARKER_KEY_PREFIX,
  STATE_KEY_PREFIX,
  WINDOW_KEY_PREFIX,
  commitOutcomeOf,
  parseChangelogKey,
  splitChangelog,
  type ChangelogSnapshot,
  type WorkerIo,
} from './worker-io.ts';
export { InputGate, MAX_COMMITTED_IDS } from './input-gate.ts';
export { loadWorkerFile, type LoadedWorkerFile, type WorkerFile } from './worker-file.ts';
export { compileWorkerOptions, namespaceTopic, type ProcessingGuarantee, type WorkerConfig, type WorkerOptions } from './worker-options.ts';
export { compileFeatureExtractor, type FeatureExtractor, type FeatureHistoryEntry, type FeatureStep } from './feature-extractor.ts';
export {
  FeatureReplay,
  LABEL_SCHEMA,
  TRAINING_ERROR_CODES,
  checkEvaluationGate,
  checkWindow,
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
  type Label,
  type LabelWriter,
  type ScoredRow,
  type SlotQuality,
  type TableFormat,
  type TrainingRow,
  type TrainingSet,
  type TrainingSetOptions,
} from './training/index.ts';
