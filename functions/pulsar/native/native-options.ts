/**
 * Our options, compiled and validated by the same compileXxxOptions() the wire client uses, then
 * translated into the addon's config objects. An option the addon cannot honour is refused with
 * the option's name and the fix rather than silently dropped: a user switching implementation
 * must not lose a setting without knowing.
 */
import { ConfigError } from '../../errors.ts';
import {
  compileConsumerOptions,
  compileProducerOptions,
  compileReaderOptions,
  unsupportedFeatureError,
  type ClientOptions,
  type ConsumerConfig,
  type ConsumerOptions,
  type ProducerOptions,
  type ReaderOptions,
} from '../api/index.ts';
import type { SchemaInfo, SchemaTypeName } from '../schema/index.ts';
import type { NativeModule } from './native-module.ts';

/** The C++ client refuses ack timeouts below this (it would redeliver faster than it tracks). */
export const NATIVE_MIN_ACK_TIMEOUT_MS = 10_000;

const COMPRESSION = { none: 'None', lz4: 'LZ4', zlib: 'Zlib', zstd: 'ZSTD', snappy: 'SNAPPY' } as const;
const SUBSCRIPTION = { Exclusive: 'Exclusive', Shared: 'Shared', Failover: 'Failover', Key_Shared: 'KeyShared' } as const;
const SCHEMA_TYPE: Partial<Record<SchemaTypeName, string>> = {
  NONE: 'None',
  STRING: 'String',
  JSON: 'Json',
  PROTOBUF: 'Protobuf',
  AVRO: 'Avro',
  BOOLEAN: 'Boolean',
  INT8: 'Int8',
  INT16: 'Int16',
  INT32: 'Int32',
  INT64: 'Int64',
  FLOAT: 'Float32',
  DOUBLE: 'Float64',
  PROTOBUF_NATIVE: 'ProtobufNative',
  AUTO_CONSUME: 'AutoConsume',
};

export interface NativeClientExtras {
  /** A CA file for the addon (it reads files, not PEM strings). Set by the adapter from `tls.ca`. */
  tlsTrustCertsFilePath?: string;
}

export function nativeClientConfig(o: ClientOptions, mod: NativeModule, extras: NativeClientExtras): Record<string, unknown> {
  const cfg: Record<string, unknown> = { serviceUrl: o.serviceUrl };
  if (o.token !== undefined) cfg.authentication = new mod.AuthenticationToken({ token: o.token });
  if (o.operationTimeoutMs !== undefined) cfg.operationTimeoutSeconds = Math.max(1, Math.ceil(o.operationTimeoutMs / 1000));
  if (o.connectTimeoutMs !== undefined) cfg.connectionTimeoutMs = o.connectTimeoutMs;
  for (const field of ['keepAliveIntervalMs', 'initialBackoffMs', 'maxBackoffMs'] as const) {
    if (o[field] !== undefined)
      throw unsupportedOption(`client.${field}`, 'the native addon does not expose it; leave it unset (the C++ defaults apply)');
  }
  if (o.tls !== undefined) {
    if (o.tls.cert !== undefined || o.tls.key !== undefined) {
      throw unsupportedOption(
        'client.tls.cert/key',
        "client certificates are not wired into the native adapter; use token auth or implementation: 'beamline'",
      );
    }
    if (extras.tlsTrustCertsFilePath !== undefined) cfg.tlsTrustCertsFilePath = extras.tlsTrustCertsFilePath;
    if (o.tls.verifyHostname !== undefined) cfg.tlsValidateHostname = o.tls.verifyHostname;
    if (o.tls.rejectUnauthorized === false) cfg.tlsAllowInsecureConnection = true;
  }
  return cfg;
}

/** The C++ client re-checks partitions on its own schedule (60 s); the addon does not expose it. */
function refusePartitionInterval(kind: string, o: { partitionsAutoUpdateIntervalMs?: number }): void {
  if (o.partitionsAutoUpdateIntervalMs !== undefined) {
    throw unsupportedOption(
      `${kind}.partitionsAutoUpdateIntervalMs`,
      'the native addon does not expose it (it re-checks partitions every 60 s); leave it unset',
    );
  }
}

export function nativeProducerConfig(o: ProducerOptions): Record<string, unknown> {
  const c = compileProducerOptions(o);
  refusePartitionInterval('producer', o);
  const cfg: Record<string, unknown> = {
    topic: c.topic,
    sendTimeoutMs: c.sendTimeoutMs,
    maxPendingMessages: c.maxPendingMessages,
    // Ours waits for room when the queue is full; the addon's default is to fail the send.
    blockIfQueueFull: true,
    batchingEnabled: c.batching,
    batchingMaxMessages: c.batchingMaxMessages,
    batchingMaxAllowedSizeInBytes: c.batchingMaxBytes,
    batchingMaxPublishDelayMs: c.batchingMaxDelayMs,
    batchingType: c.batchingType === 'key-based' ? 'KeyBasedBatching' : 'DefaultBatching',
    compressionType: COMPRESSION[c.compression],
    accessMode: c.accessMode,
    messageRoutingMode: c.routingMode === 'Single' ? 'UseSinglePartition' : 'RoundRobinDistribution',
    hashingScheme: c.hashingScheme === 'murmur3' ? 'Murmur3_32Hash' : c.hashingScheme === 'boost' ? 'BoostHash' : 'JavaStringHash',
    properties: { ...c.properties },
    chunkingEnabled: c.chunking,
  };
  if (c.name !== undefined) cfg.producerName = c.name;
  if (c.initialSequenceId > 0) cfg.initialSequenceId = c.initialSequenceId;
  if (c.schema !== undefined) cfg.schema = nativeSchema('producer.schema', c.schema);
  return cfg;
}

/** The addon's consumer config, and our compiled one (the adapter needs its subscription type). */
export function nativeConsumerConfig(o: ConsumerOptions): { config: Record<string, unknown>; compiled: ConsumerConfig } {
  const c = compileConsumerOptions(o);
  refusePartitionInterval('consumer', o);
  if (c.ackTimeoutMs > 0 && c.ackTimeoutMs < NATIVE_MIN_ACK_TIMEOUT_MS) {
    throw new ConfigError('ackTimeoutMs', c.ackTimeoutMs, `the native client accepts 0 (off) or at least ${NATIVE_MIN_ACK_TIMEOUT_MS}`);
  }
  if (c.startPaused)
    throw unsupportedOption(
      'consumer.startPaused',
      'the native addon prefetches from subscribe on; leave it unset and pause() after subscribing',
    );
  if (c.priorityLevel !== 0) throw unsupportedOption('consumer.priorityLevel', 'the native addon does not expose it; leave it 0');
  if (o.patternAutoDiscoveryPeriodMs !== undefined)
    throw unsupportedOption('consumer.patternAutoDiscoveryPeriodMs', 'the native addon does not expose it (its period is 60 s)');
  if (o.expireTimeOfIncompleteChunkedMessageMs !== undefined) {
    throw unsupportedOption('consumer.expireTimeOfIncompleteChunkedMessageMs', 'the native addon does not expose it (its expiry is 60 s)');
  }
  const cfg: Record<string, unknown> = {
    subscription: c.subscription,
    subscriptionType: SUBSCRIPTION[c.subscriptionType],
    subscriptionInitialPosition: c.initialPosition,
    receiverQueueSize: c.receiverQueueSize,
    consumerName: c.consumerName,
    ackTimeoutMs: c.ackTimeoutMs,
    nAckRedeliverTimeoutMs: c.negativeAckRedeliveryDelayMs,
    batchIndexAckEnabled: c.batchIndexAckEnabled,
    readCompacted: c.readCompacted,
    replicateSubscriptionState: c.replicateSubscriptionState,
    maxPendingChunkedMessage: c.maxPendingChunkedMessages,
  };
  if (o.topicsPattern !== undefined) cfg.topicsPattern = o.topicsPattern;
  else if (c.topics.length === 1) cfg.topic = c.topics[0];
  else cfg.topics = [...c.topics];
  if (c.deadLetterPolicy !== undefined) {
    const dlq: Record<string, unknown> = { maxRedeliverCount: c.deadLetterPolicy.maxRedeliverCount };
    // Empty means the client's default name, `<topic>-<subscription>-DLQ`, in both clients.
    if (c.deadLetterPolicy.deadLetterTopic !== '') dlq.deadLetterTopic = c.deadLetterPolicy.deadLetterTopic;
    cfg.deadLetterPolicy = dlq;
  }
  if (c.schema !== undefined) cfg.schema = nativeSchema('consumer.schema', c.schema);
  return { config: cfg, compiled: c };
}

/** The reader config minus `startMessageId`, which the adapter converts (it needs the module). */
export function nativeReaderConfig(o: ReaderOptions): { config: Record<string, unknown>; start: ReturnType<typeof compileReaderOptions> } {
  const c = compileReaderOptions(o);
  refusePartitionInterval('reader', o);
  if (c.startMessageIdInclusive)
    throw unsupportedOption(
      'reader.startMessageIdInclusive',
      'the native addon has no inclusive start; start one message earlier or use startPublishTimeMs',
    );
  if (c.schema !== undefined)
    throw unsupportedOption('reader.schema', 'the native addon takes no schema on readers; read bytes and decode with the schema codec');
  const config: Record<string, unknown> = {
    topic: o.topic,
    receiverQueueSize: c.receiverQueueSize,
    readCompacted: c.readCompacted,
  };
  // The addon names reader subscriptions itself; the closest it offers is their prefix.
  if (o.subscriptionName !== undefined) config.subscriptionRolePrefix = o.subscriptionName;
  return { config, start: c };
}

function nativeSchema(field: string, s: SchemaInfo): Record<string, unknown> {
  const type = SCHEMA_TYPE[s.type];
  if (type === undefined) throw unsupportedOption(field, `schema type ${s.type} has no native mapping; use implementation: 'beamline'`);
  return { schemaType: type, name: s.name, schema: s.data.toString('utf8'), properties: { ...s.properties } };
}

function unsupportedOption(option: string, fix: string): Error {
  return unsupportedFeatureError('native', `the option ${option}`, fix);
}
