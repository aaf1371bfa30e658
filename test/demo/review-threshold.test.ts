import { describe, expect, it } from 'vitest';
import { REVIEW_TARGET_RECALL, reviewThresholdFor } from '../../demo/train.ts';

const at = (threshold: number, recall: number) => ({ threshold, precision: 0.5, recall });

describe("the demo's review band (#23)", () => {
  it('starts at the highest candidate threshold whose held-out recall reaches the target', () => {
    const evaluation = [at(0.1, 0.98), at(0.15, 0.97), at(0.2, REVIEW_TARGET_RECALL), at(0.25, 0.93), at(0.3, 0.9), at(0.9, 0.7)];
    expect(reviewThresholdFor(evaluation)).toBe(0.2);
  });

  it('keeps the highest candidate, 0.3, when even that reaches the target; a block threshold never counts', () => {
    expect(reviewThresholdFor([at(0.1, 0.99), at(0.3, 0.96), at(0.5, 0.96), at(0.9, 0.96)])).toBe(0.3);
  });

  it('falls back to the lowest candidate when no candidate reaches the target', () => {
    expect(reviewThresholdFor([at(0.1, 0.9), at(0.2, 0.85), at(0.3, 0.8)])).toBe(0.1);
  });
});
