/**
 * Every emitted window result is a value the handler owns (issue #16): a handler that reverses
 * the collect list it got (or edits the records a window handler got) changes neither the
 * window's state, nor a result already emitted, nor what the changelog restores after a restart.
 * Example from the issue: tumbling 10 ms, 10 ms lateness, events at 1, 3, 11, 2.
 */
import { describe, expect, it } from 'vitest';
import type { EventRecord, HandlerContext } from '../../../../functions/contract.ts';
import { createTestDriver } from '../../../../functions/runtime/testing/index.ts';
import type { TimedValue, WindowResult } from '../../../../functions/windows/index.ts';

const windows = { type: 'tumbling', sizeMs: 10, allowedLatenessMs: 10 } as const;

describe('window results the handler owns', () => {
  it('collect: reversing the list in the handler changes no state, no earlier result and nothing restored', async () => {
    const driver = createTestDriver<number>({
      windows: { ...windows, aggregate: 'collect' },
      process: (record: EventRecord<WindowResult>, ctx: HandlerContext) => {
        const list = record.value.value as TimedValue<number>[];
        list.reverse();
        ctx.emit(list);
      },
    });
    for (const t of [1, 3, 11]) await driver.send(t, { key: 'k', eventTimeMs: t });
    // Late but allowed (watermark 11 < end 10 + lateness 10): the window re-fires.
    await driver.send(2, { key: 'k', eventTimeMs: 2 });
    const values = (): number[][] => driver.outputs.map((o) => (o.value as TimedValue<number>[]).map((tv) => tv.value));
    expect(values()).toEqual([
      [3, 1],
      [3, 2, 1],
    ]);
    driver.restart();
    // Restored state is still in event-time order: one more allowed late event shows all of it.
    await driver.send(4, { key: 'k', eventTimeMs: 4 });
    expect(values()).toEqual([
      [3, 1],
      [3, 2, 1],
      [4, 3, 2, 1],
    ]);
  });

  it('processWindow: editing and reordering the records changes nothing the window keeps', async () => {
    const seen: string[] = [];
    const driver = createTestDriver<{ n: number }>({
      windows,
      processWindow: (records, ctx) => {
        seen.push(records.map((r) => r.value.n).join(' '));
        // Readonly to TypeScript, not to a JavaScript handler: mutate them anyway.
        const mine = records as EventRecord<{ n: number }>[];
        mine.reverse();
        for (const r of mine) r.value.n *= 100;
        ctx.emit(mine.map((r) => r.value.n));
      },
    });
    for (const t of [1, 3, 11]) await driver.send({ n: t }, { key: 'k', eventTimeMs: t });
    await driver.send({ n: 2 }, { key: 'k', eventTimeMs: 2 });
    driver.restart();
    await driver.send({ n: 4 }, { key: 'k', eventTimeMs: 4 });
    expect(seen).toEqual(['1 3', '1 2 3', '1 2 3 4']);
    expect(driver.outputs.map((o) => o.value)).toEqual([
      [300, 100],
      [300, 200, 100],
      [400, 300, 200, 100],
    ]);
  });
});
