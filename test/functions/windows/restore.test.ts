import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { createStateStore, type ChangeRecord } from '../../../functions/state/index.ts';
import {
  compileWindowOptions,
  WindowOperator,
  type WindowEvent,
  type WindowOptions,
  type WindowStoreValue,
} from '../../../functions/windows/index.ts';
import { collect, END, type Collected } from './helpers.ts';

/** A deterministic stream with out-of-order and some very late events over three keys. */
function stream(n: number, seed: number): WindowEvent<number>[] {
  let s = seed;
  const rand = (): number => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return s / 2 ** 32;
  };
  const out: WindowEvent<number>[] = [];
  let t = 1_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 7);
    const r = rand();
    // Mostly in order, some jitter within bounds, a few far behind (late or dropped).
    const eventTimeMs = r < 0.7 ? t : r < 0.93 ? t - Math.floor(rand() * 15) : t - 20 - Math.floor(rand() * 60);
    out.push({ key: `k${Math.floor(rand() * 3)}`, eventTimeMs, value: Math.floor(rand() * 100) });
  }
  return out;
}

/** Compaction as the `state` topic's TableView sees it: last value per key, tombstones gone. */
function compact(log: readonly ChangeRecord[]): ChangeRecord[] {
  const last = new Map<string, ChangeRecord>();
  for (const r of log) {
    last.delete(r.key);
    last.set(r.key, r);
  }
  return [...last.values()].filter((r) => r.value.byteLength > 0);
}

/**
 * Runs the stream as the runtime would: outputs and state changes commit together every 7
 * events; a kill loses everything since the last commit, and the input since then is redelivered
 * (unacked messages) to an operator over a store restored from the compacted topic.
 */
function runWithKills(
  options: WindowOptions<number>,
  events: readonly WindowEvent<number>[],
  killAt: readonly number[],
  coalesce = false,
): Collected {
  const clock = new FakeClock(0);
  const config = compileWindowOptions(options);
  const topic: ChangeRecord[] = [];
  let state = createStateStore<WindowStoreValue>({ clock, coalesce });
  let op = new WindowOperator<number>(config, state.store);
  const committed: Collected = { results: [], late: [] };
  let pending: Collected = { results: [], late: [] };
  let lastCommit = 0;
  const kills = new Set(killAt);
  for (let i = 0; i < events.length; i++) {
    if (kills.delete(i)) {
      pending = { results: [], late: [] };
      state = createStateStore<WindowStoreValue>({ clock, coalesce });
      state.restore(compact(topic));
      op = new WindowOperator<number>(config, state.store);
      i = lastCommit;
    }
    collect(pending, op.process(events[i] as WindowEvent<number>));
    if (i % 7 === 6) {
      topic.push(...state.flush());
      committed.results.push(...pending.results);
      committed.late.push(...pending.late);
      pending = { results: [], late: [] };
      lastCommit = i + 1;
    }
  }
  committed.results.push(...pending.results);
  committed.late.push(...pending.late);
  collect(committed, op.advanceWatermark(END));
  return committed;
}

const cases: [string, WindowOptions<number>][] = [
  ['tumbling', { type: 'tumbling', sizeMs: 20, maxOutOfOrdernessMs: 10, allowedLatenessMs: 15, aggregate: 'sum' }],
  ['sliding', { type: 'sliding', sizeMs: 30, slideMs: 10, maxOutOfOrdernessMs: 10, allowedLatenessMs: 15, aggregate: 'mean' }],
  ['session', { type: 'session', gapMs: 8, maxOutOfOrdernessMs: 10, allowedLatenessMs: 15, aggregate: { lastN: 3 } }],
];

describe('window state restored from the changelog', () => {
  it.each(cases)('%s: kill/restore mid-stream gives the same results as an uninterrupted run', (_name, options) => {
    const events = stream(400, 42);
    const uninterrupted = runWithKills(options, events, []);
    // The stream really exercises lateness: there are late updates and dropped events.
    expect(uninterrupted.results.some((r) => r.trigger === 'late')).toBe(true);
    expect(uninterrupted.late.length).toBeGreaterThan(0);
    expect(uninterrupted.results.length).toBeGreaterThan(20);
    // Kills right after a commit, and in the middle of a batch (which is then redelivered).
    expect(runWithKills(options, events, [70, 147, 231, 385])).toEqual(uninterrupted);
    expect(runWithKills(options, events, [3, 50, 52, 199, 300, 399])).toEqual(uninterrupted);
    // Coalesced changelogs (one record per changed key per flush) restore the same state.
    expect(runWithKills(options, events, [3, 50, 52, 199, 300, 399], true)).toEqual(uninterrupted);
  });

  it('an operator over a restored store carries the watermark on', () => {
    const config = compileWindowOptions({ type: 'tumbling', sizeMs: 10 });
    const a = createStateStore<WindowStoreValue>();
    const opA = new WindowOperator(config, a.store);
    opA.process({ key: 'x', eventTimeMs: 15, value: 1 });
    const b = createStateStore<WindowStoreValue>();
    b.restore(a.flush());
    const opB = new WindowOperator(config, b.store);
    expect(opB.watermarkMs).toBe(15);
    expect(opB.process({ key: 'x', eventTimeMs: 3, value: 1 }).late).toHaveLength(1);
    expect(opB.advanceWatermark(20).results).toEqual([{ key: 'x', startMs: 10, endMs: 20, value: 1, count: 1, trigger: 'on-time' }]);
  });
});
