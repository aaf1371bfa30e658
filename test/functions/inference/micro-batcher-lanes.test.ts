/** #26: the micro-batcher's high lane: smaller batches, shorter wait, sheds last. Fake clock. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { ConfigError } from '../../../functions/errors.ts';
import { MicroBatcher, compileMicroBatcherOptions } from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

interface Call {
  items: number[];
  at: number;
  finish: () => void;
}

function manualExecutor(clock: FakeClock): { calls: Call[]; exec: (items: readonly number[]) => Promise<number[]> } {
  const calls: Call[] = [];
  const exec = (items: readonly number[]): Promise<number[]> =>
    new Promise((resolve) => calls.push({ items: [...items], at: clock.monotonic(), finish: () => resolve(items.map((i) => i * 2)) }));
  return { calls, exec };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('micro-batcher priority lanes (#26)', () => {
  it('checks the lane options, naming the field', () => {
    expect(() => compileMicroBatcherOptions({ maxBatchSize: 32, highMaxBatchSize: 64 })).toThrow(/highMaxBatchSize.*maxBatchSize \(32\)/);
    expect(() => compileMicroBatcherOptions({ maxWaitMs: 5, highMaxWaitMs: 10 })).toThrow(ConfigError);
    expect(() => compileMicroBatcherOptions({ highHeadroom: -1 })).toThrow(/highHeadroom/);
    expect(compileMicroBatcherOptions({ maxBatchSize: 4, maxWaitMs: 0.5 })).toMatchObject({ highMaxBatchSize: 4, highMaxWaitMs: 0.5 });
  });

  it('a high record waits at most highMaxWaitMs while normal records wait out maxWaitMs', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 50, highMaxWaitMs: 2, maxBatchSize: 64, adaptive: false }, { clock });
    for (const i of [1, 2, 3]) void b.submit(i);
    void b.submit(100, 'high');
    await clock.advance(1);
    await flush();
    expect(calls).toHaveLength(0);
    await clock.advance(1);
    await flush();
    // The high record leaves at 2 ms, topped up with the waiting normal records (one small batch).
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ items: [100, 1, 2, 3], at: 2 });
  });

  it('under load high batches stay small while normal batches fill up', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(
      exec,
      { maxWaitMs: 20, highMaxWaitMs: 1, maxBatchSize: 64, highMaxBatchSize: 4, maxInFlight: 1, adaptive: false },
      { clock },
    );
    // Occupy the only slot, then queue 100 normal and 10 high records.
    void b.submit(0);
    await clock.advance(20);
    await flush();
    expect(calls).toHaveLength(1);
    for (let i = 1; i <= 100; i++) void b.submit(i);
    for (let i = 1; i <= 10; i++) void b.submit(1000 + i, 'high');
    // High records are overdue after 1 ms: they leave in batches of 4 although the slot is busy.
    await clock.advance(1);
    await flush();
    const high = calls.slice(1).map((c) => c.items);
    expect(high.length).toBe(3);
    expect(high.every((items) => items.length <= 4)).toBe(true);
    expect(high.flat().filter((i) => i > 1000)).toEqual([1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]);
    // The rest (normal) go in large batches once their own deadline passes.
    await clock.advance(20);
    await flush();
    const normal = calls.slice(4).map((c) => c.items.length);
    expect(Math.max(...normal)).toBe(64);
    expect(calls.flatMap((c) => c.items).length).toBe(111);
  });

  it('high records are served before normal ones queued earlier', async () => {
    const clock = new FakeClock();
    const { calls, exec } = manualExecutor(clock);
    const b = new MicroBatcher(exec, { maxWaitMs: 100, highMaxWaitMs: 50, maxBatchSize: 8, highMaxBatchSize: 2 }, { clock });
    void b.submit(0);
    await flush();
    for (let i = 1; i <= 6; i++) void b.submit(i);
    void b.submit(99, 'high');
    calls[0]?.finish();
    await flush();
    expect(calls[1]?.items).toEqual([99, 1]);
  });

  it('under overload the normal lane sheds first; high records use the headroom', async () => {
    const clock = new FakeClock();
    const metrics = new PrometheusMetrics();
    const { exec } = manualExecutor(clock);
    const b = new MicroBatcher(
      exec,
      { maxWaitMs: 1000, highMaxWaitMs: 1000, maxQueued: 4, highHeadroom: 2, adaptive: false },
      { clock, metrics, model: 'm' },
    );
    for (let i = 0; i < 4; i++) void b.submit(i);
    await expect(b.submit(5)).rejects.toMatchObject({ code: 'BL_INFERENCE_OVERLOADED' });
    await expect(Promise.race([b.submit(6, 'high'), Promise.resolve('queued')])).resolves.toBe('queued');
    void b.submit(7, 'high');
    await expect(b.submit(8, 'high')).rejects.toMatchObject({ code: 'BL_INFERENCE_OVERLOADED' });
    const text = await metrics.render();
    expect(text).toContain('beamline_inference_shed_total{model="m",priority="normal"} 1');
    expect(text).toContain('beamline_inference_shed_total{model="m",priority="high"} 1');
    expect(text).toContain('beamline_inference_queued_rows{model="m",lane="high"} 2');
    expect(text).toContain('beamline_inference_queued_rows{model="m",lane="normal"} 4');
  });
});
