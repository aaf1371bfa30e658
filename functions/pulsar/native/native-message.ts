/**
 * Converting between our messages and ids and the addon's. Ids cross as MessageIdData bytes,
 * the serialization both the C++ client (serialize/deserialize) and ours (toBytes/fromBytes)
 * use, so an id taken from one implementation seeks or acks on the other.
 */
import { MessageId } from '../wire/index.ts';
import type { Message, OutgoingMessage } from '../api/index.ts';
import { unsupportedFeatureError } from '../api/index.ts';
import type { NativeMessage, NativeMessageId, NativeModule, NativeProducerMessage } from './native-module.ts';

export class NativeIds {
  readonly #mod: NativeModule;
  /** The addon's own message object, kept so acks go through its batch-aware path. */
  readonly #originals = new WeakMap<Message, NativeMessage>();

  constructor(mod: NativeModule) {
    this.#mod = mod;
  }

  toNativeId(id: MessageId): NativeMessageId {
    if (sameId(id, MessageId.earliest)) return this.#mod.MessageId.earliest();
    if (sameId(id, MessageId.latest)) return this.#mod.MessageId.latest();
    return this.#mod.MessageId.deserialize(id.toBytes());
  }

  fromNativeId(id: NativeMessageId): MessageId {
    return MessageId.fromBytes(id.serialize());
  }

  fromNative(m: NativeMessage): Message {
    const eventTime = m.getEventTimestamp();
    const key = m.getPartitionKey();
    const orderingKey = m.getOrderingKey();
    const msg: Message = Object.freeze({
      id: this.fromNativeId(m.getMessageId()),
      topic: m.getTopicName(),
      key: key === '' ? undefined : key,
      orderingKey: orderingKey === '' ? undefined : Buffer.from(orderingKey, 'utf8'),
      properties: Object.freeze({ ...m.getProperties() }),
      eventTimeMs: eventTime > 0 ? eventTime : undefined,
      publishTimeMs: m.getPublishTimestamp(),
      payload: m.getData(),
      redeliveryCount: m.getRedeliveryCount(),
      producerName: m.getProducerName(),
      // The addon exposes neither; -1 / false / undefined say "not known here".
      sequenceId: -1,
      nullValue: false,
      schemaVersion: undefined,
    });
    this.#originals.set(msg, m);
    return msg;
  }

  /** The addon's message for one of ours, when it came from this adapter. */
  original(m: Message | MessageId): NativeMessage | undefined {
    return m instanceof MessageId ? undefined : this.#originals.get(m);
  }
}

export function toNativeMessage(m: OutgoingMessage | Buffer | string): NativeProducerMessage {
  const msg: OutgoingMessage = typeof m === 'string' || Buffer.isBuffer(m) ? { payload: m } : m;
  if (msg.nullValue === true) {
    throw unsupportedFeatureError(
      'native',
      'nullValue (tombstone) messages',
      "send an empty payload to delete a key on a compacted topic, or use implementation: 'beamline'",
    );
  }
  if (msg.orderingKey !== undefined && typeof msg.orderingKey !== 'string') {
    throw unsupportedFeatureError('native', 'Buffer orderingKey', "pass the ordering key as a string, or use implementation: 'beamline'");
  }
  const payload =
    typeof msg.payload === 'string'
      ? Buffer.from(msg.payload, 'utf8')
      : Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength);
  const out: NativeProducerMessage = { data: payload };
  if (msg.key !== undefined) out.partitionKey = msg.key;
  if (msg.orderingKey !== undefined) out.orderingKey = msg.orderingKey;
  if (msg.properties !== undefined) out.properties = { ...msg.properties };
  if (msg.eventTimeMs !== undefined) out.eventTimestamp = msg.eventTimeMs;
  if (msg.sequenceId !== undefined) out.sequenceId = msg.sequenceId;
  if (msg.deliverAtMs !== undefined) out.deliverAt = msg.deliverAtMs;
  return out;
}

function sameId(a: MessageId, b: MessageId): boolean {
  return a === b || (a.ledgerId === b.ledgerId && a.entryId === b.entryId && a.partition === b.partition && a.batchIndex === b.batchIndex);
}
