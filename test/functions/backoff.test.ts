import { describe, expect, it } from 'vitest';
import { Backoff } from '../../functions/backoff.ts';

describe('reconnect backoff', () => {
  it('doubles up to the maximum with +-10% jitter', () => {
    const b = new Backoff(100, 400);
    const delays = Array.from({ length: 5 }, () => b.next());
    [100, 200, 400, 400, 400].forEach((base, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(base * 0.9);
      expect(delays[i]).toBeLessThanOrEqual(base * 1.1);
    });
  });

  it('spreads only the first delay after each reset over 0..spreadMs, so topics closed together reopen apart', () => {
    const firsts: number[] = [];
    for (let i = 0; i < 200; i++) {
      const b = new Backoff(100, 30_000, 1_000);
      firsts.push(b.next());
      // Later delays carry no spread.
      expect(b.next()).toBeLessThanOrEqual(220);
      b.reset();
      const again = b.next();
      expect(again).toBeGreaterThanOrEqual(90);
      expect(again).toBeLessThanOrEqual(1_110);
    }
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(1_110);
    // Spread over the range, not bunched (200 draws: the chance either half stays empty is ~1e-60).
    expect(firsts.filter((d) => d < 600).length).toBeGreaterThan(20);
    expect(firsts.filter((d) => d >= 600).length).toBeGreaterThan(20);
  });
});
