/**
 * What the bridge writes to the namespace's dead-letter topic for a message it cannot carry:
 * the reason, the error, and enough of the original to understand and replay it (the payload
 * as-is in base64, so the dead-letter topic is as sensitive as the source).
 */
import { BeamlineError } from '../functions/index.ts';
import type { OutgoingMessage } from '../functions/control-plane.ts';
import { BRIDGE_ERROR_CODES } from './errors.ts';

export type BridgeDeadLetterReason =
  'missing-ordering-key' | 'attributes-too-large' | 'decode-error' | 'schema-mismatch' | 'pubsub-refused';

export interface BridgeDeadLetter {
  reason: BridgeDeadLetterReason;
  errorCode: string;
  errorMessage: string;
  /** Where the message came from: a Pub/Sub subscription (source) or a Pulsar topic (sink). */
  source: string;
  messageId: string;
  key: string | null;
  publishTimeMs: number;
  properties: Record<string, string>;
  payloadBase64: string;
  failedAtMs: number;
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
    source: string;
    messageId: string;
    key: string | null;
    publishTimeMs: number;
    properties: Readonly<Record<string, string>>;
    payload: Buffer;
  },
  nowMs: number,
): BridgeDeadLetter {
  const text = err instanceof Error ? err.message : String(err);
  return {
    reason,
    errorCode: err instanceof BeamlineError ? err.code : DEAD_LETTER_ERROR_CODES[reason],
    errorMessage: text.length > 500 ? `${text.slice(0, 497)}...` : text,
    source: m.source,
    messageId: m.messageId,
    key: m.key,
    publishTimeMs: m.publishTimeMs,
    properties: { ...m.properties },
    payloadBase64: m.payload.toString('base64'),
    failedAtMs: nowMs,
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
