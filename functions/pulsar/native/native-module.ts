/**
 * The part of the native `pulsar-client` addon's documented API (1.x, a wrapper over the C++
 * client) that the adapter uses, described by us so that Beamline type-checks without the
 * package installed. Only what the adapter calls is here.
 *
 * The addon is CommonJS: `import('pulsar-client')` yields `{ default: module.exports }`.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';

export type NativeLoadModule = () => Promise<unknown>;

export interface NativeMessageId {
  serialize(): Buffer;
  toString(): string;
}

export interface NativeMessageIdStatic {
  earliest(): NativeMessageId;
  latest(): NativeMessageId;
  deserialize(data: Buffer): NativeMessageId;
}

export interface NativeMessage {
  getTopicName(): string;
  getProperties(): Record<string, string>;
  getData(): Buffer;
  getMessageId(): NativeMessageId;
  getPublishTimestamp(): number;
  /** 0 when the producer set none. */
  getEventTimestamp(): number;
  getRedeliveryCount(): number;
  /** '' when the message has no key. */
  getPartitionKey(): string;
  getOrderingKey(): string;
  getProducerName(): string;
}

export interface NativeProducerMessage {
  data: Buffer;
  properties?: Record<string, string>;
  eventTimestamp?: number;
  sequenceId?: number;
  partitionKey?: string;
  orderingKey?: string;
  deliverAt?: number;
}

export interface NativeProducer {
  send(message: NativeProducerMessage): Promise<NativeMessageId>;
  flush(): Promise<unknown>;
  close(): Promise<unknown>;
  getProducerName(): string;
  getTopic(): string;
}

export interface NativeConsumer {
  receive(timeoutMs?: number): Promise<NativeMessage>;
  acknowledge(message: NativeMessage): Promise<unknown>;
  acknowledgeId(id: NativeMessageId): Promise<unknown>;
  acknowledgeCumulative(message: NativeMessage): Promise<unknown>;
  acknowledgeCumulativeId(id: NativeMessageId): Promise<unknown>;
  negativeAcknowledge(message: NativeMessage): void;
  negativeAcknowledgeId(id: NativeMessageId): void;
  seek(id: NativeMessageId): Promise<unknown>;
  seekTimestamp(timestampMs: number): Promise<unknown>;
  unsubscribe(): Promise<unknown>;
  close(): Promise<unknown>;
}

export interface NativeReader {
  readNext(timeoutMs?: number): Promise<NativeMessage>;
  /** Synchronous in the addon (it blocks a C++ call until the broker answers). */
  hasNext(): boolean;
  seek(id: NativeMessageId): Promise<unknown>;
  seekTimestamp(timestampMs: number): Promise<unknown>;
  close(): Promise<unknown>;
}

export interface NativeClient {
  createProducer(config: Record<string, unknown>): Promise<NativeProducer>;
  subscribe(config: Record<string, unknown>): Promise<NativeConsumer>;
  createReader(config: Record<string, unknown>): Promise<NativeReader>;
  getPartitionsForTopic(topic: string): Promise<string[]>;
  close(): Promise<unknown>;
}

export interface NativeModule {
  Client: new (config: Record<string, unknown>) => NativeClient;
  MessageId: NativeMessageIdStatic;
  AuthenticationToken: new (params: { token: string | (() => string | Promise<string>) }) => object;
}

/** The npm package name of the native addon (never a dependency of Beamline). */
export const NATIVE_PACKAGE = 'pulsar-client';

/**
 * Load the addon lazily. A variable specifier keeps bundlers and TypeScript from resolving a
 * package Beamline does not depend on.
 */
export async function loadNativeModule(load?: NativeLoadModule): Promise<NativeModule> {
  let loaded: unknown;
  try {
    loaded = await (load ?? (() => import(NATIVE_PACKAGE)))();
  } catch (cause) {
    throw new BeamlineError(
      PULSAR_ERROR_CODES.nativeUnavailable,
      `the native client was requested (implementation: 'native') but the '${NATIVE_PACKAGE}' package could not be loaded; install it with \`npm install ${NATIVE_PACKAGE}\` (it needs its prebuilt binary or libpulsar), or use implementation: 'beamline'`,
      { retriable: false, cause, details: { package: NATIVE_PACKAGE } },
    );
  }
  const mod = unwrapDefault(loaded);
  const missing = (['Client', 'MessageId', 'AuthenticationToken'] as const).filter((k) => mod[k] === undefined);
  if (missing.length > 0) {
    throw new BeamlineError(
      PULSAR_ERROR_CODES.nativeUnavailable,
      `the '${NATIVE_PACKAGE}' package loaded but lacks ${missing.join(', ')}; Beamline's adapter needs pulsar-client 1.x`,
      { retriable: false, details: { package: NATIVE_PACKAGE, missing } },
    );
  }
  return mod as unknown as NativeModule;
}

function unwrapDefault(loaded: unknown): Record<string, unknown> {
  const o = (loaded ?? {}) as Record<string, unknown>;
  if (o.Client === undefined && typeof o.default === 'object' && o.default !== null) return o.default as Record<string, unknown>;
  return o;
}
