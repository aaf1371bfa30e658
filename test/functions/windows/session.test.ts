import { describe, expect, it } from 'vitest';
import { END, makeOperator, rows, run } from './helpers.ts';

describe('session windows', () => {
  it('group events closer than the gap per key and fire when the watermark passes the session end', () => {
    const op = makeOperator({ type: 'session', gapMs: 10 });
    const got = run(op, [
      { t: 0 },
      { t: 5 }, // extends to [0,15)
      { key: 'b', t: 3 },
      { t: 15 }, // touching the end continues the session: [0,25)
      { t: 40 }, // watermark 40: fires a[0,25) and b[3,13)
      { watermark: END },
    ]);
    expect(rows(got)).toEqual([
      ['b', 3, 13, 1, 1, 'on-time'],
      ['a', 0, 25, 3, 3, 'on-time'],
      ['a', 40, 50, 1, 1, 'on-time'],
    ]);
    expect(got.late).toEqual([]);
  });

  it('an out-of-order event bridging two sessions merges them', () => {
    const op = makeOperator<number>({ type: 'session', gapMs: 10, maxOutOfOrdernessMs: 20, aggregate: 'sum' });
    const got = run(op, [
      { t: 0, v: 1 }, // [0,10)
      { t: 25, v: 2 }, // watermark 5; [25,35)
      { t: 12, v: 4 }, // [12,22): touches neither
      { t: 20, v: 8 }, // bridges [12,22) and [25,35) -> [12,35)
      { t: 60, v: 16 }, // watermark 40
      { watermark: END },
    ]);
    expect(rows(got)).toEqual([
      ['a', 0, 10, 1, 1, 'on-time'],
      ['a', 12, 35, 14, 3, 'on-time'],
      ['a', 60, 70, 16, 1, 'on-time'],
    ]);
  });

  it('late events merge into emitted sessions and say which emitted sessions they replace', () => {
    const op = makeOperator<number>({ type: 'session', gapMs: 10, allowedLatenessMs: 100, aggregate: { lastN: 2 } });
    const got = run(op, [
      { t: 0, v: 0 }, // [0,10)
      { t: 20, v: 20 }, // watermark 20: fires [0,10)
      { t: 12, v: 12 }, // merges into [12,30) (nothing emitted replaced)
      { t: 8, v: 8 }, // bridges [0,10) (emitted) and [12,30) -> [0,30), end not reached yet
      { watermark: 30 }, // fires [0,30), replacing [0,10)
      { t: 25, v: 25 }, // late, allowed: [0,35), replaces [0,30)
      { t: 2, v: 2 }, // inside [0,35), still open
      { watermark: 35 },
      { t: 1, v: 1 }, // inside [0,35), already fired: immediate late re-emit
    ]);
    expect(got.results.map((r) => [r.startMs, r.endMs, r.value, r.count, r.trigger, r.replaces])).toEqual([
      [0, 10, [0], 1, 'on-time', undefined],
      [0, 30, [12, 20], 4, 'on-time', [{ startMs: 0, endMs: 10 }]],
      [0, 35, [20, 25], 6, 'on-time', [{ startMs: 0, endMs: 30 }]],
      [0, 35, [20, 25], 7, 'late', undefined],
    ]);
  });

  it('events beyond lateness that touch no retained session go to the side output', () => {
    const op = makeOperator({ type: 'session', gapMs: 10 });
    const got = run(op, [{ t: 0 }, { t: 50 }, { t: 30 }, { t: 45 }]);
    expect(rows(got)).toEqual([['a', 0, 10, 1, 1, 'on-time']]);
    // 30: its session [30,40) ends before watermark 50; 45 joins the open session [50,60).
    expect(got.late).toEqual([{ key: 'a', t: 30, reason: 'beyond-allowed-lateness', watermarkMs: 50 }]);
  });
});
