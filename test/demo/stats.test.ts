/** The demo's figures: the received latency is the one reported, and only this run's events count. */
import { describe, expect, it } from 'vitest';
import { DemoStats } from '../../demo/stats.ts';

describe('DemoStats', () => {
  it('reports received latency as latencyMs, the publish-time figure beside it', () => {
    const s = new DemoStats();
    for (let i = 0; i < 100; i++) {
      s.recordSent(`e${i}`, null);
      expect(
        s.recordDecision({
          eventId: `e${i}`,
          decision: 'approve',
          receivedLatencyMs: 20 + i,
          publishLatencyMs: 10 + i,
          modelVersion: 'm@1',
        }),
      ).toBe(true);
    }
    const sum = s.summary();
    expect(sum.latencyBasis).toBe('received');
    expect(sum.latencyMs.p50).toBe(70);
    expect(sum.publishLatencyMs.p50).toBe(60);
    expect(sum.latencyMs.max).toBe(119);
    expect(s.recentLatency().p50).toBe(70);
  });

  it('counts each event once and ignores decisions for events it did not send', () => {
    const s = new DemoStats();
    s.recordSent('mine', 'velocity');
    const d = { eventId: 'mine', decision: 'block', receivedLatencyMs: 5, publishLatencyMs: 4, modelVersion: null };
    expect(s.recordDecision(d)).toBe(true);
    expect(s.recordDecision(d)).toBe(false);
    // A decision left over from an earlier run (or another run on the same cluster).
    expect(s.recordDecision({ ...d, eventId: 'old', receivedLatencyMs: 150_000 })).toBe(false);
    const sum = s.summary();
    expect(sum.decided).toBe(1);
    expect(sum.latencyMs.max).toBe(5);
    expect(sum.fraudsBlocked).toBe(1);
  });
});
