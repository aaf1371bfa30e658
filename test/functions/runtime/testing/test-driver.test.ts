import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import type { EventRecord, HandlerContext } from '../../../../functions/contract.ts';
import { createTestDriver, type TestDriver } from '../../../../functions/runtime/testing/index.ts';
import type { WindowResult } from '../../../../functions/windows/index.ts';

type Click = { page: string; ms: number };

/** Counts clicks per user in keyed state (forgotten after 1 minute idle) and emits the running count. */
function countClicks(record: EventRecord<Click>, ctx: HandlerContext): void {
  const key = `clicks:${record.key ?? ''}`;
  const n = ((ctx.state.get(key) as number | undefined) ?? 0) + 1;
  ctx.state.put(key, n, { ttlMs: 60_000 });
  ctx.emit({ user: record.key, n });
}

describe('createTestDriver', () => {
  it('runs a per-record handler with keyed state and TTL on the fake clock', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const driver = createTestDriver<Click>({ process: countClicks, clock });
    await driver.send({ page: '/', ms: 1 }, { key: 'u1' });
    await driver.send({ page: '/a', ms: 2 }, { key: 'u1' });
    await driver.send({ page: '/', ms: 3 }, { key: 'u2' });
    await driver.advanceTime(60_000);
    await driver.send({ page: '/b', ms: 4 }, { key: 'u1' });
    expect(driver.outputs.map((o) => [o.key, o.value])).toEqual([
      ['u1', { user: 'u1', n: 1 }],
      ['u1', { user: 'u1', n: 2 }],
      ['u2', { user: 'u2', n: 1 }],
      ['u1', { user: 'u1', n: 1 }], // the TTL expired
    ]);
    expect(driver.outputs[0]?.eventTimeMs).toBe(Date.UTC(2026, 0, 1));
    expect([...driver.state.entries()]).toEqual([['clicks:u1', 1]]);
  });

  it('rolls back state and drops outputs when the handler throws', async () => {
    const driver = createTestDriver<Click>({
      clock: new FakeClock(0),
      process(record, ctx) {
        countClicks(record, ctx);
        if (record.value.page === '/boom') throw new Error('boom');
      },
    });
    await driver.send({ page: '/', ms: 1 }, { key: 'u1' });
    await expect(driver.send({ page: '/boom', ms: 2 }, { key: 'u1' })).rejects.toThrow('boom');
    expect(driver.state.get('clicks:u1')).toBe(1);
    await driver.send({ page: '/', ms: 3 }, { key: 'u1' });
    expect(driver.outputs.map((o) => (o.value as { n: number }).n)).toEqual([1, 2]);
  });

  it('hands a window handler each window’s records in event-time order, with late ones on the side', async () => {
    const driver = createTestDriver<Click>({
      clock: new FakeClock(0),
      windows: { type: 'tumbling', sizeMs: 1_000, maxOutOfOrdernessMs: 200, allowedLatenessMs: 500 },
      processWindow(records, ctx, window) {
        ctx.emit({ w: [window.startMs, window.trigger], pages: records.map((r) => r.value.page) });
      },
    });
    await driver.send({ page: 'a', ms: 0 }, { key: 'u', eventTimeMs: 100 });
    await driver.send({ page: 'b', ms: 0 }, { key: 'u', eventTimeMs: 900 });
    await driver.send({ page: 'c', ms: 0 }, { key: 'u', eventTimeMs: 1_150 }); // watermark 950
    await driver.send({ page: 'd', ms: 0 }, { key: 'u', eventTimeMs: 500 }); // out of order, in time
    await driver.send({ page: 'e', ms: 0 }, { key: 'u', eventTimeMs: 1_300 }); // watermark 1100: fires [0,1000)
    await driver.send({ page: 'f', ms: 0 }, { key: 'u', eventTimeMs: 50 }); // late, allowed: re-fires
    await driver.send({ page: 'g', ms: 0 }, { key: 'u', eventTimeMs: 1_800 }); // watermark 1600: purges [0,1000)
    await driver.send({ page: 'h', ms: 0 }, { key: 'u', eventTimeMs: 60 }); // too late
    await driver.endOfStream();
    expect(driver.outputs.map((o) => [o.key, o.eventTimeMs, o.value])).toEqual([
      ['u', 999, { w: [0, 'on-time'], pages: ['a', 'd', 'b'] }],
      ['u', 999, { w: [0, 'late'], pages: ['f', 'a', 'd', 'b'] }],
      ['u', 1_999, { w: [1_000, 'on-time'], pages: ['c', 'e', 'g'] }],
    ]);
    expect(driver.late.map((l) => [l.record.value.page, l.reason, l.watermarkMs])).toEqual([['h', 'beyond-allowed-lateness', 1_600]]);
  });

  it('feeds aggregated window results to a per-record handler', async () => {
    const seen: WindowResult[] = [];
    const driver = createTestDriver<Click>({
      clock: new FakeClock(0),
      windows: { type: 'session', gapMs: 100, aggregate: 'mean', extract: (c) => c.ms },
      // With windows, annotate the handler: TypeScript cannot pick the union member from `windows`.
      process(record: EventRecord<WindowResult>, ctx: HandlerContext) {
        const result = record.value;
        seen.push(result);
        ctx.emit(result.value);
      },
    });
    for (const [t, ms] of [
      [0, 10],
      [50, 20],
      [400, 7],
    ] as const)
      await driver.send({ page: '/', ms }, { key: 'u', eventTimeMs: t });
    await driver.endOfStream();
    expect(seen.map((r) => [r.startMs, r.endMs, r.count])).toEqual([
      [0, 150, 2],
      [400, 500, 1],
    ]);
    expect(driver.outputs.map((o) => o.value)).toEqual([15, 7]);
  });

  it('restart() mid-stream restores state and windows: same outputs as an uninterrupted run', async () => {
    const make = (): TestDriver<Click> =>
      createTestDriver<Click>({
        clock: new FakeClock(0),
        windows: { type: 'sliding', sizeMs: 100, slideMs: 50, maxOutOfOrdernessMs: 30, allowedLatenessMs: 40 },
        processWindow(records, ctx, window) {
          const key = `windows:${window.key}`;
          const fired = ((ctx.state.get(key) as number | undefined) ?? 0) + 1;
          ctx.state.put(key, fired);
          ctx.emit({ start: window.startMs, trigger: window.trigger, n: records.length, fired });
        },
      });
    const times = [5, 40, 20, 70, 130, 90, 160, 60, 210, 75, 260, 150, 330, 10, 400];
    const runIt = async (restartAt: number | undefined): Promise<unknown[]> => {
      const driver = make();
      for (const [i, t] of times.entries()) {
        if (i === restartAt) driver.restart();
        await driver.send({ page: String(i), ms: i }, { key: i % 2 === 0 ? 'even' : 'odd', eventTimeMs: t });
      }
      await driver.endOfStream();
      return [driver.outputs.map((o) => [o.key, o.value]), driver.late.map((l) => l.record.eventTimeMs)];
    };
    const uninterrupted = await runIt(undefined);
    expect((uninterrupted[0] as unknown[]).length).toBeGreaterThan(10);
    for (const at of [3, 8, 12]) expect(await runIt(at)).toEqual(uninterrupted);
  });

  it('refuses ambiguous setups', () => {
    // @ts-expect-error: neither handler given
    expect(() => createTestDriver({})).toThrow(/handler\.process/);
    // @ts-expect-error: processWindow without windows
    expect(() => createTestDriver({ processWindow: () => undefined })).toThrow(/handler\.windows/);
    expect(() => createTestDriver({ processWindow: () => undefined, windows: { type: 'tumbling', sizeMs: 5, aggregate: 'sum' } })).toThrow(
      /handler\.windows\.aggregate/,
    );
  });
});
