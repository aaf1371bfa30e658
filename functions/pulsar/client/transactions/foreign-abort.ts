/**
 * Ending a transaction this client did not open (#17): a new owner of a partition aborts the
 * transactions its crashed or fenced predecessor left open, instead of waiting for the
 * coordinator's timeout. The coordinator accepts END_TXN from the role that opened the
 * transaction (or a superuser), so replicas sharing a role may end each other's.
 *
 * Resolves only once the coordinator has finished with the transaction: aborted (its markers
 * written, its pending acks released), committed (a commit won the race), or ended (no longer
 * known: it finished one way or the other, or never existed). A transaction that is still
 * COMMITTING or ABORTING is asked again until it is not.
 */
import type { Clock } from '../../../clock.ts';
import { BeamlineError } from '../../../errors.ts';
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import type { TxnId } from '../../api/index.ts';
import { reportedTxnStatus } from './transaction.ts';
import type { TransactionCoordinatorClient } from './transaction-coordinator.ts';

/** What the coordinator did with a transaction another client asked it to abort. */
export type ForeignTxnEnd = 'aborted' | 'committed' | 'ended';

/** Pause between asks while the coordinator is still ending the transaction. */
const ENDING_POLL_MS = 50;

export async function abortForeignTransaction(
  tc: TransactionCoordinatorClient,
  id: TxnId,
  clock: Clock,
  deadlineMs: number,
): Promise<ForeignTxnEnd> {
  const until = clock.monotonic() + deadlineMs;
  await tc.start();
  for (;;) {
    const left = Math.max(1, until - clock.monotonic());
    try {
      await tc.endTxn(id, 'abort', { deadlineMs: left });
      return 'aborted';
    } catch (err) {
      const status = reportedTxnStatus(err);
      if (status === 'ABORTED' || status === 'TIMEOUT') return 'aborted';
      if (status === 'COMMITTED') return 'committed';
      if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.txnNotFound) return 'ended';
      if ((status === 'COMMITTING' || status === 'ABORTING') && clock.monotonic() < until) {
        await clock.sleep(ENDING_POLL_MS);
        continue;
      }
      throw err;
    }
  }
}
