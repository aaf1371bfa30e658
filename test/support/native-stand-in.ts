/**
 * A stand-in for the native `pulsar-client` addon (1.x), for the contract tests on machines
 * where the addon cannot be installed (no prebuilt binary, no libpulsar). It is NOT the native
 * client: it implements the addon's documented JavaScript API (class and method names, config
 * keys and enum strings, `Failed to <op>: <Result>` rejections, synchronous reader.hasNext(),
 * MessageIdData serialization) on top of our own wire client, and it talks to the real broker.
 *
 * What it proves: the adapter in functions/pulsar/native translates options, messages, ids,
 * acks and errors into that API correctly and end to end. What it cannot prove: how the C++
 * client itself behaves; that needs the real addon (the contract file runs it too when
 * `pulsar-client` resolves).
 *
 * Strict on purpose: config keys and enum values the addon does not know throw here, where the
 * addon would silently ignore them; that turns a mistranslation into a failing test.
 */
import { readFileSync } from 'node:fs';
import { BeamlineError } from '../../functions/errors.ts';
import {
  createClient,
  MessageId,
  type Consumer,
  type ConsumerOptions,
  type Message,
  type OutgoingMessage,
  type Producer,
  type ProducerOptions,
  type PulsarClient,
  type Reader,
  type SubscriptionType,
  type TokenSource,
} from '@beamline/pulsar';
import type { SchemaInfo, SchemaTypeName } from '@beamline/pulsar';

/** BL_* code -> the C++ client's result name the addon puts at the end of its messages. */
const RESULT_OF: Record<string, string> = {
  BL_PULSAR_TIMEOUT: 'TimeOut',
  BL_PULSAR_ALREADY_CLOSED: 'AlreadyClosed',
  BL_PULSAR_AUTHENTICATION: 'AuthenticationError',
  BL_PULSAR_AUTHORIZATION: 'AuthorizationError',
  BL_PULSAR_CONNECT_FAILED: 'ConnectError',
  BL_PULSAR_TOPIC_NOT_FOUND: 'TopicNotFound',
  BL_PULSAR_CONSUMER_BUSY: 'ConsumerBusy',
  BL_PULSAR_PRODUCER_BUSY: 'ProducerBusy',
  BL_PULSAR_INCOMPATIBLE_SCHEMA: 'IncompatibleSchema',
  BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED: 'CumulativeAcknowledgementNotAllowedError',
};

function nativeError(op: string, err: unknown): Error {
  const result = err instanceof BeamlineError ? (RESULT_OF[err.code] ?? 'UnknownError') : 'UnknownError';
  return new Error(`Failed to ${op}: ${result}`);
}

async function call<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw nativeError(op, err);
  }
}

function strict(where: string, cfg: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(cfg)) if (!known.includes(k)) throw new Error(`stand-in: ${where} has no option '${k}'`);
}

function pick<T extends string>(where: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new Error(`stand-in: ${where} does not accept ${JSON.stringify(v)}`);
  return v as T;
}

export class StandInMessageId {
  readonly id: MessageId;
  constructor(id: MessageId) {
    this.id = id;
  }
  static earliest(): StandInMessageId {
    return new StandInMessageId(MessageId.earliest);
  }
  static latest(): StandInMessageId {
    return new StandInMessageId(MessageId.latest);
  }
  static deserialize(data: Buffer): StandInMessageId {
    return new StandInMessageId(MessageId.fromBytes(data));
  }
  serialize(): Buffer {
    return this.id.toBytes();
  }
  toString(): string {
    return `(${this.id.ledgerId},${this.id.entryId},${this.id.partition},${this.id.batchIndex})`;
  }
}

export class StandInMessage {
  readonly m: Message;
  constructor(m: Message) {
    this.m = m;
  }
  getTopicName(): string {
    return this.m.topic;
  }
  getProperties(): Record<string, string> {
    return { ...this.m.properties };
  }
  getData(): Buffer {
    return this.m.payload;
  }
  getMessageId(): StandInMessageId {
    return new StandInMessageId(this.m.id);
  }
  getPublishTimestamp(): number {
    return this.m.publishTimeMs;
  }
  getEventTimestamp(): number {
    return this.m.eventTimeMs ?? 0;
  }
  getRedeliveryCount(): number {
    return this.m.redeliveryCount;
  }
  getPartitionKey(): string {
    return this.m.key ?? '';
  }
  getOrderingKey(): string {
    return this.m.orderingKey?.toString('utf8') ?? '';
  }
  getProducerName(): string {
    return this.m.producerName;
  }
}

export class StandInAuthenticationToken {
  readonly token: TokenSource;
  constructor(params: { token: TokenSource }) {
    this.token = params.token;
  }
}

const SCHEMA_BACK: Record<string, SchemaTypeName> = {
  None: 'NONE',
  String: 'STRING',
  Json: 'JSON',
  Protobuf: 'PROTOBUF',
  Avro: 'AVRO',
  Boolean: 'BOOLEAN',
  Int8: 'INT8',
  Int16: 'INT16',
  Int32: 'INT32',
  Int64: 'INT64',
  Float32: 'FLOAT',
  Float64: 'DOUBLE',
  ProtobufNative: 'PROTOBUF_NATIVE',
  AutoConsume: 'AUTO_CONSUME',
};

function schemaBack(s: unknown): SchemaInfo | undefined {
  if (s === undefined) return undefined;
  const o = s as { schemaType: string; name?: string; schema?: string; properties?: Record<string, string> };
  const type = SCHEMA_BACK[o.schemaType];
  if (type === undefined) throw new Error(`stand-in: schemaType ${o.schemaType} unknown`);
  return { type, name: o.name ?? '', data: Buffer.from(o.schema ?? '', 'utf8'), properties: o.properties ?? {} };
}

class StandInProducer {
  readonly #p: Producer;
  constructor(p: Producer) {
    this.#p = p;
  }
  async send(m: Record<string, unknown>): Promise<StandInMessageId> {
    strict('ProducerMessage', m, ['data', 'properties', 'eventTimestamp', 'sequenceId', 'partitionKey', 'orderingKey', 'deliverAt']);
    if (!Buffer.isBuffer(m.data)) throw new Error('stand-in: data must be a Buffer');
    const out: OutgoingMessage = { payload: m.data };
    if (m.partitionKey !== undefined) out.key = m.partitionKey as string;
    if (m.orderingKey !== undefined) out.orderingKey = m.orderingKey as string;
    if (m.properties !== undefined) out.properties = m.properties as Record<string, string>;
    if (m.eventTimestamp !== undefined) out.eventTimeMs = m.eventTimestamp as number;
    if (m.sequenceId !== undefined) out.sequenceId = m.sequenceId as number;
    if (m.deliverAt !== undefined) out.deliverAtMs = m.deliverAt as number;
    return new StandInMessageId(await call('send message', () => this.#p.send(out)));
  }
  flush(): Promise<null> {
    return call('flush producer', async () => (await this.#p.flush(), null));
  }
  close(): Promise<null> {
    return call('close producer', async () => (await this.#p.close(), null));
  }
  getProducerName(): string {
    return this.#p.names[0] ?? '';
  }
  getTopic(): string {
    return this.#p.topic;
  }
}

class StandInConsumer {
  readonly #c: Consumer;
  /** The addon acks and nacks by id too; remember what was handed out. */
  readonly #byId = new Map<string, Message>();
  constructor(c: Consumer) {
    this.#c = c;
  }
  async receive(timeout?: number): Promise<StandInMessage> {
    const m = await call('receive message', () => this.#c.receive(timeout));
    this.#byId.set(m.id.toString(), m);
    return new StandInMessage(m);
  }
  acknowledge(msg: StandInMessage): Promise<null> {
    return call('acknowledge', async () => (this.#c.ack(msg.m), null));
  }
  acknowledgeId(id: StandInMessageId): Promise<null> {
    return call('acknowledge id', async () => (this.#c.ack(id.id), null));
  }
  acknowledgeCumulative(msg: StandInMessage): Promise<null> {
    return call('acknowledge cumulatively', async () => (this.#c.ackCumulative(msg.m), null));
  }
  acknowledgeCumulativeId(id: StandInMessageId): Promise<null> {
    return call('acknowledge cumulatively by id', async () => (this.#c.ackCumulative(id.id), null));
  }
  negativeAcknowledge(msg: StandInMessage): void {
    this.#c.nack(msg.m);
  }
  negativeAcknowledgeId(id: StandInMessageId): void {
    const m = this.#byId.get(id.id.toString());
    if (m !== undefined) this.#c.nack(m);
  }
  seek(id: StandInMessageId): Promise<null> {
    return call('seek message by id', async () => (await this.#c.seek(id.id), null));
  }
  seekTimestamp(ts: number): Promise<null> {
    return call('seek message by timestamp', async () => (await this.#c.seek(ts), null));
  }
  unsubscribe(): Promise<null> {
    return call('unsubscribe consumer', async () => (await this.#c.unsubscribe(), null));
  }
  close(): Promise<null> {
    return call('close consumer', async () => (await this.#c.close(), null));
  }
}

class StandInReader {
  readonly #r: Reader;
  /** hasNext() is synchronous in the addon; the stand-in answers from the last broker check. */
  #hasNext: boolean;
  constructor(r: Reader, hasNext: boolean) {
    this.#r = r;
    this.#hasNext = hasNext;
  }
  async readNext(timeout?: number): Promise<StandInMessage> {
    const m = await call('receive message', () => this.#r.readNext(timeout));
    this.#hasNext = await this.#r.hasMessageAvailable();
    return new StandInMessage(m);
  }
  hasNext(): boolean {
    return this.#hasNext;
  }
  seek(id: StandInMessageId): Promise<null> {
    return this.#seek('seek message by id', id.id);
  }
  seekTimestamp(ts: number): Promise<null> {
    return this.#seek('seek message by timestamp', ts);
  }
  async #seek(op: string, target: MessageId | number): Promise<null> {
    await call(op, () => this.#r.seek(target));
    this.#hasNext = await this.#r.hasMessageAvailable();
    return null;
  }
  close(): Promise<null> {
    return call('close reader', async () => (await this.#r.close(), null));
  }
}

const CLIENT_KEYS = [
  'serviceUrl',
  'authentication',
  'operationTimeoutSeconds',
  'connectionTimeoutMs',
  'tlsTrustCertsFilePath',
  'tlsValidateHostname',
  'tlsAllowInsecureConnection',
];
const PRODUCER_KEYS = [
  'topic',
  'producerName',
  'sendTimeoutMs',
  'initialSequenceId',
  'maxPendingMessages',
  'blockIfQueueFull',
  'messageRoutingMode',
  'hashingScheme',
  'compressionType',
  'batchingEnabled',
  'batchingMaxPublishDelayMs',
  'batchingMaxMessages',
  'properties',
  'chunkingEnabled',
  'schema',
  'accessMode',
  'batchingType',
  'batchingMaxAllowedSizeInBytes',
];
const CONSUMER_KEYS = [
  'topic',
  'topics',
  'topicsPattern',
  'subscription',
  'subscriptionType',
  'subscriptionInitialPosition',
  'ackTimeoutMs',
  'nAckRedeliverTimeoutMs',
  'receiverQueueSize',
  'consumerName',
  'readCompacted',
  'maxPendingChunkedMessage',
  'schema',
  'batchIndexAckEnabled',
  'deadLetterPolicy',
  'replicateSubscriptionState',
];
const READER_KEYS = ['topic', 'startMessageId', 'receiverQueueSize', 'readerName', 'subscriptionRolePrefix', 'readCompacted'];

export class StandInClient {
  readonly #client: PulsarClient;
  constructor(config: Record<string, unknown>) {
    strict('ClientConfig', config, CLIENT_KEYS);
    if (typeof config.serviceUrl !== 'string' || config.serviceUrl === '')
      throw new Error('Service URL is required and must be specified as a string');
    const auth = config.authentication;
    if (auth !== undefined && !(auth instanceof StandInAuthenticationToken))
      throw new Error('Authentication must be a Pulsar authentication object');
    const caFile = config.tlsTrustCertsFilePath as string | undefined;
    const secure = config.serviceUrl.startsWith('pulsar+ssl://');
    this.#client = createClient({
      serviceUrl: config.serviceUrl,
      ...(auth === undefined ? {} : { token: auth.token }),
      ...(config.operationTimeoutSeconds === undefined ? {} : { operationTimeoutMs: (config.operationTimeoutSeconds as number) * 1000 }),
      ...(config.connectionTimeoutMs === undefined ? {} : { connectTimeoutMs: config.connectionTimeoutMs as number }),
      ...(secure
        ? {
            tls: {
              ...(caFile === undefined ? {} : { ca: readFileSync(caFile) }),
              verifyHostname: (config.tlsValidateHostname as boolean | undefined) ?? false,
              rejectUnauthorized: config.tlsAllowInsecureConnection !== true,
            },
          }
        : {}),
    });
  }

  async createProducer(cfg: Record<string, unknown>): Promise<StandInProducer> {
    strict('ProducerConfig', cfg, PRODUCER_KEYS);
    const o: ProducerOptions = { topic: cfg.topic as string };
    if (cfg.producerName !== undefined) o.name = cfg.producerName as string;
    if (cfg.sendTimeoutMs !== undefined) o.sendTimeoutMs = cfg.sendTimeoutMs as number;
    if (cfg.initialSequenceId !== undefined) o.initialSequenceId = cfg.initialSequenceId as number;
    if (cfg.maxPendingMessages !== undefined) o.maxPendingMessages = cfg.maxPendingMessages as number;
    if (cfg.batchingEnabled !== undefined) o.batching = cfg.batchingEnabled as boolean;
    if (cfg.batchingMaxMessages !== undefined) o.batchingMaxMessages = cfg.batchingMaxMessages as number;
    if (cfg.batchingMaxAllowedSizeInBytes !== undefined) o.batchingMaxBytes = cfg.batchingMaxAllowedSizeInBytes as number;
    if (cfg.batchingMaxPublishDelayMs !== undefined) o.batchingMaxDelayMs = cfg.batchingMaxPublishDelayMs as number;
    if (cfg.properties !== undefined) o.properties = cfg.properties as Record<string, string>;
    if (cfg.chunkingEnabled !== undefined) o.chunking = cfg.chunkingEnabled as boolean;
    const bt = pick('batchingType', cfg.batchingType, ['DefaultBatching', 'KeyBasedBatching']);
    if (bt !== undefined) o.batchingType = bt === 'KeyBasedBatching' ? 'key-based' : 'default';
    const ct = pick('compressionType', cfg.compressionType, ['None', 'Zlib', 'LZ4', 'ZSTD', 'SNAPPY']);
    if (ct !== undefined) o.compression = ({ None: 'none', Zlib: 'zlib', LZ4: 'lz4', ZSTD: 'zstd', SNAPPY: 'snappy' } as const)[ct];
    const am = pick('accessMode', cfg.accessMode, ['Shared', 'Exclusive', 'WaitForExclusive', 'ExclusiveWithFencing']);
    if (am !== undefined) o.accessMode = am;
    const rm = pick('messageRoutingMode', cfg.messageRoutingMode, ['UseSinglePartition', 'RoundRobinDistribution']);
    if (rm !== undefined) o.routingMode = rm === 'UseSinglePartition' ? 'Single' : 'RoundRobin';
    const hs = pick('hashingScheme', cfg.hashingScheme, ['JavaStringHash', 'Murmur3_32Hash', 'BoostHash']);
    if (hs === 'BoostHash') throw new Error('stand-in: BoostHash is not modelled');
    if (hs !== undefined) o.hashingScheme = hs === 'Murmur3_32Hash' ? 'murmur3' : 'java-string';
    const schema = schemaBack(cfg.schema);
    if (schema !== undefined) o.schema = schema;
    return new StandInProducer(await call('create producer', () => this.#client.createProducer(o)));
  }

  async subscribe(cfg: Record<string, unknown>): Promise<StandInConsumer> {
    strict('ConsumerConfig', cfg, CONSUMER_KEYS);
    const o: ConsumerOptions = { subscription: cfg.subscription as string };
    if (cfg.topic !== undefined) o.topic = cfg.topic as string;
    if (cfg.topics !== undefined) o.topics = cfg.topics as string[];
    if (cfg.topicsPattern !== undefined) o.topicsPattern = cfg.topicsPattern as string;
    const st = pick('subscriptionType', cfg.subscriptionType, ['Exclusive', 'Shared', 'KeyShared', 'Failover']);
    if (st !== undefined) o.subscriptionType = (st === 'KeyShared' ? 'Key_Shared' : st) as SubscriptionType;
    const ip = pick('subscriptionInitialPosition', cfg.subscriptionInitialPosition, ['Latest', 'Earliest']);
    if (ip !== undefined) o.initialPosition = ip;
    const ackTimeout = cfg.ackTimeoutMs as number | undefined;
    if (ackTimeout !== undefined && ackTimeout !== 0 && ackTimeout < 10_000)
      throw new Error('Ack timeout should be 0 or greater than or equal to 10000');
    if (ackTimeout !== undefined) o.ackTimeoutMs = ackTimeout;
    if (cfg.nAckRedeliverTimeoutMs !== undefined) o.negativeAckRedeliveryDelayMs = cfg.nAckRedeliverTimeoutMs as number;
    if (cfg.receiverQueueSize !== undefined) o.receiverQueueSize = cfg.receiverQueueSize as number;
    if (cfg.consumerName !== undefined) o.consumerName = cfg.consumerName as string;
    if (cfg.readCompacted !== undefined) o.readCompacted = cfg.readCompacted as boolean;
    if (cfg.maxPendingChunkedMessage !== undefined) o.maxPendingChunkedMessages = cfg.maxPendingChunkedMessage as number;
    if (cfg.batchIndexAckEnabled !== undefined) o.batchIndexAckEnabled = cfg.batchIndexAckEnabled as boolean;
    if (cfg.replicateSubscriptionState !== undefined) o.replicateSubscriptionState = cfg.replicateSubscriptionState as boolean;
    if (cfg.deadLetterPolicy !== undefined) {
      const d = cfg.deadLetterPolicy as Record<string, unknown>;
      strict('DeadLetterPolicy', d, ['deadLetterTopic', 'maxRedeliverCount', 'initialSubscriptionName']);
      o.deadLetterPolicy = {
        maxRedeliverCount: d.maxRedeliverCount as number,
        ...(d.deadLetterTopic === undefined ? {} : { deadLetterTopic: d.deadLetterTopic as string }),
      };
    }
    const schema = schemaBack(cfg.schema);
    if (schema !== undefined) o.schema = schema;
    return new StandInConsumer(await call('create consumer', () => this.#client.subscribe(o)));
  }

  async createReader(cfg: Record<string, unknown>): Promise<StandInReader> {
    strict('ReaderConfig', cfg, READER_KEYS);
    const start = cfg.startMessageId;
    if (!(start instanceof StandInMessageId)) throw new Error('stand-in: startMessageId must be a MessageId');
    const r = await call('create reader', () =>
      this.#client.createReader({
        topic: cfg.topic as string,
        startMessageId: start.id,
        ...(cfg.receiverQueueSize === undefined ? {} : { receiverQueueSize: cfg.receiverQueueSize as number }),
        ...(cfg.readCompacted === undefined ? {} : { readCompacted: cfg.readCompacted as boolean }),
        ...(cfg.subscriptionRolePrefix === undefined ? {} : { subscriptionName: `${cfg.subscriptionRolePrefix as string}-reader` }),
      }),
    );
    return new StandInReader(r, await r.hasMessageAvailable());
  }

  async getPartitionsForTopic(topic: string): Promise<string[]> {
    const n = await call('GetPartitionsForTopic', () => this.#client.getPartitions(topic));
    return n === 0 ? [topic] : Array.from({ length: n }, (_, i) => `${topic}-partition-${i}`);
  }

  close(): Promise<null> {
    return call('close client', async () => (await this.#client.close(), null));
  }
}

/** What `import('pulsar-client')` yields (CommonJS: the exports under `default`). */
export const nativeStandInModule = {
  default: {
    Client: StandInClient,
    MessageId: StandInMessageId,
    AuthenticationToken: StandInAuthenticationToken,
  },
};
