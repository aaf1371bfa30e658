/** #26: priority rules from the worker file, and the scoring handler asking for the high lane. */
import { describe, expect, it } from 'vitest';
import type { ModelScore, ScoreFn, ScoreOptions } from '../../../functions/contract.ts';
import { ConfigError } from '../../../functions/errors.ts';
import { compilePriorityRule } from '../../../functions/runtime/priority-rule.ts';
import { createScoringHandler } from '../../../functions/runtime/scoring-handler.ts';
import { createTestDriver } from '../../../functions/runtime/testing/index.ts';

describe('compilePriorityRule', () => {
  it('compares a numeric field', () => {
    const r = compilePriorityRule('amount > 1000');
    expect([r({ amount: 1000.5 }), r({ amount: 1000 }), r({ amount: '2000' }), r({}), r(null), r({ amount: 'x' })]).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(compilePriorityRule('amount<=5')({ amount: 5 })).toBe(true);
  });

  it('matches strings, booleans and nested fields; a list matches when any rule does', () => {
    const r = compilePriorityRule(["channel == 'ATM'", 'risk.vip == true', { field: 'amount', op: '>=', value: 500 }]);
    expect(r({ channel: 'ATM' })).toBe(true);
    expect(r({ channel: 'POS', risk: { vip: true } })).toBe(true);
    expect(r({ channel: 'POS', amount: 500 })).toBe(true);
    expect(r({ channel: 'POS', amount: 10, risk: { vip: false } })).toBe(false);
    expect(compilePriorityRule('channel != "POS"')({ channel: 'ECOM' })).toBe(true);
  });

  it('refuses a rule it cannot read, naming the field, the value and the fix', () => {
    expect(() => compilePriorityRule('amount >> 3')).toThrow(ConfigError);
    expect(() => compilePriorityRule('amount > big')).toThrow(/scoring\.priority.*"big".*amount > 1000/);
    expect(() => compilePriorityRule("channel > 'ATM'")).toThrow(/compares numbers/);
    expect(() => compilePriorityRule(['amount > 1', 'oops'])).toThrow(/scoring\.priority\[1\]/);
    expect(() => compilePriorityRule([])).toThrow(/at least one rule/);
    expect(() => compilePriorityRule({ field: 'amount', op: '=>' as '>=', value: 1 })).toThrow(/scoring\.priority\.op/);
  });
});

describe('scoring handler priority (#26)', () => {
  it('asks for the high lane for events matching the rule, normal for the rest', async () => {
    const asked: Array<ScoreOptions | undefined> = [];
    const score: ScoreFn = async (_f, o) => {
      asked.push(o);
      const s: ModelScore = { kind: 'scored', score: 0.1, outputs: Float32Array.of(0.1), modelVersion: 'm@1' };
      return s;
    };
    const driver = createTestDriver<{ amount: number }>({
      process: createScoringHandler<{ amount: number }>({
        features: [{ name: 'amount', field: 'amount' }],
        priority: 'amount > 1000',
        audit: false,
      }),
      score,
    });
    await driver.send({ amount: 5 }, { key: 'a' });
    await driver.send({ amount: 5000 }, { key: 'a' });
    await driver.send({ amount: 5000 });
    expect(asked).toEqual([{ key: 'a', priority: 'normal' }, { key: 'a', priority: 'high' }, { priority: 'high' }]);
  });

  it('a bad rule fails when the handler is built', () => {
    expect(() => createScoringHandler({ features: [{ name: 'amount', field: 'amount' }], priority: 'amount ~ 3' })).toThrow(
      /scoring\.priority/,
    );
  });
});
