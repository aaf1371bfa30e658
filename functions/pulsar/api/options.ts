/** Options -> validated, frozen configs with defaults. */
import { ConfigError } from '../../errors.ts';
import type { CompressionName } from '../wire/index.ts';
import { MessageId } from '../wire/index.ts';
import type { Schema, SchemaInfo } from '../schema/index.ts';

export type TokenSource = string | (() => string | Promise<string>);

export interface TlsOptions {
  /** PEM CA bundle(s) to trust. @default Node's default CAs */
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  /** @default true */
  rejectUnauthorized?: boolean;
  /** Check the broker's host name against its certificate. @default true */
  verifyHostname?: boolean;
}

export type KeyHashing = 'java-string' | 'murmur3' | 'boost';

/** What the `schema` option accepts: a codec from functions/pulsar/schema, or its SchemaInfo. */
export type SchemaOption = Schema<unknown> | SchemaInfo;

export function schemaInfoOf(s: SchemaOption | undefined): SchemaInfo | undefined {
  if (s === undefined) return undefined;
  return 'info' in s ? s.info : s;
}

function int(field: string, v: unknown, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(field, v, `use an integer between ${min} and ${max}`);
  }
  return v;
}

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(field, v, `use one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function bool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(field, v, 'use true or false');
  return v;
}

function str(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(field, v, 'use a non-empty string');
  return v;
}

export interface ClientOptions {
  /** `pulsar://host:6650` or `pulsar+ssl://host:6651` (several hosts comma-separated). */
  serviceUrl: string;
  /** JWT (or a function returning one, asked again on each AUTH_CHALLENGE). @default none */
  token?: TokenSource;
  /** TLS settings for pulsar+ssl://. @default Node defaults */
  tls?: TlsOptions;
  /** Timeout of lookups, subscribe, create producer and other requests. @default 30000 */
  operationTimeoutMs?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** PING after this long without traffic; close after two intervals. @default 30000 */
  keepAliveIntervalMs?: number;
  /** First reconnect delay. @default 100 */
  initialBackoffMs?: number;
  /** Longest reconnect delay. @default 30000 */
  maxBackoffMs?: number;
  /**
   * A random 0..reconnectSpreadMs added to a producer's or consumer's first reconnect delay. A
   * broker that closes several topics of one namespace at once (a restart, a failed transaction
   * buffer recovery) sees their clients come back at once, and Pulsar 4.0's transaction buffers
   * of one namespace share one snapshot reader whose concurrent use can stall a recovery until the
   * broker's internal operation timeout, after which it closes the topics again: in a loop for
   * as long as they keep coming back together. Spread apart, each recovery finds the reader free.
   * @default 0
   */
  reconnectSpreadMs?: number;
}

export type ClientConfig = Readonly<Required<Omit<ClientOptions, 'token' | 'tls'>> & Pick<ClientOptions, 'token' | 'tls'>>;

export function compileClientOptions(o: ClientOptions): ClientConfig {
  return Object.freeze({
    serviceUrl: str('serviceUrl', o.serviceUrl),
    token: o.token,
    tls: o.tls,
    operationTimeoutMs: int('operationTimeoutMs', o.operationTimeoutMs, 30_000, 1),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, 10_000, 1),
    keepAliveIntervalMs: int('keepAliveIntervalMs', o.keepAliveIntervalMs, 30_000, 0),
    initialBackoffMs: int('initialBackoffMs', o.initialBackoffMs, 100, 1),
    maxBackoffMs: int('maxBackoffMs', o.maxBackoffMs, 30_000, 1),
    reconnectSpreadMs: int('reconnectSpreadMs', o.reconnectSpreadMs, 0, 0),
  });
}

export type AccessMode = 'Shared' | 'Exclusive' | 'WaitForExclusive' | 'ExclusiveWithFencing';
export type RoutingMode = 'RoundRobin' | 'Single';
export type BatchingType = 'default' | 'key-based';

export interface ProducerOptions {
  topic: string;
  /** Producer name (needed for broker de-duplication across restarts). @default broker-assigned */
  name?: string;
  /** Fail a send not acknowledged within this time; 0 disables. @default 30000 */
  sendTimeoutMs?: number;
  /** Messages in flight before send() waits for room. @default 1000 */
  maxPendingMessages?: number;
  /** @default true */
  batching?: boolean;
  /** @default 1000 */
  batchingMaxMessages?: number;
  /** @default 131072 */
  batchingMaxBytes?: number;
  /** @default 10 */
  batchingMaxDelayMs?: number;
  /** 'key-based' keeps one key per batch (use with Key_Shared consumers). @default 'default' */
  batchingType?: BatchingType;
  /** @default 'none' */
  compression?: CompressionName;
  /** @default 'Shared' */
  accessMode?: AccessMode;
  /** Routing of keyless messages on partitioned topics. @default 'RoundRobin' */
  routingMode?: RoutingMode;
  /**
   * Key hash for partition routing: 'java-string' (the Java client's default), 'murmur3', or
   * 'boost' (the C++ and Python clients' default). Producers of one key in different client
   * families keep per-key order only when they use the same hash. @default 'java-string'
   */
  hashingScheme?: KeyHashing;
  /** Producer metadata sent to the broker. @default {} */
  properties?: Readonly<Record<string, string>>;
  /** First sequence id when the broker knows none. @default 0 */
  initialSequenceId?: number;
  /** Split payloads larger than the broker's max message size into chunks. @default false */
  chunking?: boolean;
  /**
   * With `chunking`, the largest chunk payload in bytes (the Java client's chunkMaxMessageSize);
   * payloads above it are chunked. Capped by what the broker's max message size leaves room for;
   * 0 means that cap. @default 0
   */
  chunkMaxMessageBytes?: number;
  /** Schema declared to the broker in PRODUCER (a codec or its SchemaInfo). @default none (bytes) */
  schema?: SchemaOption;
  /**
   * How often a producer of a partitioned topic re-reads its partition count, to start producing
   * to partitions added meanwhile (round-robin and key routing then use the new count); 0 disables.
   * @default 60000
   */
  partitionsAutoUpdateIntervalMs?: number;
}

export type ProducerConfig = Readonly<
  Required<Omit<ProducerOptions, 'name' | 'schema'>> & { name: string | undefined; schema: SchemaInfo | undefined }
>;

export function compileProducerOptions(o: ProducerOptions): ProducerConfig {
  return Object.freeze({
    topic: str('topic', o.topic),
    name: o.name === undefined ? undefined : str('name', o.name),
    sendTimeoutMs: int('sendTimeoutMs', o.sendTimeoutMs, 30_000, 0),
    maxPendingMessages: int('maxPendingMessages', o.maxPendingMessages, 1000, 1),
    batching: o.batching ?? true,
    batchingMaxMessages: int('batchingMaxMessages', o.batchingMaxMessages, 1000, 1),
    batchingMaxBytes: int('batchingMaxBytes', o.batchingMaxBytes, 128 * 1024, 1),
    batchingMaxDelayMs: int('batchingMaxDelayMs', o.batchingMaxDelayMs, 10, 0),
    batchingType: oneOf('batchingType', o.batchingType, ['default', 'key-based'], 'default'),
    compression: oneOf('compression', o.compression, ['none', 'lz4', 'zlib', 'zstd', 'snappy'], 'none'),
    accessMode: oneOf('accessMode', o.accessMode, ['Shared', 'Exclusive', 'WaitForExclusive', 'ExclusiveWithFencing'], 'Shared'),
    routingMode: oneOf('routingMode', o.routingMode, ['RoundRobin', 'Single'], 'RoundRobin'),
    hashingScheme: oneOf('hashingScheme', o.hashingScheme, ['java-string', 'murmur3', 'boost'], 'java-string'),
    properties: Object.freeze({ ...(o.properties ?? {}) }),
    initialSequenceId: int('initialSequenceId', o.initialSequenceId, 0, 0),
    chunking: o.chunking ?? false,
    chunkMaxMessageBytes: int('chunkMaxMessageBytes', o.chunkMaxMessageBytes, 0, 0),
    schema: schemaInfoOf(o.schema),
    partitionsAutoUpdateIntervalMs: int('partitionsAutoUpdateIntervalMs', o.partitionsAutoUpdateIntervalMs, 60_000, 0),
  });
}

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';
export type InitialPositionName = 'Latest' | 'Earliest';

export interface DeadLetterPolicy {
  /** Deliveries after the first before a message goes to the dead-letter topic. */
  maxRedeliverCount: number;
  /** @default `<topic>-<subscription>-DLQ` */
  deadLetterTopic?: string;
}

export interface ConsumerOptions {
  /** One topic, several, or a regex over one namespace (`persistent://t/ns/prefix-.*`). */
  topic?: string;
  topics?: readonly string[];
  topicsPattern?: string;
  subscription: string;
  /** @default 'Exclusive' */
  subscriptionType?: SubscriptionType;
  /** Where a NEW subscription starts. @default 'Latest' */
  initialPosition?: InitialPositionName;
  /** Messages prefetched per partition. @default 1000 */
  receiverQueueSize?: number;
  /**
   * Subscribe paused: the broker gets no FLOW permits, so reads nothing for this consumer, until
   * `resume()`. A Failover owner that must rewind before its first read (the partitioned worker)
   * needs it: a rewind that crosses a broker read in flight gets entries out of order.
   * @default false
   */
  startPaused?: boolean;
  /** @default random */
  consumerName?: string;
  /** Redeliver messages not acknowledged within this time; 0 disables. @default 0 */
  ackTimeoutMs?: number;
  /** Delay before a negatively acknowledged message is redelivered. @default 60000 */
  negativeAckRedeliveryDelayMs?: number;
  deadLetterPolicy?: DeadLetterPolicy;
  /**
   * Send batch-index acks (ack_set) for partly acknowledged batches, so a redelivery after a
   * reconnect, restart or close brings back only the unacknowledged members. On by default,
   * unlike the Java client: Beamline's brokers set acknowledgmentAtBatchIndexLevelEnabled=true,
   * and a broker without it ignores partial ack_sets (the entry is still acked once every member
   * is, exactly as with false), so the only cost is one bitset per partly acked entry per flush.
   * @default true
   */
  batchIndexAckEnabled?: boolean;
  /** @default false */
  readCompacted?: boolean;
  /** @default 0 */
  priorityLevel?: number;
  /**
   * How often a regex subscription re-lists its namespace. Brokers that support topic list
   * watchers (PIP-145) announce new and deleted topics at once; the re-list is then a safety net.
   * @default 60000
   */
  patternAutoDiscoveryPeriodMs?: number;
  /** @default false */
  replicateSubscriptionState?: boolean;
  /** Schema declared to the broker in SUBSCRIBE (a codec or its SchemaInfo). @default none (bytes) */
  schema?: SchemaOption;
  /** Chunked messages assembled at once; past it the oldest incomplete one is dropped. @default 100 */
  maxPendingChunkedMessages?: number;
  /** An incomplete chunked message older than this is discarded (its chunks acked). @default 60000 */
  expireTimeOfIncompleteChunkedMessageMs?: number;
  /**
   * How often partitioned topics' partition counts are re-read, to subscribe partitions added
   * meanwhile (from their earliest message, so nothing produced there before is missed); 0 disables.
   * @default 60000
   */
  partitionsAutoUpdateIntervalMs?: number;
  /**
   * Failover subscriptions: called when the broker makes this consumer the active one for a
   * topic or partition, or stops doing so (ACTIVE_CONSUMER_CHANGE). A lost connection reports
   * `active: false` at once: activity belongs to a connection, and the broker tells the
   * resubscribed consumer anew. Messages still queued for a partition that became inactive are
   * dropped (the broker sends them to the new active consumer). @default none
   */
  onActiveChange?: (change: ActiveConsumerChange) => void;
}

/** One ACTIVE_CONSUMER_CHANGE, per topic or partition. */
export interface ActiveConsumerChange {
  readonly topic: string;
  /** The partition index when subscribed through the partitioned topic, else -1. */
  readonly partition: number;
  readonly active: boolean;
}

export interface ConsumerConfig {
  readonly topics: readonly string[];
  readonly topicsPattern: RegExp | undefined;
  readonly patternNamespace: string | undefined;
  /** The pattern as the broker's topic list watcher takes it: `persistent://tenant/ns/regex`. */
  readonly patternSource: string | undefined;
  readonly subscription: string;
  readonly subscriptionType: SubscriptionType;
  readonly initialPosition: InitialPositionName;
  readonly receiverQueueSize: number;
  readonly startPaused: boolean;
  readonly consumerName: string;
  readonly ackTimeoutMs: number;
  readonly negativeAckRedeliveryDelayMs: number;
  readonly deadLetterPolicy: Readonly<Required<DeadLetterPolicy>> | undefined;
  readonly batchIndexAckEnabled: boolean;
  readonly readCompacted: boolean;
  readonly priorityLevel: number;
  readonly patternAutoDiscoveryPeriodMs: number;
  readonly replicateSubscriptionState: boolean;
  readonly schema: SchemaInfo | undefined;
  readonly maxPendingChunkedMessages: number;
  readonly expireTimeOfIncompleteChunkedMessageMs: number;
  readonly partitionsAutoUpdateIntervalMs: number;
  readonly onActiveChange: ((change: ActiveConsumerChange) => void) | undefined;
  /** Reader only: non-durable cursor starting here. */
  readonly durable: boolean;
  readonly startMessageId: MessageId | undefined;
  readonly startMessageIdInclusive: boolean;
  /** Reader only: the broker rewinds a new cursor this many seconds by its clock (0: no rewind). */
  readonly startRollbackDurationSec: number;
}

export function compileConsumerOptions(o: ConsumerOptions): ConsumerConfig {
  const topics = [...(o.topics ?? []), ...(o.topic !== undefined ? [o.topic] : [])];
  let topicsPattern: RegExp | undefined;
  let patternNamespace: string | undefined;
  let patternSource: string | undefined;
  if (o.topicsPattern !== undefined) {
    const m = /^(persistent:\/\/)?([^/]+)\/([^/]+)\/(.+)$/.exec(o.topicsPattern);
    if (m === null) throw new ConfigError('topicsPattern', o.topicsPattern, 'use [persistent://]tenant/namespace/regex');
    patternNamespace = `${m[2]}/${m[3]}`;
    patternSource = `persistent://${m[2]}/${m[3]}/${m[4]}`;
    try {
      topicsPattern = new RegExp(`^persistent://${m[2]}/${m[3]}/${m[4]}$`);
    } catch (cause) {
      throw new ConfigError('topicsPattern', o.topicsPattern, 'use a valid regular expression', { cause });
    }
  }
  if (topics.length === 0 && topicsPattern === undefined) {
    throw new ConfigError('topic', undefined, 'give topic, topics or topicsPattern');
  }
  const type = oneOf('subscriptionType', o.subscriptionType, ['Exclusive', 'Shared', 'Failover', 'Key_Shared'], 'Exclusive');
  const subscription = str('subscription', o.subscription);
  let dlq: Readonly<Required<DeadLetterPolicy>> | undefined;
  if (o.deadLetterPolicy !== undefined) {
    const max = int('deadLetterPolicy.maxRedeliverCount', o.deadLetterPolicy.maxRedeliverCount, 0, 1);
    dlq = Object.freeze({ maxRedeliverCount: max, deadLetterTopic: o.deadLetterPolicy.deadLetterTopic ?? '' });
  }
  return Object.freeze({
    topics,
    topicsPattern,
    patternNamespace,
    patternSource,
    subscription,
    subscriptionType: type,
    initialPosition: oneOf('initialPosition', o.initialPosition, ['Latest', 'Earliest'], 'Latest'),
    receiverQueueSize: int('receiverQueueSize', o.receiverQueueSize, 1000, 1),
    startPaused: bool('startPaused', o.startPaused, false),
    consumerName: o.consumerName ?? `beamline-${Math.random().toString(36).slice(2, 10)}`,
    ackTimeoutMs: int('ackTimeoutMs', o.ackTimeoutMs, 0, 0),
    negativeAckRedeliveryDelayMs: int('negativeAckRedeliveryDelayMs', o.negativeAckRedeliveryDelayMs, 60_000, 0),
    deadLetterPolicy: dlq,
    batchIndexAckEnabled: o.batchIndexAckEnabled ?? true,
    readCompacted: o.readCompacted ?? false,
    priorityLevel: int('priorityLevel', o.priorityLevel, 0, 0),
    patternAutoDiscoveryPeriodMs: int('patternAutoDiscoveryPeriodMs', o.patternAutoDiscoveryPeriodMs, 60_000, 1),
    replicateSubscriptionState: o.replicateSubscriptionState ?? false,
    schema: schemaInfoOf(o.schema),
    maxPendingChunkedMessages: int('maxPendingChunkedMessages', o.maxPendingChunkedMessages, 100, 1),
    expireTimeOfIncompleteChunkedMessageMs: int(
      'expireTimeOfIncompleteChunkedMessageMs',
      o.expireTimeOfIncompleteChunkedMessageMs,
      60_000,
      0,
    ),
    partitionsAutoUpdateIntervalMs: int('partitionsAutoUpdateIntervalMs', o.partitionsAutoUpdateIntervalMs, 60_000, 0),
    onActiveChange: o.onActiveChange,
    durable: true,
    startMessageId: undefined,
    startMessageIdInclusive: false,
    startRollbackDurationSec: 0,
  });
}

export interface ReaderOptions {
  topic: string;
  /** 'earliest', 'latest', or an exact id to start from. @default 'latest' */
  startMessageId?: 'earliest' | 'latest' | MessageId;
  /** Include the start message itself. @default false */
  startMessageIdInclusive?: boolean;
  /** Start at the first message published at or after this time (SEEK by time after subscribing). */
  startPublishTimeMs?: number;
  /**
   * Start at the first message published within this long before the broker's now, rounded up
   * to whole seconds (SUBSCRIBE start_message_rollback_duration_sec; Java's
   * startMessageFromRollbackDuration). Unlike startPublishTimeMs it costs no SEEK, and with it no
   * reconnect. Leave startMessageId at 'earliest' (the rewind moves a cursor opened there).
   * @default none
   */
  startRollbackDurationMs?: number;
  /** @default false */
  readCompacted?: boolean;
  /** @default 1000 */
  receiverQueueSize?: number;
  /** @default random `reader-...` */
  subscriptionName?: string;
  /** Schema declared to the broker in SUBSCRIBE. @default none (bytes) */
  schema?: SchemaOption;
  /** How often partition counts are re-read; added partitions are read from their start. 0 disables. @default 60000 */
  partitionsAutoUpdateIntervalMs?: number;
}

export function compileReaderOptions(o: ReaderOptions): ConsumerConfig & { readonly startPublishTimeMs: number | undefined } {
  const start = o.startMessageId ?? 'latest';
  const startId = start === 'earliest' ? MessageId.earliest : start === 'latest' ? MessageId.latest : start;
  if (!(startId instanceof MessageId)) throw new ConfigError('startMessageId', start, "use 'earliest', 'latest' or a MessageId");
  const base = compileConsumerOptions({
    topic: o.topic,
    subscription: o.subscriptionName ?? `reader-${Math.random().toString(36).slice(2, 12)}`,
    subscriptionType: 'Exclusive',
    receiverQueueSize: o.receiverQueueSize,
    readCompacted: o.readCompacted,
    schema: o.schema,
    partitionsAutoUpdateIntervalMs: o.partitionsAutoUpdateIntervalMs,
  });
  return Object.freeze({
    ...base,
    durable: false,
    startMessageId: startId,
    startMessageIdInclusive: o.startMessageIdInclusive ?? false,
    startPublishTimeMs: o.startPublishTimeMs === undefined ? undefined : int('startPublishTimeMs', o.startPublishTimeMs, 0, 0),
    startRollbackDurationSec: Math.ceil(int('startRollbackDurationMs', o.startRollbackDurationMs, 0, 0) / 1000),
  });
}
