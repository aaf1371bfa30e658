import { describe, expect, it } from 'vitest';
import { ScoreDrift, populationStabilityIndex, scoreBaseline, scoreBin } from '../../../../functions/runtime/model-registry/index.ts';

describe('population stability index', () => {
  it('is zero for identical distributions, whatever their scale', () => {
    expect(populationStabilityIndex([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(0, 12);
  });

  it('matches a hand-computed value', () => {
    // (0.3-0.5)ln(0.3/0.5) + (0.7-0.5)ln(0.7/0.5) = 0.2*ln(5/3) + 0.2*ln(1.4)
    expect(populationStabilityIndex([0.5, 0.5], [0.3, 0.7])).toBeCloseTo(0.2 * Math.log(5 / 3) + 0.2 * Math.log(1.4), 12);
  });

  it('is symmetric and grows with the shift', () => {
    const base = [25, 25, 25, 25];
    const small = [30, 25, 25, 20];
    const large = [70, 10, 10, 10];
    expect(populationStabilityIndex(base, small)).toBeCloseTo(populationStabilityIndex(small, base), 12);
    expect(populationStabilityIndex(base, small)).toBeLessThan(0.1);
    expect(populationStabilityIndex(base, large)).toBeGreaterThan(0.25);
  });

  it('stays finite when a bin is empty on one side', () => {
    const psi = populationStabilityIndex([0, 50, 50], [10, 45, 45]);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(0.25);
  });

  it('refuses mismatched or empty distributions, naming the problem', () => {
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/same number of bins \(got 2 and 3\)/);
    expect(() => populationStabilityIndex([0, 0], [1, 2])).toThrow(/no mass/);
  });
});

describe('score bins and baselines', () => {
  it('bins scores into ten equal bins, clamping the ends', () => {
    expect([-1, 0, 0.05, 0.1, 0.55, 0.99, 1, 2, Number.NaN].map(scoreBin)).toEqual([0, 0, 0, 1, 5, 9, 9, 9, 0]);
  });

  it('reads a baseline from manifest metrics only when all ten bins are there', () => {
    const full = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`score_bin_${i}`, i + 1]));
    expect(scoreBaseline({ ...full, auc: 0.9 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const { score_bin_3: _gone, ...partial } = full;
    expect(scoreBaseline(partial)).toBeUndefined();
    expect(scoreBaseline({ ...full, score_bin_2: -1 })).toBeUndefined();
  });

  it('reports drift only after enough scores, then against the baseline', () => {
    const uniform = new Array<number>(10).fill(1);
    const d = new ScoreDrift(uniform, 20);
    for (let i = 0; i < 19; i++) d.observe((i % 10) / 10 + 0.05);
    expect(d.psi()).toBeUndefined();
    d.observe(0.95);
    expect(d.psi()).toBeCloseTo(0, 12);
    for (let i = 0; i < 200; i++) d.observe(0.97);
    expect(d.psi()).toBeGreaterThan(0.25);
  });
});
