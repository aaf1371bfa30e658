/**
 * A regained partition's consumer may still have permits at the broker from its earlier
 * ownership; the rewind waits while the broker streams a backlog on them (#17).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { awaitLeftoverPermits, LEFTOVER_PERMITS_WAIT_MS } from '../../../functions/runtime/index.ts';

/**
 * Runs the wait against a broker model: `use(t)` says how many permits the broker uses in the
 * 20 ms step ending at monotonic time t. Returns when the wait ended and the permits left then.
 */
async function run(
  permits: number,
  activeSinceMs: number,
  use: (t: number) => number,
): Promise<{ endedAt: number; left: number; result: { permits: number; ms: number } }> {
  const clock = new FakeClock();
  const holder = { brokerPermits: permits };
  let result: { permits: number; ms: number } | undefined;
  void awaitLeftoverPermits(holder, activeSinceMs, clock).then((r) => (result = r));
  await clock.advance(0);
  for (let t = 20; result === undefined && t <= 10_000; t += 20) {
    holder.brokerPermits = Math.max(0, holder.brokerPermits - use(t));
    await clock.advance(20);
  }
  if (result === undefined) throw new Error('the wait never ended');
  return { endedAt: clock.monotonic(), left: holder.brokerPermits, result };
}

describe('awaitLeftoverPermits', () => {
  it('does not wait when the broker holds no permits (a first gain: the consumer subscribed paused)', async () => {
    const { result } = await run(0, 0, () => 0);
    expect(result).toEqual({ permits: 0, ms: 0 });
  });

  it('waits out the failover delay, then until a streamed backlog used every permit', async () => {
    // Nothing read during the broker's 1 s delay, then 100-entry reads back to back.
    const { result, left } = await run(950, 0, (t) => (t > 1_000 ? 100 : 0));
    expect(left).toBe(0);
    expect(result.permits).toBe(950);
    expect(result.ms).toBeGreaterThan(1_000);
    expect(result.ms).toBeLessThan(1_300);
  });

  it('stops once the permits fall slower than one read per window past the delay (the partition is read to its end)', async () => {
    const { result, left } = await run(900, 0, (t) => (t > 1_000 ? 3 : 0));
    expect(left).toBeGreaterThan(0);
    expect(result.ms).toBeGreaterThanOrEqual(1_200);
    expect(result.ms).toBeLessThanOrEqual(1_420);
  });

  it('when activated long ago, judges the first window', async () => {
    const { result } = await run(900, -5_000, () => 2);
    expect(result.ms).toBe(200);
  });

  it('gives up after LEFTOVER_PERMITS_WAIT_MS while a stream goes on', async () => {
    const { result, left } = await run(100_000, 0, () => 40);
    expect(left).toBeGreaterThan(0);
    expect(result.ms).toBe(LEFTOVER_PERMITS_WAIT_MS);
  });
});
