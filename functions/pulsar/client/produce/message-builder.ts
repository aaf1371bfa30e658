/** Turning decoded MESSAGE metadata into application Messages, and reader start filtering. */
import { MessageId, type MessageMetadata, type SingleMessageMetadata } from '../../wire/index.ts';
import { listToProperties, type Message } from '../../api/index.ts';

/** The properties of every message that has none: one frozen object, not one per message. */
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

/** A Message from an entry's metadata, plus the batch member's metadata when batched. */
export function buildMessage(
  topic: string,
  id: MessageId,
  meta: MessageMetadata,
  payload: Buffer,
  redeliveryCount: number,
  single: SingleMessageMetadata | undefined,
): Message {
  const key = single !== undefined ? single.partition_key : meta.partition_key;
  const orderingKey = single !== undefined ? single.ordering_key : meta.ordering_key;
  const props = single !== undefined ? single.properties : meta.properties;
  const eventTime = single !== undefined ? single.event_time : meta.event_time;
  const nullValue = (single !== undefined ? single.null_value : meta.null_value) ?? false;
  return {
    id,
    topic,
    key,
    orderingKey,
    properties: props === undefined || props.length === 0 ? NO_PROPERTIES : listToProperties(props),
    eventTimeMs: eventTime !== undefined && eventTime > 0 ? eventTime : undefined,
    publishTimeMs: meta.publish_time,
    payload,
    redeliveryCount,
    producerName: meta.producer_name,
    sequenceId: single?.sequence_id ?? meta.sequence_id + Math.max(0, id.batchIndex),
    nullValue,
    schemaVersion: meta.schema_version,
  };
}

/**
 * Reader start filtering: the broker starts at the entry holding the start id, so members of a
 * batch before it (and the id itself unless inclusive) are skipped here.
 */
export function isBeforeStart(id: MessageId, start: MessageId | undefined, inclusive: boolean): boolean {
  if (start === undefined || start === MessageId.earliest || start === MessageId.latest) return false;
  // Including a chunked message means including everything from its first chunk on.
  const s = inclusive ? start.startPosition : start;
  if (id.ledgerId !== s.ledgerId) return id.ledgerId < s.ledgerId;
  if (id.entryId !== s.entryId) return id.entryId < s.entryId;
  if (s.batchIndex < 0 || id.batchIndex < 0) return !inclusive;
  if (id.batchIndex !== s.batchIndex) return id.batchIndex < s.batchIndex;
  return !inclusive;
}
