/**
 * What the worker moves: raw input messages (as the I/O layer hands them over), outputs bound
 * for the namespace's topics, and dead-letter records.
 */

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

/** The namespace topics a worker writes to (see the tenant spec). */
export type OutputTopic = 'predictions' | 'actions' | 'review' | 'audit' | 'dead-letter' | 'state';

export const OUTPUT_TOPICS: readonly OutputTopic[] = ['predictions', 'actions', 'review', 'audit', 'dead-letter', 'state'];

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
 * The dead-letter topic's record: enough to understand and replay the input. The original
 * payload is kept as-is (base64): it never passed PII tokenization, so the dead-letter topic is
 * as sensitive as the input topic.
 */
export interface DeadLetterRecord {
  reason: DeadLetterReason;
  errorCode: string;
  errorMessage: string;
  topic: string;
  messageId: string;
  key: string | null;
  publishTimeMs: number;
  eventTimeMs: number | null;
  redeliveryCount: number;
  properties: Record<string, string>;
  payloadBase64: string;
  failedAtMs: number;
}
