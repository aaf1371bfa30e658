/**
 * When a producer's open batches are sealed: when full, after batchingMaxDelayMs, when a message
 * of another transaction arrives (a batch is one entry with one txn id; brokers store
 * transactional entries one at a time, so batching them matters for throughput), or on flush.
 */
import type { Clock, TimerHandle } from '../../../clock.ts';
import { BatchBuilder, type BatchedMessage, type OpenBatch } from './batch-builder.ts';
import { sameTxn } from './op-send.ts';
import type { ProducerConfig } from '../../api/index.ts';
import type { TxnId } from '../../api/index.ts';

export type SealBatch = (b: OpenBatch, txn: TxnId | undefined) => void;

export class ProducerBatches {
  readonly #builder: BatchBuilder;
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #seal: SealBatch;
  #timer: TimerHandle | undefined;
  /** The transaction of the messages in the open batches (all share one). */
  #txn: TxnId | undefined;

  constructor(cfg: ProducerConfig, clock: Clock, seal: SealBatch) {
    this.#builder = new BatchBuilder(cfg.batchingType, cfg.batchingMaxMessages, cfg.batchingMaxBytes);
    this.#clock = clock;
    this.#delayMs = cfg.batchingMaxDelayMs;
    this.#seal = seal;
  }

  add(m: BatchedMessage, txn: TxnId | undefined): void {
    if (this.#builder.messageCount > 0 && !sameTxn(this.#txn, txn)) this.flush();
    this.#txn = txn;
    const full = this.#builder.add(m);
    if (full !== undefined) this.#seal(full, this.#txn);
    if (this.#builder.messageCount > 0 && this.#timer === undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#delayMs);
    }
  }

  /** Seal every open batch now, oldest first. */
  flush(): void {
    this.#stopTimer();
    for (const b of this.#builder.drain()) this.#seal(b, this.#txn);
  }

  /** Fail the messages of every open batch (the producer is shutting down). */
  discard(err: unknown): void {
    this.#stopTimer();
    for (const b of this.#builder.drain()) for (const m of b.messages) m.reject(err);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
