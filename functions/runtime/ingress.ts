/**
 * From a raw input message to a record a handler may see: decode with the writer's schema
 * version, then tokenize PII. Anything that fails becomes a dead-letter record with its reason;
 * a bad record never reaches the handler and never stops the worker.
 */
import type { EventRecord } from '../contract.ts';
import type { PiiTokenizer, TenantKeyring } from '../governance/index.ts';
import { SchemaDecodeError, type Schema, type SchemaRegistry } from '../pulsar/index.ts';
import { sealedDeadLetter, type DeadLetterSealing } from './dead-letters.ts';
import type { DeadLetterReason, DeadLetterRecord, InputMessage } from './records.ts';
import type { SubjectKeys } from './subject-vault.ts';

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
  /**
   * Crypto-shredding (#21, the spec's `dataSubject: $key`): each message key is a data subject
   * whose PII, pseudonymous key and dead letters are tokenized and sealed under its own key
   * (runtime's SubjectVault). Keyless messages fall back to `pii` and `keyring`. @default none
   */
  subjects?: SubjectKeySource;
}

/** Where Ingress gets a subject's keys (the SubjectVault). */
export interface SubjectKeySource {
  /** Creates the subject's key on its first event; a rejection is an infrastructure error. */
  keysFor(subjectId: string): Promise<SubjectKeys>;
  peek(subjectId: string): SubjectKeys | undefined;
}

export type IngressResult<T> = { ok: true; record: EventRecord<T> } | { ok: false; deadLetter: DeadLetterRecord };

export class Ingress<T> {
  readonly #o: IngressOptions<T>;

  constructor(options: IngressOptions<T>) {
    this.#o = options;
  }

  async decode(m: InputMessage, nowMs: number): Promise<IngressResult<T>> {
    // Resolved first (an I/O failure here retries the batch: it is not the record's fault), so a
    // dead letter of this record below is sealed under the subject's key too.
    const subject = this.#o.subjects !== undefined && m.key !== undefined ? await this.#o.subjects.keysFor(m.key) : undefined;
    const pii = subject?.tokenizer ?? this.#o.pii;
    let value: T;
    try {
      value = await this.#o.decode(m.payload, m.topic, m.schemaVersion);
    } catch (err) {
      const reason: DeadLetterReason = err instanceof SchemaDecodeError ? 'decode-error' : 'schema-mismatch';
      return { ok: false, deadLetter: this.deadLetter(m, reason, err, nowMs) };
    }
    if (pii !== undefined) {
      try {
        value = pii.tokenize(value);
      } catch (err) {
        return { ok: false, deadLetter: this.deadLetter(m, 'pii-error', err, nowMs) };
      }
    }
    return {
      ok: true,
      record: {
        key: m.key === undefined || pii === undefined ? m.key : pii.tokenizeKey(m.key),
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
    return sealedDeadLetter(m, reason, err, nowMs, this.#sealing(m));
  }

  #sealing(m: InputMessage): DeadLetterSealing {
    if (this.#o.subjects !== undefined && m.key !== undefined) {
      // Decoded moments ago, so its keys are in memory. Gone means erased since: keep no content
      // (sealing it under the tenant key would bring the subject's data back).
      const subject = this.#o.subjects.peek(m.key);
      return subject === undefined ? { erased: true } : { keyring: subject.keyring, pii: subject.tokenizer };
    }
    return {
      ...(this.#o.keyring === undefined ? {} : { keyring: this.#o.keyring }),
      ...(this.#o.pii === undefined ? {} : { pii: this.#o.pii }),
    };
  }
}
