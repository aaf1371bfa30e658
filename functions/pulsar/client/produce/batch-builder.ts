/**
 * Open batches of a producer. 'default' keeps one batch; 'key-based' keeps one batch per
 * ordering/partition key so every batch stays routable as a unit under Key_Shared.
 */
import { encodeBatch, type MessageId, type MessageMetadata, type SingleMessageMetadata } from '../../wire/index.ts';
import type { BatchingType } from '../../api/index.ts';

export interface BatchedMessage {
  readonly metadata: SingleMessageMetadata;
  readonly payload: Buffer;
  readonly key: string | undefined;
  readonly orderingKey: Buffer | undefined;
  readonly resolve: (id: MessageId) => void;
  readonly reject: (err: unknown) => void;
}

export interface OpenBatch {
  readonly groupKey: string;
  readonly messages: BatchedMessage[];
  bytes: number;
  /** Arrival order of the first message, so batches flush in send order. */
  readonly order: number;
}

export class BatchBuilder {
  readonly #type: BatchingType;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #open = new Map<string, OpenBatch>();
  #count = 0;
  #order = 0;

  constructor(type: BatchingType, maxMessages: number, maxBytes: number) {
    this.#type = type;
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
  }

  get messageCount(): number {
    return this.#count;
  }

  /** Adds a message; returns the batch when it is full and must be sealed now. */
  add(m: BatchedMessage): OpenBatch | undefined {
    const groupKey = this.#type === 'key-based' ? (m.orderingKey?.toString('base64') ?? m.key ?? '') : '';
    let b = this.#open.get(groupKey);
    if (b !== undefined && b.messages.length > 0 && b.bytes + m.payload.length > this.#maxBytes) {
      // Adding this one would overflow the byte limit: seal the current batch first.
      this.#open.delete(groupKey);
      this.#count -= b.messages.length;
      const sealed = b;
      b = this.#newBatch(groupKey);
      b.messages.push(m);
      b.bytes += m.payload.length;
      this.#count++;
      return sealed;
    }
    if (b === undefined) b = this.#newBatch(groupKey);
    b.messages.push(m);
    b.bytes += m.payload.length;
    this.#count++;
    if (b.messages.length >= this.#maxMessages || b.bytes >= this.#maxBytes) {
      this.#open.delete(groupKey);
      this.#count -= b.messages.length;
      return b;
    }
    return undefined;
  }

  /** Seal every open batch, oldest first. */
  drain(): OpenBatch[] {
    const all = [...this.#open.values()].sort((a, b) => a.order - b.order);
    this.#open.clear();
    this.#count = 0;
    return all;
  }

  #newBatch(groupKey: string): OpenBatch {
    const b: OpenBatch = { groupKey, messages: [], bytes: 0, order: this.#order++ };
    this.#open.set(groupKey, b);
    return b;
  }
}

/**
 * Serialize a sealed batch whose first message gets `firstSequenceId`: the batch payload and the
 * entry's MessageMetadata (producer name, publish time and compression are filled in later).
 */
export function sealBatch(b: OpenBatch, firstSequenceId: number): { metadata: MessageMetadata; payload: Buffer } {
  const n = b.messages.length;
  const seq = firstSequenceId;
  b.messages.forEach((m, i) => (m.metadata.sequence_id = seq + i));
  const payload = encodeBatch(b.messages.map((m) => ({ metadata: m.metadata, payload: m.payload })));
  const metadata: MessageMetadata = {
    producer_name: '',
    sequence_id: seq,
    publish_time: 0,
    num_messages_in_batch: n,
    highest_sequence_id: seq + n - 1,
  };
  // A batch is dispatched (Key_Shared) and compacted by the key on its outer metadata: set it
  // only when every message agrees, which key-based batching guarantees.
  const first = b.messages[0] as BatchedMessage;
  if (first.key !== undefined && b.messages.every((m) => m.key === first.key)) metadata.partition_key = first.key;
  if (first.orderingKey !== undefined && b.messages.every((m) => m.orderingKey?.equals(first.orderingKey as Buffer))) {
    metadata.ordering_key = first.orderingKey;
  }
  return { metadata, payload };
}
