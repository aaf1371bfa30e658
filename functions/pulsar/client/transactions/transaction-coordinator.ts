/**
 * The client side of Pulsar's transaction coordinators (TCs): discovery through the partitions of
 * `persistent://pulsar/system/transaction_coordinator_assign` (partition i = TC i), one
 * TC_CLIENT_CONNECT per coordinator, and NEW_TXN / ADD_PARTITION_TO_TXN / ADD_SUBSCRIPTION_TO_TXN /
 * END_TXN routed by the txn id's most-significant bits modulo the coordinator count. A lost
 * connection or a coordinator that moved (TransactionCoordinatorNotFound) is re-looked-up and
 * retried with backoff until the operation timeout.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import { CommandType, TxnAction, type BaseCommand, type TxnResponse } from '../../wire/index.ts';
import { Backoff } from '../../../backoff.ts';
import type { Connection } from '../connection/connection.ts';
import type { ClientContext } from '../context.ts';
import { alreadyClosedError, type TxnId } from '../../api/index.ts';
import { partitionTopic } from '../../topic/index.ts';

/** The system topic whose partitions name the transaction coordinators. */
export const TC_ASSIGN_TOPIC = 'persistent://pulsar/system/transaction_coordinator_assign';

export type TransactionCoordinatorState = 'idle' | 'connecting' | 'ready' | 'closed';

/** A transaction id as the broker assigns it (two unsigned 64-bit halves). */

interface Coordinator {
  readonly id: number;
  conn: Connection | undefined;
  connecting: Promise<Connection> | undefined;
}

/** Codes worth retrying on a coordinator: it moved, was not ready, or the connection dropped. */
const RETRIABLE_CODES = new Set<string>([
  PULSAR_ERROR_CODES.txnCoordinatorNotFound,
  PULSAR_ERROR_CODES.serviceNotReady,
  PULSAR_ERROR_CODES.connectionClosed,
  // The coordinator's broker is restarting (connection refused or reset).
  PULSAR_ERROR_CODES.connectFailed,
  PULSAR_ERROR_CODES.timeout,
  PULSAR_ERROR_CODES.tooManyRequests,
  PULSAR_ERROR_CODES.lookupFailed,
]);

/** How END_TXN is retried (see endTxn). */
export interface EndTxnRetry {
  /** Give up after this long. @default the client's operationTimeoutMs */
  readonly deadlineMs?: number;
  /** Longest wait between attempts. @default the client's maxBackoffMs */
  readonly maxBackoffMs?: number;
  /**
   * Longest wait for one attempt's reply before asking again. A coordinator can lose a request
   * without closing the connection (after a broker restart its own call to a topic that failed
   * to recover can vanish with the broker-internal connection), and waiting out the whole
   * operation timeout then stalls the caller for it. @default the client's operationTimeoutMs
   */
  readonly attemptTimeoutMs?: number;
  /** Called before each retry (after a failed attempt), e.g. to note the request may have landed. */
  readonly onRetry?: (err: unknown) => void;
}

interface CallRetry extends EndTxnRetry {
  /** Retry every error marked retriable, not only RETRIABLE_CODES. */
  readonly anyRetriable?: boolean;
}

export function txnCoordinatorNotFound(message: string, details: Record<string, unknown> = {}): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.txnCoordinatorNotFound, message, { retriable: true, details });
}

export class TransactionCoordinatorClient {
  readonly #ctx: ClientContext;
  readonly #log: Logger;
  #state: TransactionCoordinatorState = 'idle';
  #coordinators: Coordinator[] = [];
  #starting: Promise<void> | undefined;
  #rr = 0;

  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
    this.#log = ctx.logger.child({ component: 'pulsar-txn-coordinator' });
  }

  get state(): TransactionCoordinatorState {
    return this.#state;
  }

  /** Number of coordinators found (0 before start). */
  get coordinatorCount(): number {
    return this.#coordinators.length;
  }

  /** Discover the coordinators and connect to each (idempotent; concurrent callers share one start). */
  start(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(alreadyClosedError('transaction coordinator client'));
    if (this.#starting === undefined) {
      this.#state = 'connecting';
      this.#starting = this.#discover().then(
        () => {
          if (this.#state === 'connecting') this.#state = 'ready';
        },
        (err: unknown) => {
          this.#starting = undefined;
          if (this.#state === 'connecting') this.#state = 'idle';
          throw err;
        },
      );
    }
    return this.#starting;
  }

  /** NEW_TXN on the next coordinator (round-robin); the coordinator aborts it after `ttlMs`. */
  async newTxn(ttlMs: number): Promise<TxnId> {
    await this.start();
    const tcId = this.#rr++ % this.#coordinators.length;
    const resp = await this.#call(tcId, 'new transaction', (rid) => ({
      type: CommandType.NEW_TXN,
      // Despite its name, brokers (and the Java client) treat txn_ttl_seconds as milliseconds.
      newTxn: { request_id: rid, txn_ttl_seconds: ttlMs, tc_id: tcId },
    }));
    const r = resp.newTxnResponse as TxnResponse;
    return { mostBits: r.txnid_most_bits ?? 0n, leastBits: r.txnid_least_bits ?? 0n };
  }

  async addPartitions(txn: TxnId, partitions: readonly string[]): Promise<void> {
    await this.#call(this.#route(txn), 'add partition to transaction', (rid) => ({
      type: CommandType.ADD_PARTITION_TO_TXN,
      addPartitionToTxn: { request_id: rid, txnid_most_bits: txn.mostBits, txnid_least_bits: txn.leastBits, partitions: [...partitions] },
    }));
  }

  async addSubscription(txn: TxnId, topic: string, subscription: string): Promise<void> {
    await this.#call(this.#route(txn), 'add subscription to transaction', (rid) => ({
      type: CommandType.ADD_SUBSCRIPTION_TO_TXN,
      addSubscriptionToTxn: {
        request_id: rid,
        txnid_most_bits: txn.mostBits,
        txnid_least_bits: txn.leastBits,
        subscription: [{ topic, subscription }],
      },
    }));
  }

  /**
   * END_TXN. Unlike the other calls, it is retried on every retriable failure (an UnknownError
   * from a coordinator that is still recovering included) until `deadlineMs` (default: the
   * operation timeout), with backoff capped at `maxBackoffMs`, so a retry lands soon after the
   * coordinator is back. Ending a transaction twice is safe: the coordinator answers a repeat
   * with the status it reached (the caller reads it, see transaction.ts).
   */
  async endTxn(txn: TxnId, action: 'commit' | 'abort', retry: EndTxnRetry = {}): Promise<void> {
    await this.#call(
      this.#route(txn),
      action === 'commit' ? 'commit transaction' : 'abort transaction',
      (rid) => ({
        type: CommandType.END_TXN,
        endTxn: {
          request_id: rid,
          txnid_most_bits: txn.mostBits,
          txnid_least_bits: txn.leastBits,
          txn_action: action === 'commit' ? TxnAction.COMMIT : TxnAction.ABORT,
        },
      }),
      { ...retry, anyRetriable: true },
    );
  }

  close(): void {
    this.#state = 'closed';
    this.#coordinators = [];
  }

  // --- internals -------------------------------------------------------------------------------

  /** The coordinator that owns a txn: the one whose id is the txn's most-significant bits mod N. */
  #route(txn: TxnId): number {
    const n = this.#coordinators.length;
    if (n === 0) throw txnCoordinatorNotFound('transaction coordinators not discovered yet');
    return Number(txn.mostBits % BigInt(n));
  }

  async #discover(): Promise<void> {
    const n = await this.#ctx.lookup.partitions(TC_ASSIGN_TOPIC);
    if (n === 0) {
      throw txnCoordinatorNotFound('no transaction coordinators: transactions are not enabled on this cluster', { topic: TC_ASSIGN_TOPIC });
    }
    this.#coordinators = Array.from({ length: n }, (_, id) => ({ id, conn: undefined, connecting: undefined }));
    // One reachable coordinator is enough to start; the others connect on first use.
    const results = await Promise.allSettled(this.#coordinators.map((c) => this.#connection(c)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    if (ok === 0) throw (results[0] as PromiseRejectedResult).reason;
    this.#log.debug({ coordinators: n, connected: ok }, 'transaction coordinators discovered');
  }

  /** The coordinator's connection, looked up and TC_CLIENT_CONNECTed when missing. */
  #connection(c: Coordinator): Promise<Connection> {
    if (c.conn !== undefined && c.conn.state === 'ready') return Promise.resolve(c.conn);
    if (c.connecting === undefined) {
      c.connecting = (async () => {
        const { logicalUrl, physicalUrl } = await this.#ctx.lookup.lookup(partitionTopic(TC_ASSIGN_TOPIC, c.id));
        const conn = await this.#ctx.pool.get(logicalUrl, physicalUrl);
        const rid = conn.newRequestId();
        await conn.request(
          { type: CommandType.TC_CLIENT_CONNECT_REQUEST, tcClientConnectRequest: { request_id: rid, tc_id: c.id } },
          rid,
          'transaction coordinator connect',
        );
        c.conn = conn;
        return conn;
      })().finally(() => {
        c.connecting = undefined;
      });
    }
    return c.connecting;
  }

  /**
   * One request to coordinator `tcId`, retried on retriable failures until the deadline (the
   * operation timeout unless `retry` says otherwise).
   */
  async #call(tcId: number, what: string, build: (requestId: number) => BaseCommand, retry: CallRetry = {}): Promise<BaseCommand> {
    const budgetMs = this.#ctx.operationTimeoutMs;
    const deadline = this.#ctx.clock.monotonic() + (retry.deadlineMs ?? budgetMs);
    const backoff = new Backoff(this.#ctx.initialBackoffMs, Math.min(this.#ctx.maxBackoffMs, retry.maxBackoffMs ?? Infinity));
    for (let attempt = 1; ; attempt++) {
      if (this.#state === 'closed') throw alreadyClosedError('transaction coordinator client');
      const c = this.#coordinators[tcId];
      if (c === undefined) throw txnCoordinatorNotFound('unknown transaction coordinator', { tcId });
      try {
        const conn = await this.#connection(c);
        const rid = conn.newRequestId();
        const left = Math.max(1, deadline - this.#ctx.clock.monotonic());
        return await conn.request(build(rid), rid, what, Math.min(left, retry.attemptTimeoutMs ?? budgetMs));
      } catch (err) {
        const code = err instanceof BeamlineError ? err.code : '';
        const retriable = RETRIABLE_CODES.has(code) || (retry.anyRetriable === true && err instanceof BeamlineError && err.retriable);
        if (!retriable) throw err;
        // The coordinator may have moved to another broker: look it up again next time.
        if (code === PULSAR_ERROR_CODES.txnCoordinatorNotFound || code === PULSAR_ERROR_CODES.serviceNotReady) c.conn = undefined;
        const delay = backoff.next();
        if (this.#ctx.clock.monotonic() + delay >= deadline) throw err;
        retry.onRetry?.(err);
        this.#log.debug({ tcId, attempt, code, operation: what }, 'transaction coordinator request failed, retrying');
        await this.#ctx.clock.sleep(delay);
      }
    }
  }
}
