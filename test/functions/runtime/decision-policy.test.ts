import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import { compileDecisionPolicy, decide } from '../../../functions/runtime/decision-policy.ts';

describe('decision policy', () => {
  it('maps score bands to approve, review and block, edges included', () => {
    const p = compileDecisionPolicy({ reviewAtScore: 0.6, blockAtScore: 0.95 });
    expect(decide(p, 0)).toBe('approve');
    expect(decide(p, 0.5999)).toBe('approve');
    expect(decide(p, 0.6)).toBe('review');
    expect(decide(p, 0.9499)).toBe('review');
    expect(decide(p, 0.95)).toBe('block');
    expect(decide(p, 1)).toBe('block');
  });

  it('uses the fallback when there is no score', () => {
    expect(decide(compileDecisionPolicy(), undefined)).toBe('review');
    expect(decide(compileDecisionPolicy({ fallback: 'block' }), Number.NaN)).toBe('block');
  });

  it('refuses bands out of order or out of range, naming the field', () => {
    expect(() => compileDecisionPolicy({ reviewAtScore: 0.9, blockAtScore: 0.5 })).toThrow(/decisionPolicy.reviewAtScore/);
    expect(() => compileDecisionPolicy({ blockAtScore: 1.5 })).toThrow(ConfigError);
    expect(() => compileDecisionPolicy({ fallback: 'maybe' as never })).toThrow(/fallback/);
  });
});
