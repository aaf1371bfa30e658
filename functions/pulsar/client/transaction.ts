/**
 * A Pulsar transaction: sends and acks made with `{ txn }` become visible (sends) or take effect
 * (acks) only when it commits, and never if it aborts. Registers each produced partition
 * (ADD_PARTITION_TO_TXN) and acked subscription (ADD_SUBSCRIPTION_TO_TXN) with the coordinator
 * once, before the first operation that needs it; commit() waits for every operation made in
 * the transaction and aborts instead if any of them failed.
 */
import type { Clock } from '../../clock.ts';
import { BeamlineError } from '../../errors.ts';
import type { TransactionCoordinatorClient, TxnId } from './transaction-coordinator.ts';

export type { TxnId } from './transaction-coordinator.ts';

export type TransactionState = 'open' | 'committing' | 'committed' | 'aborting' | 'aborted' | 'error';

export interface TransactionOptions {
  /**
   * How long the transaction may stay open; the coordinator aborts it after this.
   * @default 60000
   */
  timeoutMs?: number;
}

export interface TransactionConfig {
  readonly timeoutMs: number;
}

export function compileTransactionOptions(o: TransactionOptions = {}): TransactionConfig {
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new BeamlineError('BL_PULSAR_TXN_INVALID_OPTIONS', 'timeoutMs must be a positive integer (milliseconds)', {
      details: { field: 'timeoutMs', value: timeoutMs },
    });
  }
  return Object.freeze({ timeoutMs });
}

export function txnInvalidStateError(txn: string, state: TransactionState, operation: string): BeamlineError {
  return new BeamlineError('BL_PULSAR_TXN_INVALID_STATUS', `cannot ${operation}: transaction ${txn} is ${state}`, {
    retriable: false,
    details: { txn, state, operation },
  });
}

export function txnTimeoutError(txn: string, timeoutMs: number): BeamlineError {
  return new BeamlineError('BL_PULSAR_TXN_TIMEOUT', `transaction ${txn} timed out after ${timeoutMs} ms and was aborted`, {
    retriable: false,
    details: { txn, timeoutMs },
  });
}

export function txnOperationFailedError(txn: string, cause: unknown): BeamlineError {
  return new BeamlineError('BL_PULSAR_TXN_OPERATION_FAILED', `a send or ack in transaction ${txn} failed, so it was aborted instead of committed`, {
    retriable: false,
    cause,
    details: { txn, causeCode: cause instanceof BeamlineError ? cause.code : undefined },
  });
}

export class Transaction {
  readonly id: TxnId;
  readonly timeoutMs: number;
  readonly #tc: TransactionCoordinatorClient;
  readonly #clock: Clock;
  readonly #deadline: number;
  #state: TransactionState = 'open';
  readonly #partitions = new Map<string, Promise<void>>();
  readonly #subscriptions = new Map<string, Promise<void>>();
  readonly #ops = new Set<Promise<unknown>>();
  #opError: unknown;
  readonly #onAbort: (() => void)[] = [];
  #ending: Promise<void> | undefined;

  /** Made by `client.newTransaction()`. */
  constructor(tc: TransactionCoordinatorClient, id: TxnId, cfg: TransactionConfig, clock: Clock) {
    this.#tc = tc;
    this.id = Object.freeze({ mostBits: id.mostBits, leastBits: id.leastBits });
    this.timeoutMs = cfg.timeoutMs;
    this.#clock = clock;
    this.#deadline = clock.monotonic() + cfg.timeoutMs;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** `(most,least)` as Pulsar prints txn ids. */
  toString(): string {
    return `(${this.id.mostBits},${this.id.leastBits})`;
  }

  /** Commit: waits for every send/ack made in this transaction first; aborts if one failed. */
  commit(): Promise<void> {
    if (this.#state === 'committed') return Promise.resolve();
    if (this.#state !== 'open') return Promise.reject(txnInvalidStateError(this.toString(), this.#state, 'commit'));
    this.#state = 'committing';
    this.#ending = (async () => {
      await this.#settleOps();
      if (this.#opError !== undefined) {
        await this.#abortOnCoordinator();
        throw txnOperationFailedError(this.toString(), this.#opError);
      }
      if (this.#expired()) {
        await this.#abortOnCoordinator();
        throw txnTimeoutError(this.toString(), this.timeoutMs);
      }
      try {
        await this.#tc.endTxn(this.id, 'commit');
        this.#state = 'committed';
      } catch (err) {
        this.#state = 'error';
        if (this.#expired() && err instanceof BeamlineError && (err.code === 'BL_PULSAR_TXN_NOT_FOUND' || err.code === 'BL_PULSAR_TXN_INVALID_STATUS')) {
          this.#state = 'aborted';
          this.#runAbortHooks();
          throw txnTimeoutError(this.toString(), this.timeoutMs);
        }
        throw err;
      }
    })();
    return this.#ending;
  }

  /** Abort: nothing sent in it becomes visible, and its acked messages are delivered again. */
  abort(): Promise<void> {
    if (this.#state === 'aborted') return Promise.resolve();
    if (this.#state === 'aborting' && this.#ending !== undefined) return this.#ending;
    if (this.#state !== 'open' && this.#state !== 'error') return Promise.reject(txnInvalidStateError(this.toString(), this.#state, 'abort'));
    this.#state = 'aborting';
    this.#ending = (async () => {
      await this.#settleOps();
      await this.#abortOnCoordinator();
    })();
    return this.#ending;
  }

  // --- used by producers and consumers (not application API) ------------------------------------

  /** @internal Throws unless new operations may join the transaction. */
  checkOpen(operation: string): void {
    if (this.#state !== 'open') throw txnInvalidStateError(this.toString(), this.#state, operation);
    if (this.#expired()) throw txnTimeoutError(this.toString(), this.timeoutMs);
  }

  /** @internal Register `partition` for produce before its first transactional send (once). */
  registerProducedPartition(partition: string): Promise<void> {
    let p = this.#partitions.get(partition);
    if (p === undefined) {
      p = this.#tc.addPartitions(this.id, [partition]);
      this.#partitions.set(partition, p);
      p.catch(() => this.#partitions.delete(partition));
    }
    return p;
  }

  /** @internal Register `subscription` on `topic` before its first transactional ack (once). */
  registerAckedSubscription(topic: string, subscription: string): Promise<void> {
    const key = `${topic}\u0000${subscription}`;
    let p = this.#subscriptions.get(key);
    if (p === undefined) {
      p = this.#tc.addSubscription(this.id, topic, subscription);
      this.#subscriptions.set(key, p);
      p.catch(() => this.#subscriptions.delete(key));
    }
    return p;
  }

  /** @internal Track an operation so commit() waits for it (a failure turns commit into abort). */
  track<T>(op: Promise<T>): Promise<T> {
    this.#ops.add(op);
    op.then(
      () => this.#ops.delete(op),
      (err: unknown) => {
        this.#ops.delete(op);
        this.#opError ??= err;
      },
    );
    return op;
  }

  /** @internal Run `fn` after an abort (consumers ask the broker to redeliver what was acked). */
  onAbort(fn: () => void): void {
    this.#onAbort.push(fn);
  }

  // --- internals -------------------------------------------------------------------------------

  #expired(): boolean {
    return this.#clock.monotonic() >= this.#deadline;
  }

  async #settleOps(): Promise<void> {
    while (this.#ops.size > 0) await Promise.allSettled([...this.#ops]);
  }

  async #abortOnCoordinator(): Promise<void> {
    this.#state = 'aborting';
    try {
      await this.#tc.endTxn(this.id, 'abort');
    } catch (err) {
      // Already aborted by the coordinator (timed out): the outcome is the same.
      if (!(err instanceof BeamlineError && (err.code === 'BL_PULSAR_TXN_NOT_FOUND' || err.code === 'BL_PULSAR_TXN_INVALID_STATUS') && this.#expired())) {
        this.#state = 'error';
        throw err;
      }
    }
    this.#state = 'aborted';
    this.#runAbortHooks();
  }

  #runAbortHooks(): void {
    const hooks = this.#onAbort.splice(0);
    for (const h of hooks) h();
  }
}
