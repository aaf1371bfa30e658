/** The bridge's options, compiled once into frozen configs (bad values fail with the fix). */
import { ConfigError } from '../functions/index.ts';
import { parseNamespaceTopic, parsePubsubTopicName, parseSubscriptionName, type NamespaceTopic, type PubsubName } from './names.ts';

function int(field: string, value: number | undefined, dflt: number, min: number): number {
  const v = value ?? dflt;
  if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(field, value, `use a whole number >= ${min}`);
  return v;
}

export interface PubsubSourceOptions {
  /** projects/P/subscriptions/S */
  subscription: string;
  /** T/NS/events (the namespace's events topic, or another topic of it). */
  to: string;
  /** Fixed producer name, the key of broker de-duplication. @default `beamline-bridge-<project>-<subscription>` */
  producerName?: string;
  /** Flow control: Pub/Sub messages held unacked at once (also the producer's pending limit). @default 1000 */
  maxMessages?: number;
  /** Flow control: bytes of Pub/Sub data held unacked at once. @default 67108864 (64 MiB) */
  maxBytes?: number;
  /**
   * Streaming-pull connections. Order per key does not depend on it: Pub/Sub (and pstest) keep
   * one message per ordering key outstanding. pstest hands each stream about one message per
   * 10 ms, so against the fake this bounds throughput. @default 5
   */
  streams?: number;
  /** Attributes (keys + values, UTF-8) above this go to the dead-letter topic. @default 16384 */
  maxAttributeBytes?: number;
  /** A message without an ordering key goes to the dead-letter topic. @default true */
  requireOrderingKey?: boolean;
  /** How far back the start reads the bridge's own messages to recognise redeliveries. @default 900000 (15 min) */
  recoveryWindowMs?: number;
  /**
   * At start, how long the read-back waits for a killed predecessor's last sends (counted by the
   * broker, not yet persisted) to appear before the start fails (retriable). @default 30000
   */
  recoverySettleMs?: number;
  /** Pub/Sub ids remembered as persisted (oldest forgotten first). @default 500000 */
  maxTrackedIds?: number;
  /** Turn broker de-duplication on for the topic at start (needs the tenant's admin rights). @default true */
  enableDeduplication?: boolean;
  /** @default 5 */
  batchingMaxDelayMs?: number;
  /** A Pulsar send not persisted in this time stops the source. @default 30000 */
  sendTimeoutMs?: number;
}

export type PubsubSourceConfig = Readonly<{
  subscription: PubsubName;
  to: NamespaceTopic;
  producerName: string;
  maxMessages: number;
  maxBytes: number;
  streams: number;
  maxAttributeBytes: number;
  requireOrderingKey: boolean;
  recoveryWindowMs: number;
  recoverySettleMs: number;
  maxTrackedIds: number;
  enableDeduplication: boolean;
  batchingMaxDelayMs: number;
  sendTimeoutMs: number;
}>;

export function compilePubsubSourceOptions(o: PubsubSourceOptions): PubsubSourceConfig {
  const subscription = parseSubscriptionName('subscription', o.subscription);
  const maxMessages = int('maxMessages', o.maxMessages, 1000, 1);
  const maxTrackedIds = int('maxTrackedIds', o.maxTrackedIds, 500_000, 1);
  if (maxTrackedIds < maxMessages)
    throw new ConfigError(
      'maxTrackedIds',
      maxTrackedIds,
      `use at least maxMessages (${maxMessages}): every message in flight at a crash must be remembered`,
    );
  return Object.freeze({
    subscription,
    to: parseNamespaceTopic('to', o.to),
    producerName: o.producerName ?? `beamline-bridge-${subscription.project}-${subscription.name}`,
    maxMessages,
    maxBytes: int('maxBytes', o.maxBytes, 64 * 1024 * 1024, 1024),
    streams: int('streams', o.streams, 5, 1),
    maxAttributeBytes: int('maxAttributeBytes', o.maxAttributeBytes, 16 * 1024, 0),
    requireOrderingKey: o.requireOrderingKey ?? true,
    recoveryWindowMs: int('recoveryWindowMs', o.recoveryWindowMs, 15 * 60_000, 0),
    recoverySettleMs: int('recoverySettleMs', o.recoverySettleMs, 30_000, 0),
    maxTrackedIds,
    enableDeduplication: o.enableDeduplication ?? true,
    batchingMaxDelayMs: int('batchingMaxDelayMs', o.batchingMaxDelayMs, 5, 0),
    sendTimeoutMs: int('sendTimeoutMs', o.sendTimeoutMs, 30_000, 0),
  });
}

export interface PubsubSinkOptions {
  /** T/NS/predictions (or actions, or any topic of the namespace). */
  from: string;
  /** projects/P/topics/X */
  topic: string;
  /** Pulsar subscription (Failover: one active sink, standbys take over). @default 'beamline-bridge-pubsub-sink' */
  subscription?: string;
  /** Publishes awaiting Pub/Sub at once. @default 1000 */
  maxInFlight?: number;
  /** A Pulsar message without a key goes to the dead-letter topic. @default true */
  requireOrderingKey?: boolean;
  /** 'json': decode Avro by the writer schema and publish JSON; 'raw': the payload bytes as-is. @default 'json' */
  format?: 'json' | 'raw';
  /** First wait before publishing again after Pub/Sub failed; doubles per failure. @default 200 */
  initialBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  /** A publish not accepted in this time counts as failed. @default 60000 */
  publishTimeoutMs?: number;
  /** Breaker: failure percentage that opens it. @default 50 */
  breakerErrorPercentage?: number;
  /** Breaker: calls in its window before it may open. @default 20 */
  breakerVolumeThreshold?: number;
  /** Breaker: how long it stays open before a trial publish. @default 10000 */
  breakerResetMs?: number;
  /**
   * Exactly once into Pub/Sub through the ledger subscription (sink.ts explains it); false: at
   * least once, duplicates recognisable by `beamline.idempotency_key` (dedupe.ts). @default true
   */
  ledger?: boolean;
  /**
   * The ledger subscription: a name in the topic's project, or projects/P/subscriptions/S. It
   * must persist across restarts; deleting it (or running with ledger false) resets it.
   * @default `<subscription>-<tenant>.<namespace>.<topic>-ledger` (characters Pub/Sub refuses become `_`)
   */
  ledgerSubscription?: string;
  /**
   * Idempotency keys remembered as already in Pub/Sub (oldest forgotten first): this run's
   * publishes and the ledger's copies, checked before each publish. At least maxInFlight.
   * @default 100000
   */
  maxLedgerIds?: number;
  /** The start fails (retriable) when the ledger is not read back within this. @default 120000 */
  ledgerRecoveryTimeoutMs?: number;
}

export type PubsubSinkConfig = Readonly<{
  from: NamespaceTopic;
  topic: PubsubName;
  subscription: string;
  maxInFlight: number;
  requireOrderingKey: boolean;
  format: 'json' | 'raw';
  initialBackoffMs: number;
  maxBackoffMs: number;
  publishTimeoutMs: number;
  breakerErrorPercentage: number;
  breakerVolumeThreshold: number;
  breakerResetMs: number;
  /** undefined with ledger: false. */
  ledger: PubsubName | undefined;
  maxLedgerIds: number;
  ledgerRecoveryTimeoutMs: number;
}>;

const PUBSUB_ID_CHARS = /[^A-Za-z0-9\-_.~+%]/g;

/** The default ledger subscription name: deterministic from the Pulsar side of the sink. */
export function defaultLedgerName(subscription: string, from: NamespaceTopic): string {
  return `${subscription}-${from.tenant}.${from.namespace}.${from.topic}-ledger`.replace(PUBSUB_ID_CHARS, '_');
}

export function compilePubsubSinkOptions(o: PubsubSinkOptions): PubsubSinkConfig {
  const format = o.format ?? 'json';
  if (format !== 'json' && format !== 'raw') throw new ConfigError('format', format, "use 'json' or 'raw'");
  const subscription = o.subscription ?? 'beamline-bridge-pubsub-sink';
  if (subscription === '') throw new ConfigError('subscription', subscription, 'use a non-empty Pulsar subscription name');
  const from = parseNamespaceTopic('from', o.from);
  const topic = parsePubsubTopicName('topic', o.topic);
  const maxInFlight = int('maxInFlight', o.maxInFlight, 1000, 1);
  const maxLedgerIds = int('maxLedgerIds', o.maxLedgerIds, 100_000, 1);
  if (maxLedgerIds < maxInFlight)
    throw new ConfigError(
      'maxLedgerIds',
      maxLedgerIds,
      `use at least maxInFlight (${maxInFlight}): every publish in flight must be remembered until its Pulsar ack is confirmed`,
    );
  let ledger: PubsubName | undefined;
  if (o.ledger !== false) {
    const name = o.ledgerSubscription ?? defaultLedgerName(subscription, from);
    ledger = name.startsWith('projects/')
      ? parseSubscriptionName('ledgerSubscription', name)
      : parseSubscriptionName('ledgerSubscription', `projects/${topic.project}/subscriptions/${name}`);
  } else if (o.ledgerSubscription !== undefined) {
    throw new ConfigError('ledgerSubscription', o.ledgerSubscription, 'drop it, or turn the ledger on (it names the ledger)');
  }
  return Object.freeze({
    from,
    topic,
    subscription,
    maxInFlight,
    requireOrderingKey: o.requireOrderingKey ?? true,
    format,
    initialBackoffMs: int('initialBackoffMs', o.initialBackoffMs, 200, 1),
    maxBackoffMs: int('maxBackoffMs', o.maxBackoffMs, 30_000, 1),
    publishTimeoutMs: int('publishTimeoutMs', o.publishTimeoutMs, 60_000, 1),
    breakerErrorPercentage: int('breakerErrorPercentage', o.breakerErrorPercentage, 50, 1),
    breakerVolumeThreshold: int('breakerVolumeThreshold', o.breakerVolumeThreshold, 20, 1),
    breakerResetMs: int('breakerResetMs', o.breakerResetMs, 10_000, 1),
    ledger,
    maxLedgerIds,
    ledgerRecoveryTimeoutMs: int('ledgerRecoveryTimeoutMs', o.ledgerRecoveryTimeoutMs, 120_000, 1),
  });
}
