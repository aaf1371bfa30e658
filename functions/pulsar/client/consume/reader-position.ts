/**
 * Where a non-durable subscription (a reader) starts and resumes: the configured start id, then
 * after each delivery the last received id, so a resubscribe continues right after it.
 */
import { MessageId } from '../../wire/index.ts';
import { isBeforeStart } from '../produce/message-builder.ts';

export class ReaderPosition {
  #start: MessageId | undefined;
  #inclusive: boolean;
  #lastReceived: MessageId | undefined;
  #rollbackSec: number;

  constructor(start: MessageId | undefined, inclusive: boolean, rollbackSec = 0) {
    this.#start = start;
    this.#inclusive = inclusive;
    this.#rollbackSec = rollbackSec;
  }

  /**
   * The broker-side rewind (seconds) to ask for in SUBSCRIBE: only until the first delivery or
   * seek. A resubscribe after a delivery resumes at that id; asked again, the rewind would move
   * the new cursor back before it.
   */
  get rollbackSec(): number {
    return this.#rollbackSec;
  }

  get start(): MessageId | undefined {
    return this.#start;
  }
  get startInclusive(): boolean {
    return this.#inclusive;
  }
  get lastReceived(): MessageId | undefined {
    return this.#lastReceived;
  }

  received(id: MessageId): void {
    this.#lastReceived = id;
    this.#rollbackSec = 0;
  }

  /** Is `id` before the start (the broker starts at the entry holding it; members before are skipped)? */
  isBeforeStart(id: MessageId): boolean {
    return isBeforeStart(id, this.#start, this.#inclusive);
  }

  /** Before resubscribing: resume after the last message received, else at the start id. */
  resume(): void {
    if (this.#lastReceived === undefined) return;
    this.#start = this.#lastReceived;
    this.#inclusive = false;
  }

  /** After a SEEK to an id (inclusive) or a publish time. */
  seeked(target: MessageId | number): void {
    // After a seek by time the reset cursor is reused on resubscribe; `earliest` only matters if
    // it was dropped.
    this.#start = typeof target === 'number' ? MessageId.earliest : target;
    this.#inclusive = typeof target !== 'number';
    this.#lastReceived = undefined;
    this.#rollbackSec = 0;
  }
}
