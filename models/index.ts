/**
 * Models, review and actions for people (issue #9): what the `beamline model`, `beamline review`
 * and `beamline actions` commands use, on top of functions/ (through functions/index.ts).
 */
export {
  formatCompare,
  formatDescribe,
  formatList,
  openRegistrySession,
  parseValidationMetrics,
  progressPrinter,
  readValidationMetrics,
  renderProgress,
  slotsOf,
  type RegistrySession,
  type RegistrySessionOptions,
} from './registry/index.ts';
export {
  REVIEW_ERROR_CODES,
  ReviewQueue,
  decodeReviewPayload,
  type ReviewEntry,
  type ReviewItem,
  type ReviewOutcome,
  type ReviewQueueOptions,
  type ReviewStats,
  type ReviewStatus,
} from './review/index.ts';
export {
  ActionConsumer,
  WebhookSink,
  compileWebhookSinkOptions,
  type ActionConsumerOptions,
  type ActionConsumerState,
  type ActionStats,
  type FetchFn,
  type SinkOutcome,
  type SinkStats,
  type WebhookSinkConfig,
  type WebhookSinkOptions,
} from './actions/index.ts';
export { MODELS_ERROR_CODES, type ModelsErrorCode } from './errors.ts';
