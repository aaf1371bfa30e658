/**
 * How the worker fills a batch from its input (#18): adaptive, so a batch never waits for input
 * that is already there, and waits only briefly for input that is slow.
 *
 * - Input already buffered when the worker asks (it arrived while the previous batch was being
 *   decided and committed): take what is buffered, up to the batch size, and do not wait for
 *   more. The previous batch's processing time was the fill window; waiting longer only delays
 *   the records in hand, and with more than a batch buffered there is nothing to wait for.
 * - Nothing buffered (the input is slow, or idle): wait up to `firstWaitMs` for the first record,
 *   then keep the batch open while records keep coming: each wait for the next one is at most
 *   `fillGapMs`, and the whole fill at most `fillWaitMs`. A burst (a producer batch, a catch-up)
 *   fills the batch; a trickle ends it after one short gap instead of a full fill window.
 *
 * No I/O of its own: the source is the input subscription (PulsarWorkerIo) or a test's fake.
 */
import type { Clock } from '../clock.ts';

/** What batch filling needs of an input. */
export interface BatchSource<T> {
  /** Records received and buffered locally (taken without waiting). */
  readonly queued: number;
  /** The next record: at once when buffered, else within `timeoutMs`; undefined when none came. */
  receive(timeoutMs: number): Promise<T | undefined>;
}

export interface BatchFill {
  /** Largest batch. */
  readonly max: number;
  /** How long to wait for the first record of a batch. */
  readonly firstWaitMs: number;
  /** Longest fill after the first record, when nothing was buffered (the worker's batchMaxWaitMs). */
  readonly fillWaitMs: number;
  /** Longest wait for each next record while filling (ends the fill of a slow input early). */
  readonly fillGapMs: number;
}

/**
 * Gap that ends the fill of a slow input: records of one burst arrive well within it on a
 * loaded machine, records of an input slower than ~500/s mostly do not.
 */
export const DEFAULT_FILL_GAP_MS = 2;

/** Up to `fill.max` records, per the policy above; empty when nothing came within `firstWaitMs`. */
export async function receiveBatch<T>(source: BatchSource<T>, clock: Pick<Clock, 'monotonic'>, fill: BatchFill): Promise<T[]> {
  const out: T[] = [];
  const bufferedAtStart = source.queued > 0;
  const first = await source.receive(fill.firstWaitMs);
  if (first === undefined) return out;
  out.push(first);
  const deadline = clock.monotonic() + fill.fillWaitMs;
  while (out.length < fill.max) {
    let wait = 0;
    if (source.queued === 0) {
      // Input that was already waiting has been taken: this batch is as full as it gets now.
      if (bufferedAtStart) break;
      wait = Math.min(fill.fillGapMs, deadline - clock.monotonic());
      if (wait <= 0) break;
    }
    const m = await source.receive(wait);
    if (m === undefined) break;
    out.push(m);
  }
  return out;
}
