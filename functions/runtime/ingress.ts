/**
 * From a raw input message to a record a handler may see: decode with the writer's schema
 * version, then tokenize PII. Anything that fails becomes a dead-letter record with its reason;
 * a bad record never reaches the handler and never stops the worker.
 */
import type { EventRecord } from '../contract.ts';
import { BeamlineError } from '../errors.ts';
import type { PiiTokenizer } from '../governance/index.ts';
import { SchemaDecodeError, type Schema, type SchemaRegistry } from '../pulsar/index.ts';
import type { DeadLetterReason, DeadLetterRecord, InputMessage } from './records.ts';

/** Turns a payload into a value; throws a SchemaDecodeError (or another error) when it cannot. */
export type PayloadDecoder<T> = (payload: Buffer, topic: string, schemaVersion: Buffer | undefined) => Promise<T> | T;

/** Decodes with a reader schema, resolving from each message's writer schema when a registry is given. */
export function schemaDecoder<T>(schema: Schema<T>, registry?: SchemaRegistry): PayloadDecoder<T> {
  return registry === undefined ? (payload) => schema.decode(payload) : (payload, topic, version) => registry.decode(schema, topic, version, payload);
}

/** AUTO_CONSUME: decodes each message with the schema it was written with. */
export function autoDecoder(registry: SchemaRegistry): PayloadDecoder<unknown> {
  return (payload, topic, version) => registry.decodeAuto(topic, version, payload);
}

export interface IngressOptions<T> {
  decode: PayloadDecoder<T>;
  pii?: PiiTokenizer;
}

export type IngressResult<T> = { ok: true; record: EventRecord<T> } | { ok: false; deadLetter: DeadLetterRecord };

export class Ingress<T> {
  readonly #o: IngressOptions<T>;

  constructor(options: IngressOptions<T>) {
    this.#o = options;
  }

  async decode(m: InputMessage, nowMs: number): Promise<IngressResult<T>> {
    let value: T;
    try {
      value = await this.#o.decode(m.payload, m.topic, m.schemaVersion);
    } catch (err) {
      const reason: DeadLetterReason = err instanceof SchemaDecodeError ? 'decode-error' : 'schema-mismatch';
      return { ok: false, deadLetter: deadLetterOf(m, reason, err, nowMs) };
    }
    if (this.#o.pii !== undefined) {
      try {
        value = this.#o.pii.tokenize(value);
      } catch (err) {
        return { ok: false, deadLetter: deadLetterOf(m, 'pii-error', err, nowMs) };
      }
    }
    return {
      ok: true,
      record: {
        key: m.key,
        eventTimeMs: m.eventTimeMs ?? m.publishTimeMs,
        publishTimeMs: m.publishTimeMs,
        properties: m.properties,
        messageId: m.messageId,
        topic: m.topic,
        value,
      },
    };
  }
}

export function deadLetterOf(m: InputMessage, reason: DeadLetterReason, err: unknown, nowMs: number): DeadLetterRecord {
  const code = err instanceof BeamlineError ? err.code : 'BL_RUNTIME_HANDLER_ERROR';
  // The message of a user error may quote the record; cap it so a dead-letter entry stays small.
  const text = err instanceof Error ? err.message : String(err);
  return {
    reason,
    errorCode: code,
    errorMessage: text.length > 500 ? `${text.slice(0, 497)}...` : text,
    topic: m.topic,
    messageId: m.messageId,
    key: m.key ?? null,
    publishTimeMs: m.publishTimeMs,
    eventTimeMs: m.eventTimeMs ?? null,
    redeliveryCount: m.redeliveryCount,
    properties: { ...m.properties },
    payloadBase64: m.payload.toString('base64'),
    failedAtMs: nowMs,
  };
}
