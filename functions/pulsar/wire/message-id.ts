/**
 * Exact Pulsar message ids. Ledger and entry ids are unsigned 64-bit on the broker, so they are
 * bigint here and never pass through a lossy number.
 */
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

  constructor(ledgerId: bigint, entryId: bigint, partition = -1, batchIndex = -1, batchSize = 0) {
    this.ledgerId = ledgerId;
    this.entryId = entryId;
    this.partition = partition;
    this.batchIndex = batchIndex;
    this.batchSize = batchSize;
  }

  /** The position before every message (Java MessageId.earliest). */
  static readonly earliest: MessageId = new MessageId(-1n, -1n);
  /** The position after the last message (Java MessageId.latest). */
  static readonly latest: MessageId = new MessageId(0x7fffffffffffffffn, 0x7fffffffffffffffn);

  static fromData(d: MessageIdData, partitionOverride?: number): MessageId {
    return new MessageId(
      BigInt.asIntN(64, d.ledgerId),
      BigInt.asIntN(64, d.entryId),
      partitionOverride ?? d.partition ?? -1,
      d.batch_index ?? -1,
      d.batch_size ?? 0,
    );
  }

  toData(): MessageIdData {
    const d: MessageIdData = { ledgerId: BigInt.asUintN(64, this.ledgerId), entryId: BigInt.asUintN(64, this.entryId) };
    if (this.partition >= 0) d.partition = this.partition;
    if (this.batchIndex >= 0) d.batch_index = this.batchIndex;
    if (this.batchSize > 0) d.batch_size = this.batchSize;
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
      throw new BeamlineError('BL_PULSAR_MESSAGE_ID_INVALID', 'bytes are not a serialized message id', { cause });
    }
  }

  /** `ledger:entry:partition:batchIndex`. */
  toString(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}:${this.batchIndex}`;
  }

  static parse(s: string): MessageId {
    const parts = s.split(':');
    if (parts.length < 2 || parts.length > 4) {
      throw new BeamlineError('BL_PULSAR_MESSAGE_ID_INVALID', 'message id must look like ledger:entry[:partition[:batchIndex]]', {
        details: { value: s },
      });
    }
    try {
      return new MessageId(BigInt(parts[0] as string), BigInt(parts[1] as string), Number(parts[2] ?? -1), Number(parts[3] ?? -1));
    } catch (cause) {
      throw new BeamlineError('BL_PULSAR_MESSAGE_ID_INVALID', 'message id parts must be integers', { cause, details: { value: s } });
    }
  }

  /** Order by ledger, entry, then batch index (a non-batch id sorts after its entry's batch members). */
  compareTo(other: MessageId): number {
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1;
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1;
    const a = this.batchIndex < 0 ? Number.MAX_SAFE_INTEGER : this.batchIndex;
    const b = other.batchIndex < 0 ? Number.MAX_SAFE_INTEGER : other.batchIndex;
    return a === b ? 0 : a < b ? -1 : 1;
  }

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
