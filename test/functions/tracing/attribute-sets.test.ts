import { describe, expect, it } from 'vitest';
import { AttributeSets, MAX_SETS, withShared } from '../../../functions/tracing/attribute-sets.ts';

describe('AttributeSets (shared span attributes, sent once)', () => {
  it('numbers a frozen set once and hands each new set to the exporter once', () => {
    const sets = new AttributeSets();
    const a = Object.freeze({ 'messaging.system': 'pulsar' });
    const b = Object.freeze({ 'messaging.operation.type': 'send' });
    expect(sets.idOf(a)).toBe(0);
    expect(sets.idOf(a)).toBe(0);
    expect(sets.idOf(b)).toBe(1);
    expect(sets.takeNew()).toEqual([
      [0, a],
      [1, b],
    ]);
    expect(sets.takeNew()).toEqual([]);
    const c = Object.freeze({ x: 1 });
    expect(sets.idOf(c)).toBe(2);
    expect(sets.takeNew()).toEqual([[2, c]]);
    expect(sets.get(1)).toBe(b);
  });

  it('leaves unfrozen and absent attributes inline: they may change, or there is nothing to share', () => {
    const sets = new AttributeSets();
    expect(sets.idOf({ a: 1 })).toBeUndefined();
    expect(sets.idOf(undefined)).toBeUndefined();
    expect(sets.takeNew()).toEqual([]);
  });

  it(`numbers at most ${MAX_SETS} sets; later ones travel inline (a caller freezing a fresh object per span cannot grow the tables without end)`, () => {
    const sets = new AttributeSets();
    for (let i = 0; i < MAX_SETS; i++) expect(sets.idOf(Object.freeze({ i }))).toBe(i);
    expect(sets.idOf(Object.freeze({ i: -1 }))).toBeUndefined();
    expect(sets.takeNew()).toHaveLength(MAX_SETS);
  });

  it("merges a set with a span's own attributes, the own ones winning; no copy when the span has none", () => {
    const shared = Object.freeze({ a: 1, b: 2 });
    expect(withShared(shared, {})).toBe(shared);
    expect(withShared(shared, { b: 3, c: 4 })).toEqual({ a: 1, b: 3, c: 4 });
    expect(withShared(undefined, { c: 4 })).toEqual({ c: 4 });
  });
});
