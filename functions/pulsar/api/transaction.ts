/**
 * What both client implementations expose of a transaction (the native addon has none: its
 * newTransaction() rejects with BL_PULSAR_UNSUPPORTED_FEATURE). Our own client's Transaction
 * (functions/pulsar/client) implements it.
 */

export interface TxnId {
  readonly mostBits: bigint;
  readonly leastBits: bigint;
}

/**
 * `error`: an abort not confirmed (abort() may be retried); `unknown`: a commit whose outcome
 * could not be learned (commit() may be retried). The state machine: client/transactions/transaction.ts.
 */
export type TransactionState = 'open' | 'committing' | 'committed' | 'aborting' | 'aborted' | 'unknown' | 'error';

export interface TransactionOptions {
  /**
   * How long the transaction may stay open; the coordinator aborts it after this.
   * @default 60000
   */
  timeoutMs?: number;
  /**
   * How long commit() and abort() keep retrying END_TXN (across reconnects and coordinator
   * restarts) before they report the outcome as unknown (commit) or unconfirmed (abort).
   * @default 120000
   */
  outcomeTimeoutMs?: number;
}

export interface TransactionApi {
  readonly id: TxnId;
  readonly timeoutMs: number;
  readonly state: TransactionState;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
