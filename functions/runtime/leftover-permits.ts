import type { Clock } from '../clock.ts';

/**
 * Why a partition's consumer grants the broker no permits (is paused) except while this replica
 * owns the partition, and why a gain waits for permits an earlier ownership left at the broker.
 * A gain rewinds (REDELIVER_UNACKNOWLEDGED_MESSAGES, new consumer epoch) and decides from the first
 * unacknowledged input on, in partition order. Measured at stop 23 with Pulsar 4.0.7 (delivery
 * order logged per partition, the broker's dispatcher debug log, its source): a rewind that lands
 * while the broker's dispatcher has a read in flight gets the new epoch's entries out of order
 * (190-289, 390-489, 290-389, then from 190 again). That read cannot be cancelled: it completes
 * after the rewind, its entries go out in the old epoch (dropped here), but it moves the cursor's
 * read position past the block and the next read starts from there. The broker reads for the
 * active consumer only while it holds permits, so no read is in flight when it holds none: the
 * consumer subscribes paused, pauses when its partition goes, and resumes (FLOW) only after the
 * rewind. Stops 22-23 waited a fixed 2 s after a fence that aborted a transaction instead (the
 * zombie test failed 1 run in 3 without it); with paused consumers and no wait it passed 5 in 5.
 */
export const LEFTOVER_PERMITS_WAIT_MS = 2_000;
/** How often the leftover permits are looked at while waiting. */
const LEFTOVER_POLL_MS = 20;
/** The window over which the broker's use of leftover permits is looked at. */
const LEFTOVER_WINDOW_MS = 200;
/** Fewer permits used in a window than this (the broker's read batch): no backlog is streaming. */
const LEFTOVER_STREAMING_PERMITS = 100;
/**
 * The broker's activeConsumerFailoverDelayTimeMillis (its default, kept by Beamline's brokers): a
 * new active consumer gets nothing read for it this long after the switch.
 */
const BROKER_FAILOVER_DELAY_MS = 1_000;
/** A rewind sent this long before the broker's delay ends still reaches it first. */
const DELAY_MARGIN_MS = 200;
/** What a gain needs of its consumer: the permits the broker still holds for it. */
export interface PermitHolder {
  readonly brokerPermits: number;
}

/**
 * Permits a consumer granted while its replica owned the partition before (a regain, a restart)
 * let the broker read for it once it is active again, so a rewind now could cross a read in
 * flight. The broker starts reading for a new active Failover consumer only after its failover
 * delay (and at once only where the previous owner's read was in flight at the switch, which then
 * streams the permits away within milliseconds). So:
 * - the broker used none in the last poll and its delay still runs: rewind now, ahead of its
 *   first read (the usual regain: a fence takes 0.1-0.3 s). The broker then only takes the new
 *   epoch (its dispatcher ignores a REDELIVER while that first read is pending), and that read
 *   rewinds by itself and is stamped with the new epoch;
 * - else wait while the broker streams a backlog on them, until they are used up (then it reads
 *   nothing more), or, past the delay, until they fall by less than one read's worth in a window:
 *   the partition is read to its end and the broker's read waits for new entries, which the
 *   rewind cancels (a read in flight is then one new entry being read, rare and short; waiting
 *   would not make it rarer);
 * - LEFTOVER_PERMITS_WAIT_MS at most.
 * @param activeSinceMs when the broker made the consumer active (`clock.monotonic()` time)
 */
export async function awaitLeftoverPermits(
  consumer: PermitHolder,
  activeSinceMs: number,
  clock: Clock,
): Promise<{ permits: number; ms: number }> {
  const permits = consumer.brokerPermits;
  const t0 = clock.monotonic();
  let last = permits;
  let windowFrom = t0;
  let windowPermits = permits;
  while (consumer.brokerPermits > 0) {
    await clock.sleep(LEFTOVER_POLL_MS);
    const n = consumer.brokerPermits;
    const now = clock.monotonic();
    if (n === 0 || now - t0 >= LEFTOVER_PERMITS_WAIT_MS) break;
    const idle = n === last;
    last = n;
    if (idle && now - activeSinceMs < BROKER_FAILOVER_DELAY_MS - DELAY_MARGIN_MS) break;
    if (now - windowFrom >= LEFTOVER_WINDOW_MS) {
      const delayOver = windowFrom - activeSinceMs >= BROKER_FAILOVER_DELAY_MS;
      if (delayOver && windowPermits - n < LEFTOVER_STREAMING_PERMITS) break;
      windowFrom = now;
      windowPermits = n;
    }
  }
  return { permits, ms: clock.monotonic() - t0 };
}
