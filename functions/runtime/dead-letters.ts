/**
 * Sealing and opening dead-letter records (#21): the content an input carried (payload, key,
 * properties, error text) goes into an envelope under the tenant key; reason, code and ids stay
 * in the clear. Readers (`beamline dlq`) open them with the same keyring.
 */
import { BeamlineError } from '../errors.ts';
import {
  GOVERNANCE_ERROR_CODES,
  isEnvelope,
  openEnvelope,
  sealEnvelope,
  type PiiTokenizer,
  type TenantKeyring,
} from '../governance/index.ts';
import { RUNTIME_ERROR_CODES } from './errors.ts';
import type { DeadLetterContent, DeadLetterReason, DeadLetterRecord, InputMessage } from './records.ts';

/** Binds a sealed content to its record's clear ids. */
export function deadLetterAad(topic: string, messageId: string): string {
  return `beamline-dead-letter\0${topic}\0${messageId}`;
}

export interface DeadLetterSealing {
  /** Seals contents; without it the content is dropped (nothing raw is ever kept). */
  keyring?: TenantKeyring;
  /** Tokenizes the clear key when the key is PII. */
  pii?: PiiTokenizer;
  /** #21: the record's data subject was erased: no content and no key are kept. */
  erased?: boolean;
}

export function sealedDeadLetter(
  m: InputMessage,
  reason: DeadLetterReason,
  err: unknown,
  nowMs: number,
  s: DeadLetterSealing,
): DeadLetterRecord {
  const code = err instanceof BeamlineError ? err.code : RUNTIME_ERROR_CODES.handlerError;
  // The message of a user error may quote the record; cap it so a dead-letter entry stays small.
  const text = err instanceof Error ? err.message : String(err);
  const content: DeadLetterContent = {
    errorMessage: text.length > 500 ? `${text.slice(0, 497)}...` : text,
    key: m.key ?? null,
    properties: { ...m.properties },
    payloadBase64: m.payload.toString('base64'),
  };
  const key = m.key === undefined || s.erased === true ? null : s.pii === undefined ? m.key : s.pii.tokenizeKey(m.key);
  return {
    reason,
    errorCode: code,
    topic: m.topic,
    messageId: m.messageId,
    key,
    publishTimeMs: m.publishTimeMs,
    eventTimeMs: m.eventTimeMs ?? null,
    redeliveryCount: m.redeliveryCount,
    failedAtMs: nowMs,
    payloadBytes: m.payload.length,
    sealed:
      s.keyring === undefined ? null : sealEnvelope(s.keyring, Buffer.from(JSON.stringify(content)), deadLetterAad(m.topic, m.messageId)),
  };
}

/** The content of a dead letter; throws when it has none (written without a key) or the key is wrong. */
export function openDeadLetter(record: DeadLetterRecord, keyring: TenantKeyring): DeadLetterContent {
  if (!isEnvelope(record.sealed)) {
    throw new BeamlineError(
      GOVERNANCE_ERROR_CODES.noContent,
      `dead letter ${record.messageId} keeps no content: the worker ran without a tenant key, so the payload was dropped`,
      {
        retriable: false,
      },
    );
  }
  return JSON.parse(
    openEnvelope(keyring, record.sealed, deadLetterAad(record.topic, record.messageId)).toString('utf8'),
  ) as DeadLetterContent;
}
