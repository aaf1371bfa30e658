import { describe, expect, it } from 'vitest';
import { DecisionLedger, percentiles, recoveredAt } from '../../../scripts/chaos/measure.ts';
import { payment } from '../../../scripts/chaos/harness.ts';

describe('chaos measurements', () => {
  it('percentiles by nearest rank', () => {
    expect(percentiles([])).toEqual({ count: 0, p50Ms: null, p99Ms: null });
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(xs)).toEqual({ count: 100, p50Ms: 50, p99Ms: 99 });
  });

  it('counts lost, duplicated (distinct output messages) and lag; a redelivered message is one decision', () => {
    const l = new DecisionLedger();
    l.sent('a', 0, 'before', false);
    l.sent('b', 0, 'during', true);
    l.sent('c', 0, 'during', false);
    l.sent('d', 0, 'during', false);
    for (const id of ['a', 'b', 'c']) l.acked(id);
    expect(l.lag).toBe(4);
    l.decided('a', 'm1', 10, false);
    l.decided('a', 'm1', 11, false); // the same message again: not a duplicate
    l.decided('b', 'm2', 30, true);
    l.decided('b', 'm3', 40, false); // a second output for b
    expect(l.lag).toBe(2);
    expect(l.lost()).toEqual(['c']); // d was never acknowledged: not counted as lost
    expect(l.duplicated()).toEqual(['b']);
    expect(l.complete()).toBe(false);
    expect(l.unacked()).toBe(1);
    expect(l.fallbacks('during')).toBe(1);
    expect(l.latency('during', 'priority')).toEqual({ count: 1, p50Ms: 30, p99Ms: 30 });
    expect(l.latency('before').p99Ms).toBe(10);
    // Seen only when the topic was read back at the end: decided, but no latency sample.
    l.decided('c', 'm4', undefined, false);
    expect(l.complete()).toBe(true);
    expect(l.latency('during', 'normal').count).toBe(0);
  });

  it('recovery is the first sample at or after healing with the lag under the threshold', () => {
    const t = [
      { at: 0, lag: 10 },
      { at: 1, lag: 500 },
      { at: 2, lag: 300 },
      { at: 3, lag: 40 },
    ];
    expect(recoveredAt(t, 1, 50)).toBe(3);
    expect(recoveredAt(t, 1, 10)).toBeUndefined();
  });

  it('payments: deterministic, about 10 % priority (amount > 1000)', () => {
    expect(payment('t', 7)).toEqual(payment('t', 7));
    const ps = Array.from({ length: 5000 }, (_, i) => payment('t', i));
    const share = ps.filter((p) => p.amount > 1000).length / ps.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(ps.every((p) => p.amount > 0 && p.amount <= 5001)).toBe(true);
  });
});
