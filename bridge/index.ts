/**
 * The Google Cloud Pub/Sub bridge (issue #24): a source from a Pub/Sub subscription into a
 * namespace's events topic, and a sink from a namespace topic out to a Pub/Sub topic. Built on
 * functions/ (through functions/index.ts) and `@google-cloud/pubsub`; the only folder that
 * imports the Pub/Sub client.
 */
export { BRIDGE_ERROR_CODES, BridgeError, type BridgeErrorCode } from './errors.ts';
export {
  DEAD_LETTER_ERROR_CODES,
  deadLetterMessage,
  deadLetterRecord,
  type BridgeDeadLetter,
  type BridgeDeadLetterReason,
} from './dead-letter.ts';
export { parseNamespaceTopic, parsePubsubTopicName, parseSubscriptionName, type NamespaceTopic, type PubsubName } from './names.ts';
export {
  compilePubsubSinkOptions,
  compilePubsubSourceOptions,
  defaultLedgerName,
  type PubsubSinkConfig,
  type PubsubSinkOptions,
  type PubsubSourceConfig,
  type PubsubSourceOptions,
} from './options.ts';
export { IDEMPOTENCY_KEY_ATTRIBUTE, PubsubDeduplicator, idempotencyKey, type PubsubDeduplicatorOptions } from './dedupe.ts';
export { openPubsub, type OpenPubsubOptions } from './pubsub-client.ts';
export { RecentIds } from './recent-ids.ts';
export { EVENT_TIME_ATTRIBUTE, PULSAR_ID_ATTRIBUTE, PULSAR_ID_BYTES_ATTRIBUTE, PULSAR_TOPIC_ATTRIBUTE } from './attributes.ts';
export { LEDGER_ACK_DEADLINE_SECONDS, PubsubLedger, type LedgerCopy, type SinkLedger } from './ledger.ts';
export { pubsubRefusal } from './pubsub-refusal.ts';
export { SinkLedgerKeeper, type SinkLedgerKeeperOptions, type SinkLedgerStats } from './sink-ledger.ts';
export { PubsubSink, type PubsubSinkDeps, type PubsubSinkState, type PubsubSinkStats } from './sink.ts';
export {
  PUBSUB_ID_PROPERTY,
  PUBSUB_PUBLISH_TIME_PROPERTY,
  PubsubSource,
  type PubsubSourceDeps,
  type PubsubSourceState,
  type PubsubSourceStats,
} from './source.ts';
