import { describe, expect, it } from 'vitest';
import { compileLinkFaults, LinkShaper, NO_FAULTS } from '../../../scripts/chaos/link-shaper.ts';

describe('LinkShaper', () => {
  it('delivers at once without faults', () => {
    const s = new LinkShaper(() => 0.5);
    expect(s.deliverAt(100, 1000, NO_FAULTS)).toBe(100);
    expect(s.deliverAt(105, 1000, NO_FAULTS)).toBe(105);
  });

  it('adds latency and jitter within latency ± jitter, never below zero', () => {
    const f = compileLinkFaults({ latencyMs: 100, jitterMs: 40 });
    expect(new LinkShaper(() => 0).deliverAt(0, 1, f)).toBe(60);
    expect(new LinkShaper(() => 1).deliverAt(0, 1, f)).toBe(140);
    expect(new LinkShaper(() => 0.5).deliverAt(0, 1, f)).toBe(100);
    expect(new LinkShaper(() => 0).deliverAt(0, 1, compileLinkFaults({ latencyMs: 10, jitterMs: 50 }))).toBe(0);
  });

  it('never delivers a chunk before the one in front of it (TCP does not reorder)', () => {
    const rolls = [1, 0];
    const s = new LinkShaper(() => rolls.shift() ?? 0);
    const f = compileLinkFaults({ latencyMs: 100, jitterMs: 50 });
    const first = s.deliverAt(0, 1, f); // 150
    const second = s.deliverAt(10, 1, f); // would be 60
    expect(first).toBe(150);
    expect(second).toBe(150);
  });

  it('spaces chunks by size over the bandwidth limit', () => {
    const s = new LinkShaper(() => 0.5);
    const f = compileLinkFaults({ bandwidthBytesPerSec: 1000 });
    expect(s.deliverAt(0, 500, f)).toBe(500);
    expect(s.deliverAt(0, 500, f)).toBe(1000);
    // After an idle spell the wire is free again at once.
    expect(s.deliverAt(5000, 100, f)).toBe(5100);
  });

  it('refuses a negative or non-numeric setting, naming the field', () => {
    expect(() => compileLinkFaults({ latencyMs: -1 })).toThrow(/latencyMs = -1 .*>= 0/);
    expect(() => compileLinkFaults({ jitterMs: Number.NaN })).toThrow(/jitterMs/);
  });
});
