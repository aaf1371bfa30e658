/** `beamline actions`: the action consumer and its webhook sinks (retries, idempotency keys, breakers). */
export { ActionConsumer, type ActionConsumerOptions, type ActionConsumerState, type ActionStats } from './action-consumer.ts';
export {
  WebhookSink,
  compileWebhookSinkOptions,
  type FetchFn,
  type SinkOutcome,
  type SinkStats,
  type WebhookSinkConfig,
  type WebhookSinkDeps,
  type WebhookSinkOptions,
} from './webhook-sink.ts';
export { SINKS_ERROR_CODES } from './errors.ts';
