/**
 * A Pulsar transaction: sends and acks made with `{ txn }` become visible (sends) or take effect
 * (acks) only when it commits, and never if it aborts. Registers each produced partition
 * (ADD_PARTITION_TO_TXN) and acked subscription (ADD_SUBSCRIPTION_TO_TXN) with the coordinator
 * once, before the first operation that needs it; commit() waits for every operation made in
 * the transaction and aborts instead if any of them failed.
 *
 * Outcome resolution (#27). A broker can die after it received END_TXN and before its reply
 * reached us: the transaction may then be committed although the request failed. So the end of
 * a transaction is never guessed from a failed request:
 *
 *   open --commit()--> committing --ops all ok--> END_TXN(commit), retried on every retriable
 *     |                    |                     failure (reconnects, coordinator restarts,
 *     |                    |                     UnknownError) until outcomeTimeoutMs:
 *     |                    |                       reply OK ............................ committed
 *     |                    |                       InvalidTxnStatus "... COMMITTED/COMMITTING" committed
 *     |                    |                       InvalidTxnStatus "... ABORTED/ABORTING" .. aborted
 *     |                    |                       TxnNotFound, no attempt could have landed aborted
 *     |                    |                         (the coordinator dropped it: timed out)
 *     |                    |                       TxnNotFound after an attempt that may have
 *     |                    |                         landed, or no answer before the deadline  unknown
 *     |                    |                       any other refusal -> abort (below)
 *     |                    +--an op failed / txn expired--> abort (below)
 *     +--abort()--> aborting: END_TXN(abort), retried the same way:
 *                     reply OK, "... ABORTED/ABORTING", or TxnNotFound ................ aborted
 *                       (commit was never requested, so the coordinator can only abort it)
 *                     no answer before the deadline ........................... error (abort()
 *                       may be called again; the coordinator still aborts it at its timeout)
 *
 *   unknown: commit() may be called again and resumes the END_TXN(commit) retries; the error
 *   BL_PULSAR_TXN_OUTCOME_UNKNOWN tells callers that the work may or may not have committed,
 *   which they must resolve from their own data (the worker reads its commit marker back).
 *
 * Abort hooks (consumers asking the broker to redeliver what the transaction acked) run only
 * once the abort is known.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import type { Clock } from '../../../clock.ts';
import { BeamlineError, isRetriable } from '../../../errors.ts';
import type { TransactionCoordinatorClient } from './transaction-coordinator.ts';
import type { TransactionApi, TransactionOptions, TransactionState, TxnId } from '../../api/index.ts';

export type { TransactionOptions, TransactionState, TxnId } from '../../api/index.ts';

/**
 * Longest wait for one END_TXN reply before asking again (the request is idempotent: the
 * coordinator answers a repeat from the status it reached, and a repeat while it is still ending
 * the transaction re-drives the same end). Measured after a broker restart: a coordinator's
 * END_TXN whose call to a topic was lost with the broker's own internal connection never
 * answered, and the worker waited out the 30 s operation timeout before asking again (#27).
 */
const END_TXN_ATTEMPT_TIMEOUT_MS = 3_000;

/** Longest wait between END_TXN attempts, so a retry lands soon after the coordinator is back. */
const END_TXN_MAX_BACKOFF_MS = 500;

export interface TransactionConfig {
  readonly timeoutMs: number;
  readonly outcomeTimeoutMs: number;
}

export function compileTransactionOptions(o: TransactionOptions = {}): TransactionConfig {
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new BeamlineError(PULSAR_ERROR_CODES.txnInvalidOptions, 'timeoutMs must be a positive integer (milliseconds)', {
      details: { field: 'timeoutMs', value: timeoutMs },
    });
  }
  const outcomeTimeoutMs = o.outcomeTimeoutMs ?? 120_000;
  if (!Number.isInteger(outcomeTimeoutMs) || outcomeTimeoutMs < 1) {
    throw new BeamlineError(PULSAR_ERROR_CODES.txnInvalidOptions, 'outcomeTimeoutMs must be a positive integer (milliseconds)', {
      details: { field: 'outcomeTimeoutMs', value: outcomeTimeoutMs },
    });
  }
  return Object.freeze({ timeoutMs, outcomeTimeoutMs });
}

/** A txn status as the coordinator names it in InvalidTxnStatus messages. */
export type CoordinatorTxnStatus = 'OPEN' | 'COMMITTING' | 'COMMITTED' | 'ABORTING' | 'ABORTED' | 'TIMEOUT';

/**
 * The status an InvalidTxnStatus reply says the transaction is in: the broker words it
 * "Expect Txn (x,y) to be in COMMITTING status but it is in COMMITTED status".
 */
export function reportedTxnStatus(err: unknown): CoordinatorTxnStatus | undefined {
  if (!(err instanceof BeamlineError) || err.code !== PULSAR_ERROR_CODES.txnInvalidStatus) return undefined;
  const m = /it is in (OPEN|COMMITTING|COMMITTED|ABORTING|ABORTED|TIMEOUT) status/i.exec(err.message);
  return m === null ? undefined : ((m[1] as string).toUpperCase() as CoordinatorTxnStatus);
}

export function txnOutcomeUnknownError(txn: string, cause: unknown): BeamlineError {
  return new BeamlineError(
    PULSAR_ERROR_CODES.txnOutcomeUnknown,
    `transaction ${txn}: commit was requested but the coordinator's answer could not be learned; it may or may not have committed (call commit() again to keep asking)`,
    { retriable: true, cause, details: { txn, causeCode: cause instanceof BeamlineError ? cause.code : undefined } },
  );
}

export function txnAbortedError(txn: string, cause: unknown): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.txnAborted, `transaction ${txn} was aborted by the coordinator before it could commit`, {
    retriable: false,
    cause,
    details: { txn },
  });
}

export function txnInvalidStateError(txn: string, state: TransactionState, operation: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.txnInvalidStatus, `cannot ${operation}: transaction ${txn} is ${state}`, {
    retriable: false,
    details: { txn, state, operation },
  });
}

export function txnTimeoutError(txn: string, timeoutMs: number): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.txnTimeout, `transaction ${txn} timed out after ${timeoutMs} ms and was aborted`, {
    retriable: false,
    details: { txn, timeoutMs },
  });
}

export function txnOperationFailedError(txn: string, cause: unknown): BeamlineError {
  return new BeamlineError(
    PULSAR_ERROR_CODES.txnOperationFailed,
    `a send or ack in transaction ${txn} failed, so it was aborted instead of committed`,
    {
      retriable: false,
      cause,
      details: { txn, causeCode: cause instanceof BeamlineError ? cause.code : undefined },
    },
  );
}

export class Transaction implements TransactionApi {
  readonly id: TxnId;
  readonly timeoutMs: number;
  readonly #outcomeTimeoutMs: number;
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
  /** An END_TXN(commit) may have reached the coordinator (so TxnNotFound no longer means aborted). */
  #commitMayHaveLanded = false;

  /** Made by `client.newTransaction()`. */
  constructor(tc: TransactionCoordinatorClient, id: TxnId, cfg: TransactionConfig, clock: Clock) {
    this.#tc = tc;
    this.id = Object.freeze({ mostBits: id.mostBits, leastBits: id.leastBits });
    this.timeoutMs = cfg.timeoutMs;
    this.#outcomeTimeoutMs = cfg.outcomeTimeoutMs;
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

  /**
   * Commit: waits for every send/ack made in this transaction first; aborts if one failed. Rejects
   * with BL_PULSAR_TXN_OUTCOME_UNKNOWN when the outcome could not be learned (then the state is
   * `unknown` and commit() may be called again); any other rejection means it did not commit.
   */
  commit(): Promise<void> {
    if (this.#state === 'committed') return Promise.resolve();
    if (this.#state === 'committing' && this.#ending !== undefined) return this.#ending;
    if (this.#state === 'unknown') {
      this.#state = 'committing';
      this.#ending = this.#endCommit();
      return this.#ending;
    }
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
      await this.#endCommit();
    })();
    return this.#ending;
  }

  /** Abort: nothing sent in it becomes visible, and its acked messages are delivered again. */
  abort(): Promise<void> {
    if (this.#state === 'aborted') return Promise.resolve();
    if (this.#state === 'aborting' && this.#ending !== undefined) return this.#ending;
    if (this.#state !== 'open' && this.#state !== 'error')
      return Promise.reject(txnInvalidStateError(this.toString(), this.#state, 'abort'));
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

  /** END_TXN(commit) until the coordinator answers; see the state machine at the top. */
  async #endCommit(): Promise<void> {
    const txn = this.toString();
    const mayHaveLanded = (): void => {
      this.#commitMayHaveLanded = true;
    };
    try {
      // The first attempt's failure may mean it landed: onRetry flags that before each retry.
      await this.#tc.endTxn(this.id, 'commit', {
        deadlineMs: this.#outcomeTimeoutMs,
        maxBackoffMs: END_TXN_MAX_BACKOFF_MS,
        attemptTimeoutMs: END_TXN_ATTEMPT_TIMEOUT_MS,
        onRetry: mayHaveLanded,
      });
      this.#state = 'committed';
      return;
    } catch (err) {
      const status = reportedTxnStatus(err);
      if (status === 'COMMITTED' || status === 'COMMITTING') {
        // An earlier attempt landed and its reply was lost; COMMITTING is logged, so the
        // coordinator finishes it (after a restart too).
        this.#state = 'committed';
        return;
      }
      if (status === 'ABORTED' || status === 'ABORTING' || status === 'TIMEOUT') {
        this.#aborted();
        throw this.#expired() ? txnTimeoutError(txn, this.timeoutMs) : txnAbortedError(txn, err);
      }
      const code = err instanceof BeamlineError ? err.code : '';
      const gone = code === PULSAR_ERROR_CODES.txnNotFound || (code === PULSAR_ERROR_CODES.txnInvalidStatus && this.#expired());
      if (gone && !this.#commitMayHaveLanded) {
        // Gone before any commit request reached it: the coordinator aborted it (timeout).
        this.#aborted();
        throw this.#expired() ? txnTimeoutError(txn, this.timeoutMs) : txnAbortedError(txn, err);
      }
      if (
        this.#commitMayHaveLanded ||
        code === PULSAR_ERROR_CODES.txnNotFound ||
        code === PULSAR_ERROR_CODES.txnInvalidStatus ||
        isRetriable(err) ||
        code === PULSAR_ERROR_CODES.alreadyClosed
      ) {
        this.#commitMayHaveLanded = true;
        this.#state = 'unknown';
        throw txnOutcomeUnknownError(txn, err);
      }
      // Refused outright (not a status, not a failure to reach it): it did not commit.
      this.#state = 'error';
      await this.#abortOnCoordinator();
      throw err;
    }
  }

  /** END_TXN(abort) until the coordinator answers; commit was never requested (or refused). */
  async #abortOnCoordinator(): Promise<void> {
    this.#state = 'aborting';
    try {
      await this.#tc.endTxn(this.id, 'abort', {
        deadlineMs: this.#outcomeTimeoutMs,
        maxBackoffMs: END_TXN_MAX_BACKOFF_MS,
        attemptTimeoutMs: END_TXN_ATTEMPT_TIMEOUT_MS,
      });
    } catch (err) {
      const status = reportedTxnStatus(err);
      const code = err instanceof BeamlineError ? err.code : '';
      // Already aborted (by an earlier attempt or the coordinator's timeout), or forgotten after
      // that: the outcome is the same, since no commit was ever requested.
      const aborted = status === 'ABORTED' || status === 'ABORTING' || status === 'TIMEOUT' || code === PULSAR_ERROR_CODES.txnNotFound;
      if (!aborted && !(code === PULSAR_ERROR_CODES.txnInvalidStatus && status === undefined && this.#expired())) {
        this.#state = 'error';
        throw err;
      }
    }
    this.#aborted();
  }

  #aborted(): void {
    this.#state = 'aborted';
    this.#runAbortHooks();
  }

  #runAbortHooks(): void {
    const hooks = this.#onAbort.splice(0);
    for (const h of hooks) h();
  }
}
