import { describe, expect, it } from 'vitest';
import type { BeamlineError } from '../../../../functions/errors.ts';
import {
  applyRolloutChange,
  canaryBucket,
  emptyRollout,
  parseRollout,
  routeOf,
  type RolloutState,
} from '../../../../functions/runtime/model-registry/index.ts';

const meta = { atMs: 1000, by: 'alice' };
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as BeamlineError).code;
  }
  return 'no error';
};

describe('canary buckets', () => {
  it('are deterministic per key and spread evenly over 0..99', () => {
    expect(canaryBucket('card-42')).toBe(canaryBucket('card-42'));
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++) counts[canaryBucket(`card-${i}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
    const share =
      Array.from({ length: 10_000 }, (_, i) => routeOf({ canary: { version: '2', percent: 10 } }, `k${i}`)).filter((r) => r === 'canary')
        .length / 10_000;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
  });

  it('routes everything to live without a canary or at 0%, everything to canary at 100%', () => {
    expect(routeOf({ canary: null }, 'a')).toBe('live');
    expect(routeOf({ canary: { version: '2', percent: 0 } }, 'a')).toBe('live');
    expect(routeOf({ canary: { version: '2', percent: 100 } }, 'a')).toBe('canary');
    expect(routeOf({ canary: { version: '2', percent: 100 } }, undefined)).toBe('canary');
  });
});

describe('rollout transitions', () => {
  const v1 = applyRolloutChange(emptyRollout('fraud'), { type: 'promoted', version: '1' }, meta);

  it('promote keeps the old live version for rollback and clears the slot the version came from', () => {
    expect(v1).toMatchObject({ live: '1', history: [], revision: 1, updatedBy: 'alice', updatedAtMs: 1000 });
    const canary = applyRolloutChange(v1, { type: 'canary-set', version: '2', percent: 10 }, meta);
    const v2 = applyRolloutChange(canary, { type: 'promoted', version: '2' }, meta);
    expect(v2).toMatchObject({ live: '2', history: ['1'], canary: null, revision: 3 });
    expect(applyRolloutChange(v2, { type: 'rolled-back' }, meta)).toMatchObject({ live: '1', history: [] });
  });

  it('rollback removes a canary first, then returns to the previous live version, then refuses', () => {
    const canary = applyRolloutChange(v1, { type: 'canary-set', version: '2', percent: 10 }, meta);
    const back = applyRolloutChange(canary, { type: 'rolled-back' }, meta);
    expect(back).toMatchObject({ live: '1', canary: null });
    expect(code(() => applyRolloutChange(back, { type: 'rolled-back' }, meta))).toBe('BL_REGISTRY_NOTHING_TO_ROLL_BACK');
  });

  it('refuses a canary or shadow of the live version, a canary without live, and bad percents', () => {
    expect(code(() => applyRolloutChange(v1, { type: 'canary-set', version: '1', percent: 5 }, meta))).toBe('BL_REGISTRY_INVALID_ROLLOUT');
    expect(code(() => applyRolloutChange(v1, { type: 'shadow-set', version: '1' }, meta))).toBe('BL_REGISTRY_INVALID_ROLLOUT');
    expect(code(() => applyRolloutChange(emptyRollout('fraud'), { type: 'canary-set', version: '2', percent: 5 }, meta))).toBe(
      'BL_REGISTRY_INVALID_ROLLOUT',
    );
    expect(code(() => applyRolloutChange(v1, { type: 'canary-set', version: '2', percent: 101 }, meta))).toBe(
      'BL_REGISTRY_INVALID_ROLLOUT',
    );
    expect(code(() => applyRolloutChange(v1, { type: 'canary-set', version: '2', percent: 2.5 }, meta))).toBe(
      'BL_REGISTRY_INVALID_ROLLOUT',
    );
    expect(applyRolloutChange(v1, { type: 'canary-set', version: '2', percent: 0 }, meta).canary).toBeNull();
  });

  it('retire takes a version out of every slot and the history, but never the live one', () => {
    let r: RolloutState = applyRolloutChange(v1, { type: 'promoted', version: '2' }, meta);
    r = applyRolloutChange(r, { type: 'shadow-set', version: '3' }, meta);
    expect(code(() => applyRolloutChange(r, { type: 'retired', version: '2' }, meta))).toBe('BL_REGISTRY_INVALID_ROLLOUT');
    const retired = applyRolloutChange(
      applyRolloutChange(r, { type: 'retired', version: '1' }, meta),
      { type: 'retired', version: '3' },
      meta,
    );
    expect(retired).toMatchObject({ live: '2', history: [], shadow: null });
  });

  it('parses stored state, defaulting to an empty rollout', () => {
    expect(parseRollout('fraud', undefined)).toEqual(emptyRollout('fraud'));
    expect(parseRollout('fraud', Buffer.from(JSON.stringify(v1)))).toEqual(v1);
  });
});
