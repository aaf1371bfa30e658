/**
 * One MESSAGE entry to application Messages: checksum, decompression, batch expansion, and the
 * members the application must not see (compacted out, acked per the broker's ack_set or
 * locally, before a reader's start).
 */
import { decodeBatch, decompress, MessageId, type BaseCommand, type DecodedPayload } from '../../wire/index.ts';
import { BatchAcks } from './batch-acks.ts';
import type { Message } from '../../api/index.ts';
import { buildMessage, isBeforeStart } from '../produce/message-builder.ts';

/** CommandAck.ValidationError values: why a discarded entry is acked. */
const VALIDATION_DECOMPRESSION = 1;
const VALIDATION_CHECKSUM = 2;
const VALIDATION_BATCH = 3;

export interface EntryFilter {
  readonly start: MessageId | undefined;
  readonly startInclusive: boolean;
  readonly batchAcks: BatchAcks;
}

export type DecodedEntry =
  /** Undecodable: ack it with the validation error and return `permits`. */
  | { readonly kind: 'corrupt'; readonly validationError: number; readonly permits: number; readonly cause: unknown }
  /** One chunk of a chunked message (reassembled by the caller). */
  | { readonly kind: 'chunk'; readonly id: MessageId }
  /** `skipped` members were filtered out; their permits go back to the broker. */
  | { readonly kind: 'messages'; readonly messages: Message[]; readonly skipped: number };

export function decodeEntry(
  topic: string,
  partition: number,
  cmd: NonNullable<BaseCommand['message']>,
  payload: DecodedPayload,
  filter: EntryFilter,
): DecodedEntry {
  const mid = cmd.message_id;
  const ledgerId = BigInt.asIntN(64, mid.ledgerId);
  const entryId = BigInt.asIntN(64, mid.entryId);
  if (!payload.checksumValid) return { kind: 'corrupt', validationError: VALIDATION_CHECKSUM, permits: 1, cause: undefined };
  const meta = payload.metadata;
  if ((meta.num_chunks_from_msg ?? 0) > 1 && meta.uuid !== undefined)
    return { kind: 'chunk', id: new MessageId(ledgerId, entryId, partition) };
  let body: Buffer;
  try {
    body = decompress(meta.compression ?? 0, payload.payload, meta.uncompressed_size ?? payload.payload.length);
  } catch (cause) {
    return { kind: 'corrupt', validationError: VALIDATION_DECOMPRESSION, permits: meta.num_messages_in_batch ?? 1, cause };
  }
  const redeliveryCount = cmd.redelivery_count ?? 0;
  if (meta.num_messages_in_batch === undefined) {
    const id = new MessageId(ledgerId, entryId, partition);
    if (isBeforeStart(id, filter.start, filter.startInclusive)) return { kind: 'messages', messages: [], skipped: 1 };
    return { kind: 'messages', messages: [buildMessage(topic, id, meta, body, redeliveryCount, undefined)], skipped: 0 };
  }
  const n = meta.num_messages_in_batch;
  let entries;
  try {
    entries = decodeBatch(body, n);
  } catch {
    return { kind: 'corrupt', validationError: VALIDATION_BATCH, permits: n, cause: undefined };
  }
  const entryKey = BatchAcks.key(ledgerId, entryId);
  const local = filter.batchAcks.get(entryKey);
  const ackSet = cmd.ack_set !== undefined && cmd.ack_set.length > 0 ? cmd.ack_set : undefined;
  const messages: Message[] = [];
  let skipped = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as (typeof entries)[number];
    const id = MessageId.inEntry(ledgerId, entryId, partition, i, n, entryKey);
    if (
      e.metadata.compacted_out === true ||
      (ackSet !== undefined && !BatchAcks.bitSet(ackSet, i)) ||
      (local !== undefined && local.acked[i] === 1) ||
      isBeforeStart(id, filter.start, filter.startInclusive)
    ) {
      skipped++;
      continue;
    }
    messages.push(buildMessage(topic, id, meta, e.payload, redeliveryCount, e.metadata));
  }
  return { kind: 'messages', messages, skipped };
}
