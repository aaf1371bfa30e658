/**
 * The window handler the windowed integration tests share: per window, the sum of the events'
 * `amount` (JSON payloads, decoded by a schema or not), emitted as one output carrying the
 * window's bounds, sum, count, trigger and the windows a session result replaces.
 */
import type { EventRecord, HandlerContext } from '../../functions/index.ts';
import type { WorkerHandler } from '../../functions/runtime/index.ts';
import type { WindowOptions, WindowResult } from '../../functions/windows/index.ts';

/** What the windowed tests allow: 2 s out of order, then 3 s of lateness. */
export const WINDOW_LATENESS = { maxOutOfOrdernessMs: 2_000, allowedLatenessMs: 3_000 } as const;

/** A record's `amount`: the decoded value, or JSON bytes from a topic without a schema. */
function amountOf(v: unknown): number {
  return (Buffer.isBuffer(v) ? (JSON.parse(v.toString()) as { amount: number }) : (v as { amount: number })).amount;
}

export function windowSumHandler(windows: WindowOptions<unknown>): WorkerHandler<unknown> {
  return {
    windows: { ...windows, ...WINDOW_LATENESS, aggregate: 'sum', extract: amountOf },
    process: (record: EventRecord<WindowResult>, ctx: HandlerContext) => {
      const r = record.value;
      ctx.emit({
        key: r.key,
        startMs: r.startMs,
        endMs: r.endMs,
        sum: r.value,
        count: r.count,
        trigger: r.trigger,
        ...(r.replaces ? { replaces: r.replaces } : {}),
      });
    },
  };
}
