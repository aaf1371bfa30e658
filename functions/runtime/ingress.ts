/**
 * From a raw input message to a record a handler may see: decode with the writer's schema
 * version, then tokenize PII. Anything that fails becomes a dead-letter record with its reason;
 * a bad record never reaches the handler and never stops the worker.
 */
import type { EventRecord } from '../contract.ts';
import type { PiiTokenizer, TenantKeyring } from '../governance/index.ts';
import { SchemaDecodeError, type Schema, type SchemaRegistry } from '../pulsar/index.ts';
import { sealedDeadLetter } from './dead-letters.ts';
import type { DeadLetterReason, DeadLetterRecord, InputMessage } from './records.ts';

/** Turns a payload into a value; throws a SchemaDecodeError (or another error) when it cannot. */
export type PayloadDecoder<T> = (payload: Buffer, topic: string, schemaVersion: Buffer | undefined) => Promise<T> | T;

/** Decodes with a reader schema, resolving from each message's writer schema when a registry is given. */
export function schemaDecoder<T>(schema: Schema<T>, registry?: SchemaRegistry): PayloadDecoder<T> {
  return registry === undefined
    ? (payload) => schema.decode(payload)
    : (payload, topic, version) => registry.decode(schema, topic, version, payload);
}

/** AUTO_CONSUME: decodes each message with the schema it was written with. */
export function autoDecoder(registry: SchemaRegistry): PayloadDecoder<unknown> {
  return (payload, topic, version) => registry.decodeAuto(topic, version, payload);
}

export interface IngressOptions<T> {
  decode: PayloadDecoder<T>;
  /** Tokenizes PII fields (and the key, when the spec marks it) before anything else sees them. */
  pii?: PiiTokenizer;
  /**
   * The tenant's keys: dead letters seal their content under them (#21). @default none: dead
   * letters keep only reason, code and ids, never the content
   */
  keyring?: TenantKeyring;
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
      return { ok: false, deadLetter: this.deadLetter(m, reason, err, nowMs) };
    }
    if (this.#o.pii !== undefined) {
      try {
        value = this.#o.pii.tokenize(value);
      } catch (err) {
        return { ok: false, deadLetter: this.deadLetter(m, 'pii-error', err, nowMs) };
      }
    }
    return {
      ok: true,
      record: {
        key: m.key === undefined || this.#o.pii === undefined ? m.key : this.#o.pii.tokenizeKey(m.key),
        eventTimeMs: m.eventTimeMs ?? m.publishTimeMs,
        publishTimeMs: m.publishTimeMs,
        properties: m.properties,
        messageId: m.messageId,
        topic: m.topic,
        value,
      },
    };
  }

  /**
   * The dead-letter record of an input this worker could not decide: content sealed under the
   * tenant key, key tokenized when it is PII. Every dead letter of the worker is made here.
   */
  deadLetter(m: InputMessage, reason: DeadLetterReason, err: unknown, nowMs: number): DeadLetterRecord {
    return sealedDeadLetter(m, reason, err, nowMs, {
      ...(this.#o.keyring === undefined ? {} : { keyring: this.#o.keyring }),
      ...(this.#o.pii === undefined ? {} : { pii: this.#o.pii }),
    });
  }
}
