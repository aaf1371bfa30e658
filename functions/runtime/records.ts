/**
 * What the worker moves: raw input messages (as the I/O layer hands them over), outputs bound
 * for the namespace's topics, and dead-letter records.
 */
import type { Envelope } from '../governance/index.ts';
import type { OutputTopic } from '../topics.ts';

/** An input message before decoding. `ref` is the I/O layer's handle for acking it. */
export interface InputMessage {
  readonly ref: unknown;
  readonly topic: string;
  readonly messageId: string;
  readonly key: string | undefined;
  readonly payload: Buffer;
  readonly properties: Readonly<Record<string, string>>;
  readonly eventTimeMs: number | undefined;
  readonly publishTimeMs: number;
  readonly schemaVersion: Buffer | undefined;
  readonly redeliveryCount: number;
}

export interface OutputMessage {
  readonly topic: OutputTopic;
  readonly key: string | undefined;
  readonly payload: Buffer;
  readonly properties?: Readonly<Record<string, string>>;
  readonly eventTimeMs?: number;
  /** A tombstone on a compacted topic (state deletes). */
  readonly nullValue?: boolean;
}

/** Why a record went to the dead-letter topic: a metric label, so the set is closed. */
export type DeadLetterReason = 'decode-error' | 'schema-mismatch' | 'pii-error' | 'handler-error' | 'output-schema-mismatch' | 'late-event';

/**
 * The dead-letter topic's record. Nothing raw leaves ingress (#21): the original payload, key,
 * properties and error message (which may quote the record) are sealed in `sealed`, an
 * AES-256-GCM envelope under a fresh data key wrapped by the tenant key; the reason, error code
 * and ids stay in the clear so operators can list and count without the key. `key` is the key as
 * records past ingress see it: its token when the spec marks the key as PII.
 */
export interface DeadLetterRecord {
  reason: DeadLetterReason;
  errorCode: string;
  topic: string;
  messageId: string;
  key: string | null;
  publishTimeMs: number;
  eventTimeMs: number | null;
  redeliveryCount: number;
  failedAtMs: number;
  /** Size of the original payload. */
  payloadBytes: number;
  /**
   * The sealed DeadLetterContent (open it with `beamline dlq show --decrypt`); null when the
   * worker runs without a tenant key, and then the content is not kept at all.
   */
  sealed: Envelope | null;
}

/** What a dead letter seals: everything needed to understand and replay the input. */
export interface DeadLetterContent {
  errorMessage: string;
  /** The original message key. */
  key: string | null;
  properties: Record<string, string>;
  payloadBase64: string;
}
