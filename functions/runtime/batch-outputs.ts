/**
 * The records a batch commits besides the handler's outputs: dead letters and state changes (to
 * the compacted `state` topic, keyed by store prefix).
 */
import type { ChangeRecord } from '../state/index.ts';
import { stringifyJson } from '../json.ts';
import type { DeadLetterRecord, OutputMessage } from './records.ts';
import { EXPIRES_AT_PROPERTY } from './worker-io.ts';

export function deadLetterOutput(d: DeadLetterRecord): OutputMessage {
  return {
    topic: 'dead-letter',
    key: d.key ?? undefined,
    payload: Buffer.from(stringifyJson(d) ?? '{}'),
    properties: { 'beamline.reason': d.reason, 'beamline.error-code': d.errorCode, 'beamline.source-message-id': d.messageId },
    ...(d.eventTimeMs === null ? {} : { eventTimeMs: d.eventTimeMs }),
  };
}

export function stateOutputs(changes: readonly ChangeRecord[], prefix: string): OutputMessage[] {
  return changes.map((c) => {
    const tombstone = c.value.byteLength === 0;
    return {
      topic: 'state',
      key: `${prefix}${c.key}`,
      payload: Buffer.from(c.value),
      ...(c.expiresAtMs === undefined ? {} : { properties: { [EXPIRES_AT_PROPERTY]: String(c.expiresAtMs) } }),
      ...(tombstone ? { nullValue: true } : {}),
    };
  });
}
