/**
 * Exact Pulsar message ids. Ledger and entry ids are unsigned 64-bit on the broker, so they are
 * bigint here and never pass through a lossy number.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import { MessageIdDataDef, type MessageIdData } from './common-messages.ts';
import { decodeMessage } from './proto-reader.ts';
import { encodeMessage } from './proto-writer.ts';

export class MessageId {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
  /** -1 for a non-partitioned topic. */
  readonly partition: number;
  /** -1 when the entry is not a batch. */
  readonly batchIndex: number;
  /** Messages in the batch this id belongs to (0 when not a batch). */
  readonly batchSize: number;
  /**
   * For a chunked message (PIP-37): the first chunk's position, this id itself being the last
   * chunk's (MessageIdData field 7, `first_chunk_message_id`, like the Java client's
   * ChunkMessageIdImpl). Inclusive readers and seeks start here so the whole message is read
   * again; comparison and equality use the last chunk, as in the Java client. Undefined for every
   * other message.
   */
  readonly firstChunkId: MessageId | undefined;
  /** Memoized strings: acks and trackers key maps by them for every message (#18). */
  #entryKey: string | undefined;
  #string: string | undefined;

  constructor(ledgerId: bigint, entryId: bigint, partition = -1, batchIndex = -1, batchSize = 0, firstChunkId?: MessageId) {
    this.ledgerId = ledgerId;
    this.entryId = entryId;
    this.partition = partition;
    this.batchIndex = batchIndex;
    this.batchSize = batchSize;
    this.firstChunkId = firstChunkId;
  }

  /**
   * A member of an entry whose `entryKey` the caller already built: the members of one batch
   * share the string instead of converting the same two bigints once per message.
   */
  static inEntry(ledgerId: bigint, entryId: bigint, partition: number, batchIndex: number, batchSize: number, entryKey: string): MessageId {
    const id = new MessageId(ledgerId, entryId, partition, batchIndex, batchSize);
    id.#entryKey = entryKey;
    return id;
  }

  /** `ledger:entry`: the entry (batch) this id belongs to, as a map key. */
  get entryKey(): string {
    return (this.#entryKey ??= `${this.ledgerId}:${this.entryId}`);
  }

  /** The id of a chunked message: the last chunk's position carrying the first chunk's. */
  static chunked(first: MessageId, last: MessageId): MessageId {
    return new MessageId(last.ledgerId, last.entryId, last.partition, -1, 0, new MessageId(first.ledgerId, first.entryId, first.partition));
  }

  /** Where a reader or seek that includes this message starts: the first chunk of a chunked message. */
  get startPosition(): MessageId {
    return this.firstChunkId ?? this;
  }

  /** The position before every message (Java MessageId.earliest). */
  static readonly earliest: MessageId = new MessageId(-1n, -1n);
  /** The position after the last message (Java MessageId.latest). */
  static readonly latest: MessageId = new MessageId(0x7fffffffffffffffn, 0x7fffffffffffffffn);

  static fromData(d: MessageIdData, partitionOverride?: number): MessageId {
    const first = d.first_chunk_message_id;
    const partition = partitionOverride ?? d.partition ?? -1;
    return new MessageId(
      BigInt.asIntN(64, d.ledgerId),
      BigInt.asIntN(64, d.entryId),
      partition,
      d.batch_index ?? -1,
      d.batch_size ?? 0,
      first === undefined
        ? undefined
        : new MessageId(
            BigInt.asIntN(64, first.ledgerId),
            BigInt.asIntN(64, first.entryId),
            partitionOverride ?? first.partition ?? partition,
          ),
    );
  }

  toData(): MessageIdData {
    const d: MessageIdData = { ledgerId: BigInt.asUintN(64, this.ledgerId), entryId: BigInt.asUintN(64, this.entryId) };
    if (this.partition >= 0) d.partition = this.partition;
    if (this.batchIndex >= 0) d.batch_index = this.batchIndex;
    if (this.batchSize > 0) d.batch_size = this.batchSize;
    if (this.firstChunkId !== undefined) d.first_chunk_message_id = this.firstChunkId.toData();
    return d;
  }

  /** MessageIdData bytes, the same serialization the Java client's toByteArray() produces. */
  toBytes(): Buffer {
    return encodeMessage(MessageIdDataDef, this.toData());
  }

  static fromBytes(bytes: Uint8Array): MessageId {
    try {
      return MessageId.fromData(decodeMessage<MessageIdData>(MessageIdDataDef, bytes));
    } catch (cause) {
      throw new BeamlineError(PULSAR_ERROR_CODES.messageIdInvalid, 'bytes are not a serialized message id', { cause });
    }
  }

  /** `ledger:entry:partition:batchIndex` (a chunked message's last chunk; see {@link firstChunkId}). */
  toString(): string {
    return (this.#string ??= `${this.entryKey}:${this.partition}:${this.batchIndex}`);
  }

  static parse(s: string): MessageId {
    const parts = s.split(':');
    if (parts.length < 2 || parts.length > 4) {
      throw new BeamlineError(PULSAR_ERROR_CODES.messageIdInvalid, 'message id must look like ledger:entry[:partition[:batchIndex]]', {
        details: { value: s },
      });
    }
    try {
      return new MessageId(BigInt(parts[0] as string), BigInt(parts[1] as string), Number(parts[2] ?? -1), Number(parts[3] ?? -1));
    } catch (cause) {
      throw new BeamlineError(PULSAR_ERROR_CODES.messageIdInvalid, 'message id parts must be integers', { cause, details: { value: s } });
    }
  }

  /**
   * Order by ledger, entry, then batch index (a non-batch id sorts after its entry's batch
   * members). A chunked message's id orders by its last chunk, as the Java client's does.
   */
  compareTo(other: MessageId): number {
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1;
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1;
    const a = this.batchIndex < 0 ? Number.MAX_SAFE_INTEGER : this.batchIndex;
    const b = other.batchIndex < 0 ? Number.MAX_SAFE_INTEGER : other.batchIndex;
    return a === b ? 0 : a < b ? -1 : 1;
  }

  /** Same position; a chunked message's id is equal by its last chunk, as in the Java client. */
  equals(other: MessageId): boolean {
    return (
      this.ledgerId === other.ledgerId &&
      this.entryId === other.entryId &&
      this.partition === other.partition &&
      this.batchIndex === other.batchIndex
    );
  }

  /** Same ledger and entry (the batch it belongs to). */
  sameEntry(other: MessageId): boolean {
    return this.ledgerId === other.ledgerId && this.entryId === other.entryId && this.partition === other.partition;
  }
}
