/**
 * Individual acks of one consumer, grouped: acks made in one turn of the event loop go out as ONE
 * ACK command with many ids, and partly acked batches contribute one ack_set per entry, built at
 * flush time (acking a big batch member by member would otherwise build one bitset per message).
 */
import type { MessageIdData } from '../../wire/index.ts';
import { BatchAcks, type BatchAckState } from './batch-acks.ts';

interface PartialAck {
  ledgerId: bigint;
  entryId: bigint;
  state: BatchAckState;
}

export class PendingAcks {
  /** Sends the ids; false when there is no connection (the ids stay queued). */
  readonly #send: (ids: MessageIdData[]) => boolean;
  #queue: MessageIdData[] = [];
  readonly #partial = new Map<string, PartialAck>();
  #scheduled = false;

  constructor(send: (ids: MessageIdData[]) => boolean) {
    this.#send = send;
  }

  add(d: MessageIdData): void {
    this.#queue.push(d);
    this.#schedule();
  }

  /** A batch entry with some members acked; its current state is sent at the next flush. */
  addPartial(key: string, ledgerId: bigint, entryId: bigint, state: BatchAckState): void {
    this.#partial.set(key, { ledgerId, entryId, state });
    this.#schedule();
  }

  flush(): void {
    this.#scheduled = false;
    for (const p of this.#partial.values()) {
      // remaining 0: the whole entry was acked meanwhile and is already queued.
      if (p.state.remaining > 0)
        this.#queue.push({ ledgerId: p.ledgerId, entryId: p.entryId, ack_set: BatchAcks.unackedBits(p.state), batch_size: p.state.size });
    }
    this.#partial.clear();
    if (this.#queue.length === 0) return;
    const ids = this.#queue;
    if (this.#send(ids)) this.#queue = [];
  }

  /** Acks of a lost connection are moot: the broker redelivers everything unacknowledged. */
  clear(): void {
    this.#queue = [];
    this.#partial.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }
}
