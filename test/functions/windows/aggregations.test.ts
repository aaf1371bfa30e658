import { describe, expect, it } from 'vitest';
import type { Reducer } from '../../../functions/windows/index.ts';
import { END, makeOperator, run, type Step } from './helpers.ts';

type Sale = { item: string; price: number };
const sales: Step<Sale>[] = [
  { t: 5, v: { item: 'x', price: 3 } },
  { t: 1, v: { item: 'y', price: 10 } },
  { t: 3, v: { item: 'x', price: -2 } },
  { t: 2, v: { item: 'z', price: 5 } },
  { watermark: END },
];

function one(aggregate: Parameters<typeof makeOperator<Sale>>[0]['aggregate'], extract?: (s: Sale) => unknown): unknown {
  const got = run(makeOperator<Sale>({ type: 'tumbling', sizeMs: 100, aggregate, extract }), sales);
  expect(got.results).toHaveLength(1);
  return got.results[0]?.value;
}

describe('aggregations', () => {
  const price = (s: Sale): number => s.price;
  it('count, sum, mean, min, max', () => {
    expect(one('count')).toBe(4);
    expect(one('sum', price)).toBe(16);
    expect(one('mean', price)).toBe(4);
    expect(one('min', price)).toBe(-2);
    expect(one('max', price)).toBe(10);
  });

  it('distinct count (exact) and last-N by event time, oldest first', () => {
    expect(one('distinct-count', (s) => s.item)).toBe(3);
    expect(one({ lastN: 2 }, price)).toEqual([-2, 3]);
    expect(one('collect', (s) => s.item)).toEqual([
      { eventTimeMs: 1, value: 'y' },
      { eventTimeMs: 2, value: 'z' },
      { eventTimeMs: 3, value: 'x' },
      { eventTimeMs: 5, value: 'x' },
    ]);
  });

  it('custom reducers get the raw value and event time', () => {
    const spread: Reducer<Sale, { lo: number; hi: number; firstAt: number }, number> = {
      init: () => ({ lo: Infinity, hi: -Infinity, firstAt: Infinity }),
      add: (a, s, t) => ({ lo: Math.min(a.lo, s.price), hi: Math.max(a.hi, s.price), firstAt: Math.min(a.firstAt, t) }),
      result: (a) => (a.hi - a.lo) * 100 + a.firstAt,
    };
    expect(one(spread)).toBe(1201);
  });

  it('a non-numeric value for sum fails with a typed error', () => {
    const op = makeOperator<Sale>({ type: 'tumbling', sizeMs: 10, aggregate: 'sum' });
    expect(() => op.process({ key: 'a', eventTimeMs: 1, value: { item: 'x', price: 1 } })).toThrow(
      expect.objectContaining({ code: 'BL_WINDOW_BAD_VALUE' }),
    );
  });

  it('distinct count switches to an approximate sketch past the exact limit, also across session merges', () => {
    const steps: Step<number>[] = [];
    for (let i = 0; i < 3_000; i++) steps.push({ t: i % 2 === 0 ? 1000 : 1005, v: i % 1500 });
    steps.push({ t: 1003, v: 123_456 }); // bridges the two sessions
    steps.push({ watermark: END });
    const got = run(
      makeOperator<number>({ type: 'session', gapMs: 3, maxOutOfOrdernessMs: 10, aggregate: 'distinct-count', distinctExactLimit: 100 }),
      steps,
    );
    expect(got.results).toHaveLength(1);
    const estimate = got.results[0]?.value as number;
    expect(Math.abs(estimate - 1501) / 1501).toBeLessThan(0.05);
    // Under the limit it stays exact.
    const small = run(makeOperator<number>({ type: 'tumbling', sizeMs: 10, aggregate: 'distinct-count' }), [
      ...[1, 2, 2, 3, 3, 3].map((v) => ({ t: 1, v })),
      { watermark: END },
    ]);
    expect(small.results[0]?.value).toBe(3);
  });
});
