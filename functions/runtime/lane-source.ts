/**
 * The priority lane's input (#26): priority events arrive on a topic of their own
 * (`priorityTopic`), with their own subscription and receive queue, so a backlog of ordinary
 * events on the broker or in the worker's receive queue is never in front of them. This merges
 * the two inputs into the one source a batch is filled from: a buffered priority record is
 * always taken before an ordinary one, and a wait for input ends when either lane has some.
 *
 * What it does not promise: order between the lanes. A priority event is decided before older
 * ordinary events of the same key that are still waiting (that is the point); within each lane
 * every key keeps its order.
 *
 * No I/O: the lanes are the worker's two consumers (PulsarWorkerIo) or a test's fakes.
 */
import type { BatchSource } from './batch-receive.ts';

/** One lane's input. */
export interface LaneInput<T> {
  /** Records buffered locally. */
  readonly queued: number;
  /** A buffered record, without waiting; undefined when none is buffered. */
  take(): T | undefined;
  /** True as soon as a record is buffered (or within `timeoutMs`); takes nothing. */
  whenQueued(timeoutMs: number): Promise<boolean>;
}

/** A batch source that drains `priority` before `normal`. */
export function priorityFirst<T>(priority: LaneInput<T>, normal: LaneInput<T>, clock: { monotonic(): number }): BatchSource<T> {
  const takeOne = (): T | undefined => priority.take() ?? normal.take();
  return {
    get queued() {
      return priority.queued + normal.queued;
    },
    async receive(timeoutMs: number): Promise<T | undefined> {
      const now = takeOne();
      if (now !== undefined || timeoutMs <= 0) return now;
      const deadline = clock.monotonic() + timeoutMs;
      for (;;) {
        const left = deadline - clock.monotonic();
        if (left <= 0) return takeOne();
        // Both watchers settle on their own (a record, their timeout, a close); neither takes.
        const queued = await Promise.race([priority.whenQueued(left), normal.whenQueued(left)]);
        const m = takeOne();
        if (m !== undefined) return m;
        // Another taker got there first (or a close): wait out what is left.
        if (!queued) return undefined;
      }
    },
  };
}
