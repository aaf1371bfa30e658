import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { BeamlineError, ConfigError } from '../../../functions/errors.ts';
import { MicroBatcher, bucketFor, compileMicroBatcherOptions } from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

interface Call {
  items: number[];
  bucket: number;
  at: number;
  finish: () => void;
  fail: (e: unknown) => void;
}

/** An executor the test completes by hand; it doubles each item. */
function manualExecutor(clock: FakeClock): { calls: Call[]; exec: (items: readonly number[], bucket: number) => Promise<number[]> } {
  const calls: Call[] = [];
  const exec = (items: readonly number[], bucket: number): Promise<number[]> =>
    new Promise((resolve, reject) => {
      calls.push({ items: [...items], bucket, at: clock.monotonic(), finish: () => resolve(items.map((i) => i * 2)), fail: reject });
    });
  return { calls, exec };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('compileMicroBatcherOptions', () => {
  it('applies defaults and freezes', () => {
    const c = compileMicroBatcherOptions();
    expect(c).toEqual({
      maxBatchSize: 128,
      maxWaitMs: 5,
      buckets: [1, 8, 32, 128, 512],
      maxQueued: 10_000,
      maxInFlight: 1,
      adaptive: true,
      highMaxBatchSize: 8,
      highMaxWaitMs: 1,
      highHeadroom: 1000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('rejects a batch size above the largest bucket and bad values', () => {
    expect(() => compileMicroBatcherOptions({ maxBatchSize: 64, buckets: [1, 8, 32] })).toThrow(ConfigError);
    expect(() => compileMicroBatcherOptions({ maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => compileMicroBatcherOptions({ buckets: [0, 4] })).toThrow(/buckets/);
  });
  it('bucketFor pads up to the next bucket', () => {
    expect([1, 2, 8, 9, 33, 512].map((n) => bucketFor(n, [1, 8, 32, 128, 512]))).toEqual([1, 8, 8, 32, 128, 512]);
  });
});

describe('MicroBatcher', () => {
  it('scores a lone record at once when idle (adaptive), without waiting the window', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 50 }, { clock });
    const p = b.submit(21);
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ items: [21], bucket: 1, at: 0 });
    calls[0]?.finish();
    await expect(p).resolves.toBe(42);
  });

  it('without adaptation a lone record waits exactly maxWaitMs', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 10, adaptive: false }, { clock });
    void b.submit(1);
    await clock.advance(9);
    expect(calls).toHaveLength(0);
    await clock.advance(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.at).toBe(10);
  });

  it('under load fills a batch up to maxBatchSize, pads to a bucket and keeps per-record order', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 100, maxBatchSize: 8 }, { clock });
    const first = b.submit(0); // idle: goes alone
    await flush();
    expect(calls).toHaveLength(1);
    // Executor busy: the next records queue up and leave as one full batch of 8.
    const rest = Array.from({ length: 10 }, (_, i) => b.submit(i + 1));
    await flush();
    expect(calls).toHaveLength(1);
    calls[0]?.finish();
    await flush();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ items: [1, 2, 3, 4, 5, 6, 7, 8], bucket: 8 });
    calls[1]?.finish();
    await flush();
    // Arrivals looked continuous, so the last two wait for company, but only until the deadline.
    expect(calls).toHaveLength(2);
    await clock.advance(100);
    expect(calls[2]).toMatchObject({ items: [9, 10], bucket: 8 });
    calls[2]?.finish();
    await expect(first).resolves.toBe(0);
    await expect(Promise.all(rest)).resolves.toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 2));
  });

  it('never holds a record longer than maxWaitMs, even when the executor is busy', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const maxWaitMs = 5;
    const b = new MicroBatcher(exec, { maxWaitMs, maxBatchSize: 128, maxInFlight: 1 }, { clock });
    const submittedAt = new Map<number, number>();
    // A steady stream at one record per ms for 40 ms; no batch ever completes.
    for (let i = 0; i < 40; i++) {
      submittedAt.set(i, clock.monotonic());
      void b.submit(i).catch(() => undefined);
      await clock.advance(1);
    }
    await clock.advance(maxWaitMs);
    const dispatched = calls.flatMap((c) => c.items.map((item) => ({ item, at: c.at })));
    expect(dispatched.map((d) => d.item).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const d of dispatched) expect(d.at - (submittedAt.get(d.item) ?? 0)).toBeLessThanOrEqual(maxWaitMs);
    // Batches formed (not 40 singles): the busy executor made records accumulate.
    expect(calls.length).toBeLessThan(15);
  });

  it('under steady load with a free executor, waits for more records but not past the deadline', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 4, maxBatchSize: 128, maxInFlight: 4 }, { clock });
    const submittedAt: number[] = [];
    for (let i = 0; i < 30; i++) {
      submittedAt.push(clock.monotonic());
      void b.submit(i);
      for (const c of calls) c.finish();
      await clock.advance(0.5);
    }
    await clock.advance(10);
    // Warm-up singles aside, batches of several records formed and nothing waited > 4 ms.
    const sizes = calls.map((c) => c.items.length);
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(30);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(4);
    for (const c of calls) for (const item of c.items) expect(c.at - (submittedAt[item] ?? 0)).toBeLessThanOrEqual(4);
  });

  it('high-priority records go first', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 100, maxBatchSize: 4 }, { clock });
    void b.submit(0);
    await flush();
    for (const i of [1, 2, 3]) void b.submit(i);
    for (const i of [101, 102]) void b.submit(i, 'high');
    calls[0]?.finish();
    await flush();
    expect(calls[1]?.items).toEqual([101, 102, 1, 2]);
  });

  it('sheds load with a retriable BL_INFERENCE_OVERLOADED when the queue is full', async () => {
    const clock = new FakeClock();
    const metrics = new PrometheusMetrics();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 1000, maxQueued: 3, maxBatchSize: 8, adaptive: false }, { clock, metrics, model: 'm' });
    const ok = [1, 2, 3].map((i) => b.submit(i));
    const err = await b.submit(4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect(err).toMatchObject({ code: 'BL_INFERENCE_OVERLOADED', retriable: true });
    expect(b.queued).toBe(3);
    await clock.advance(1000);
    calls[0]?.finish();
    await expect(Promise.all(ok)).resolves.toEqual([2, 4, 6]);
    expect(await metrics.render()).toContain('beamline_inference_shed_total{model="m",priority="normal"} 1');
  });

  it('a failed batch rejects exactly its records', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 10 }, { clock });
    const p = b.submit(1);
    await flush();
    calls[0]?.fail(new Error('boom'));
    await expect(p).rejects.toThrow('boom');
  });

  it('drain dispatches queued records at once, waits for them and then refuses new ones', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 1000, adaptive: false }, { clock });
    const p = b.submit(5);
    let drained = false;
    const d = b.drain().then(() => (drained = true));
    await flush();
    expect(calls).toHaveLength(1);
    expect(drained).toBe(false);
    calls[0]?.finish();
    await d;
    await expect(p).resolves.toBe(10);
    await expect(b.submit(1)).rejects.toMatchObject({ code: 'BL_INFERENCE_CLOSED' });
    await b.close();
    await b.close();
    expect(b.state).toBe('closed');
    expect(clock.pendingTimers).toBe(0);
  });

  it('records fill ratio and queue wait metrics', async () => {
    const clock = new FakeClock();
    const metrics = new PrometheusMetrics();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 10, adaptive: false }, { clock, metrics, model: 'm' });
    for (let i = 0; i < 3; i++) void b.submit(i);
    await clock.advance(10);
    calls[0]?.finish();
    const text = await metrics.render();
    expect(text).toContain('beamline_inference_batch_fill_ratio_sum{model="m"} 0.375');
    expect(text).toContain('beamline_inference_queue_wait_seconds_sum{model="m"} 0.03');
  });
});
