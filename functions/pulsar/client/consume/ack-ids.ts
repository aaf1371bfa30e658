/**
 * The message ids an ACK or REDELIVER command names for application message ids: entries as
 * the broker knows them (unsigned, no batch index), chunked messages as all their chunks, batch
 * members as ack_set bitsets over their entry.
 */
import type { MessageId, MessageIdData } from '../../wire/index.ts';
import { BatchAcks } from './batch-acks.ts';

/** The chunk ids behind a delivered chunked message, or undefined. */
export type ChunkIdsOf = (id: MessageId) => MessageId[] | undefined;

export function entryData(id: MessageId): MessageIdData {
  return { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId) };
}

/** Ids of one transactional ACK: members of one batch share one entry with an ack_set clearing all of them. */
export function txnAckIds(ids: readonly MessageId[], chunkIdsOf: ChunkIdsOf): MessageIdData[] {
  const entries = new Map<string, { ledgerId: bigint; entryId: bigint; batchSize: number; members: Set<number> }>();
  const data: MessageIdData[] = [];
  for (const id of ids) {
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      const { ledgerId, entryId } = entryData(id);
      const k = `${ledgerId}:${entryId}`;
      let e = entries.get(k);
      if (e === undefined) {
        e = { ledgerId, entryId, batchSize: id.batchSize, members: new Set() };
        entries.set(k, e);
      }
      e.members.add(id.batchIndex);
      continue;
    }
    for (const c of chunkIdsOf(id) ?? [id]) data.push(entryData(c));
  }
  for (const e of entries.values())
    data.push({ ledgerId: e.ledgerId, entryId: e.entryId, ack_set: BatchAcks.bitsExcept(e.batchSize, e.members), batch_size: e.batchSize });
  return data;
}

/**
 * The position of a cumulative ack up to `id`, or undefined when there is nothing to ack yet.
 * Inside a batch the members up to `id` are marked in `batchAcks`.
 */
export function cumulativeAckId(id: MessageId, batchAcks: BatchAcks, batchIndexAckEnabled: boolean): MessageIdData | undefined {
  if (id.batchIndex >= 0 && id.batchSize > 1 && id.batchIndex < id.batchSize - 1) {
    const s = batchAcks.ackUpTo(BatchAcks.key(id.ledgerId, id.entryId), id.batchSize, id.batchIndex);
    if (batchIndexAckEnabled) return { ...entryData(id), ack_set: BatchAcks.unackedBits(s), batch_size: id.batchSize };
    // Without batch-index acks the broker would ack the whole entry: stop at the previous one.
    if (id.entryId > 0n) return { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId - 1n) };
    return undefined;
  }
  return entryData(id);
}

/** Distinct entries behind `ids` (a batch is redelivered as a whole entry). */
export function redeliverIds(ids: readonly MessageId[], chunkIdsOf: ChunkIdsOf): MessageIdData[] {
  const seen = new Set<string>();
  const list: MessageIdData[] = [];
  for (const id of ids.flatMap((i) => chunkIdsOf(i) ?? [i])) {
    const k = BatchAcks.key(id.ledgerId, id.entryId);
    if (seen.has(k)) continue;
    seen.add(k);
    list.push(entryData(id));
  }
  return list;
}
