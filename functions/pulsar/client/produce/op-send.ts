/**
 * One SEND in a producer's pending queue (a message, a batch, or one chunk of a large message)
 * and how messages become ops: metadata, chunk splitting, and the SEND frame.
 */
import { randomUUID } from 'node:crypto';
import {
  CommandType,
  encodePayloadCommand,
  MessageId,
  type BaseCommand,
  type MessageMetadata,
  type SingleMessageMetadata,
} from '../../wire/index.ts';
import { propertiesToList, type OutgoingMessage } from '../../api/index.ts';
import type { TxnId } from '../../api/index.ts';

export interface SendCallback {
  resolve: (id: MessageId) => void;
  reject: (err: unknown) => void;
}

export interface OpSend {
  sequenceId: number;
  highestSequenceId: number;
  numMessages: number;
  metadata: MessageMetadata;
  payload: Buffer;
  frame: Buffer | undefined;
  /** Written to the current connection (reset on reconnect). */
  written: boolean;
  /** Resolved or failed already (timed out ops may still sit in the write queue). */
  settled?: boolean;
  /** One per message; index = batch index. */
  callbacks: SendCallback[];
  batch: boolean;
  /** One chunk of a message larger than the broker's max message size. */
  chunk?: boolean;
  deadline: number;
}

/** Room left in each chunk for the command and metadata (the broker allows 10 KiB of padding). */
const CHUNK_HEADROOM_BYTES = 16 * 1024;

const textEncoder = new TextEncoder();

export function toBuffer(p: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(p)) return p;
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

export function sameTxn(a: TxnId | undefined, b: TxnId | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.mostBits === b.mostBits && a.leastBits === b.leastBits);
}

/** Largest chunk payload for a broker max message size. */
export function chunkLimitFor(maxMessageSize: number): number {
  return maxMessageSize - Math.min(CHUNK_HEADROOM_BYTES, Math.floor(maxMessageSize / 4));
}

export function newOp(
  sequenceId: number,
  metadata: MessageMetadata,
  payload: Buffer,
  callbacks: SendCallback[],
  extra: Partial<OpSend> = {},
): OpSend {
  return {
    sequenceId,
    highestSequenceId: sequenceId,
    numMessages: 1,
    metadata,
    payload,
    frame: undefined,
    written: false,
    callbacks,
    batch: false,
    deadline: 0,
    ...extra,
  };
}

/** The per-message metadata of a batch member. */
export function batchMemberMetadata(
  m: OutgoingMessage,
  payload: Buffer,
): { single: SingleMessageMetadata; orderingKey: Buffer | undefined } {
  const orderingKey =
    m.orderingKey === undefined
      ? undefined
      : typeof m.orderingKey === 'string'
        ? Buffer.from(textEncoder.encode(m.orderingKey))
        : m.orderingKey;
  const single: SingleMessageMetadata = { payload_size: payload.length };
  if (m.properties !== undefined) single.properties = propertiesToList(m.properties);
  if (m.key !== undefined) single.partition_key = m.key;
  if (orderingKey !== undefined) single.ordering_key = orderingKey;
  if (m.eventTimeMs !== undefined) single.event_time = m.eventTimeMs;
  if (m.nullValue) single.null_value = true;
  return { single, orderingKey };
}

/** The entry metadata of a message sent on its own (producer name and publish time come later). */
export function singleMessageMetadata(m: OutgoingMessage, seq: number, txn: TxnId | undefined): MessageMetadata {
  const metadata: MessageMetadata = { producer_name: '', sequence_id: seq, publish_time: 0 };
  if (m.properties !== undefined) metadata.properties = propertiesToList(m.properties);
  if (m.key !== undefined) metadata.partition_key = m.key;
  if (m.orderingKey !== undefined) metadata.ordering_key = toBuffer(m.orderingKey);
  if (m.eventTimeMs !== undefined) metadata.event_time = m.eventTimeMs;
  if (m.deliverAtMs !== undefined) metadata.deliver_at_time = m.deliverAtMs;
  if (m.nullValue) metadata.null_value = true;
  if (txn !== undefined) {
    metadata.txnid_most_bits = txn.mostBits;
    metadata.txnid_least_bits = txn.leastBits;
  }
  return metadata;
}

/**
 * Split one large (already compressed) message into chunks. Every chunk is its own entry carrying
 * uuid/chunk_id/num_chunks_from_msg and the same sequence id; the send resolves once every chunk
 * is stored, with the last chunk's id carrying the first chunk's ({@link MessageId.firstChunkId}).
 */
export function chunkOps(
  seq: number,
  metadata: MessageMetadata,
  body: Buffer,
  chunkLimit: number,
  publishTime: number,
  cb: SendCallback,
): OpSend[] {
  const n = Math.max(1, Math.ceil(body.length / chunkLimit));
  const uuid = randomUUID();
  const ops: OpSend[] = [];
  // Receipts come in order: the first chunk's id is known when the last one's arrives.
  let first: MessageId | undefined;
  for (let i = 0; i < n; i++) {
    const md: MessageMetadata = {
      ...metadata,
      publish_time: publishTime,
      uuid,
      chunk_id: i,
      num_chunks_from_msg: n,
      total_chunk_msg_size: body.length,
    };
    const part = body.subarray(i * chunkLimit, Math.min(body.length, (i + 1) * chunkLimit));
    const resolve =
      i === n - 1
        ? (id: MessageId): void => cb.resolve(n > 1 ? MessageId.chunked(first ?? id, id) : id)
        : i === 0
          ? (id: MessageId): void => void (first = id)
          : (): void => undefined;
    ops.push(newOp(seq, md, part, [{ resolve, reject: cb.reject }], { chunk: true }));
  }
  return ops;
}

/** The SEND frame of `op` (metadata carries the producer name given now). */
export function sendFrame(op: OpSend, producerId: number, producerName: string): Buffer {
  op.metadata.producer_name = producerName;
  const send: NonNullable<BaseCommand['send']> = { producer_id: producerId, sequence_id: op.sequenceId, num_messages: op.numMessages };
  if (op.batch) send.highest_sequence_id = op.highestSequenceId;
  if (op.chunk === true) send.is_chunk = true;
  if (op.metadata.txnid_most_bits !== undefined) {
    send.txnid_most_bits = op.metadata.txnid_most_bits;
    send.txnid_least_bits = op.metadata.txnid_least_bits ?? 0n;
  }
  return encodePayloadCommand({ type: CommandType.SEND, send }, op.metadata, op.payload);
}
