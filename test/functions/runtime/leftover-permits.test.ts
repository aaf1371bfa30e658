/**
 * A regained partition's consumer may still have permits at the broker from its earlier
 * ownership; the rewind goes ahead of the broker's first read for it, or waits while the broker
 * streams a backlog on them (#17).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { awaitLeftoverPermits, LEFTOVER_PERMITS_WAIT_MS } from '../../../functions/runtime/index.ts';

/**
 * Runs the wait against a broker model: `use(t)` is how many permits the broker uses in the 20 ms
 * step ending at t (monotonic, the wait starting at 0). Returns the wait's result and the permits
 * left when it ended.
 */
async function run(permits: number, activeSinceMs: number, use: (t: number) => number): Promise<{ left: number; ms: number }> {
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
  expect(result.permits).toBe(permits);
  return { left: holder.brokerPermits, ms: result.ms };
}

describe('awaitLeftoverPermits', () => {
  it('does not wait when the broker holds no permits (a first gain: the consumer subscribed paused)', async () => {
    expect(await run(0, 0, () => 0)).toEqual({ left: 0, ms: 0 });
  });

  it('rewinds at once while the broker is idle and its failover delay still runs (the usual regain)', async () => {
    // Active 150 ms ago (the fence); the broker reads nothing until 1 s after the switch.
    expect(await run(650, -150, (t) => (t + 150 > 1_000 ? 100 : 0))).toEqual({ left: 650, ms: 20 });
  });

  it('early, but the broker is streaming (the old owner had a read in flight): waits until every permit is used', async () => {
    const { left, ms } = await run(950, -100, () => 100);
    expect(left).toBe(0);
    expect(ms).toBe(200);
  });

  it('late (a slow fence): waits while the broker streams a backlog after its delay, until every permit is used', async () => {
    // Active 900 ms ago: the broker starts at t = 100 and reads 100-entry blocks back to back.
    const { left, ms } = await run(950, -900, (t) => (t + 900 > 1_000 ? 100 : 0));
    expect(left).toBe(0);
    expect(ms).toBeGreaterThan(100);
    expect(ms).toBeLessThanOrEqual(300);
  });

  it('late, the partition read to its end: stops once the permits fall slower than one read per window', async () => {
    const { left, ms } = await run(900, -1_500, () => 3);
    expect(left).toBeGreaterThan(0);
    expect(ms).toBe(200);
  });

  it('gives up after LEFTOVER_PERMITS_WAIT_MS while a stream goes on', async () => {
    const { left, ms } = await run(100_000, -1_500, () => 40);
    expect(left).toBeGreaterThan(0);
    expect(ms).toBe(LEFTOVER_PERMITS_WAIT_MS);
  });
});
