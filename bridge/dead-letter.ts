/**
 * What the bridge writes to the namespace's dead-letter topic for a message it cannot carry:
 * the reason, the error code and ids, and the original sealed under the tenant key (#21).
 */
import { BeamlineError } from '../functions/index.ts';
import {
  deadLetterAad,
  sealEnvelope,
  type DeadLetterContent,
  type Envelope,
  type OutgoingMessage,
  type TenantKeyring,
} from '../functions/control-plane.ts';
import { BRIDGE_ERROR_CODES } from './errors.ts';

export type BridgeDeadLetterReason =
  'missing-ordering-key' | 'attributes-too-large' | 'decode-error' | 'schema-mismatch' | 'pubsub-refused';

/**
 * The worker's dead-letter record shape (`beamline dlq` lists, opens and replays both): reason,
 * code and ids in the clear; the content (payload, original key, attributes, error text) sealed
 * under the tenant key, or dropped when the bridge runs without one (#21: nothing raw is kept).
 */
export interface BridgeDeadLetter {
  reason: BridgeDeadLetterReason;
  errorCode: string;
  /** Where the message came from: a Pub/Sub subscription path (source) or a Pulsar topic (sink). */
  topic: string;
  messageId: string;
  /**
   * The key in the clear: the sink's Pulsar key (an output key, tokenized by the worker where it
   * is personal data); null for the source, whose ordering key is raw input (sealed only).
   */
  key: string | null;
  publishTimeMs: number;
  eventTimeMs: null;
  redeliveryCount: number;
  failedAtMs: number;
  payloadBytes: number;
  sealed: Envelope | null;
}

export const DEAD_LETTER_ERROR_CODES: Readonly<Record<BridgeDeadLetterReason, string>> = Object.freeze({
  'missing-ordering-key': BRIDGE_ERROR_CODES.missingOrderingKey,
  'attributes-too-large': BRIDGE_ERROR_CODES.attributesTooLarge,
  'decode-error': BRIDGE_ERROR_CODES.decodeError,
  'schema-mismatch': BRIDGE_ERROR_CODES.schemaMismatch,
  'pubsub-refused': BRIDGE_ERROR_CODES.pubsubRefused,
});

export function deadLetterRecord(
  reason: BridgeDeadLetterReason,
  err: unknown,
  m: {
    /** A Pub/Sub subscription path or a Pulsar topic. */
    source: string;
    messageId: string;
    key: string | null;
    /** Whether `key` may be shown in the clear (a Pulsar output key), else it is only sealed. */
    keyInClear: boolean;
    publishTimeMs: number;
    properties: Readonly<Record<string, string>>;
    payload: Buffer;
  },
  nowMs: number,
  keyring: TenantKeyring | undefined,
): BridgeDeadLetter {
  const text = err instanceof Error ? err.message : String(err);
  const content: DeadLetterContent = {
    errorMessage: text.length > 500 ? `${text.slice(0, 497)}...` : text,
    key: m.key,
    properties: { ...m.properties },
    payloadBase64: m.payload.toString('base64'),
  };
  return {
    reason,
    errorCode: err instanceof BeamlineError ? err.code : DEAD_LETTER_ERROR_CODES[reason],
    topic: m.source,
    messageId: m.messageId,
    key: m.keyInClear ? m.key : null,
    publishTimeMs: m.publishTimeMs,
    eventTimeMs: null,
    redeliveryCount: 0,
    failedAtMs: nowMs,
    payloadBytes: m.payload.length,
    sealed:
      keyring === undefined ? null : sealEnvelope(keyring, Buffer.from(JSON.stringify(content)), deadLetterAad(m.source, m.messageId)),
  };
}

/** Same shape of properties as the worker's dead-letter entries, so one tool reads both. */
export function deadLetterMessage(d: BridgeDeadLetter): OutgoingMessage {
  return {
    ...(d.key === null ? {} : { key: d.key }),
    payload: Buffer.from(JSON.stringify(d)),
    properties: { 'beamline.reason': d.reason, 'beamline.error-code': d.errorCode, 'beamline.source-message-id': d.messageId },
  };
}
