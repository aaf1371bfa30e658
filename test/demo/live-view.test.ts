import { describe, expect, it } from 'vitest';
import { DemoStats } from '../../demo/stats.ts';
import { meanOf, renderLive, sampleOf } from '../../demo/view.ts';

const EXPOSITION = [
  '# HELP beamline_consumer_backlog_messages Messages waiting in the input subscription',
  'beamline_consumer_backlog_messages{tenant="acme-payments",namespace="central"} 37',
  'beamline_inference_batch_fill_ratio_sum{model="fraud@demo-1"} 3',
  'beamline_inference_batch_fill_ratio_count{model="fraud@demo-1"} 4',
  'beamline_inference_batch_fill_ratio_sum{model="other"} 1',
  'beamline_inference_batch_fill_ratio_count{model="other"} 4',
].join('\n');

describe('demo live view (#22)', () => {
  it('reads backlog and mean batch fill from the worker metrics', () => {
    expect(sampleOf(EXPOSITION, 'beamline_consumer_backlog_messages')).toBe(37);
    expect(sampleOf(EXPOSITION, 'beamline_missing_total')).toBeUndefined();
    expect(meanOf(EXPOSITION, 'beamline_inference_batch_fill_ratio')).toBe(0.5);
    expect(meanOf('', 'beamline_inference_batch_fill_ratio')).toBeUndefined();
  });

  it('shows the latency SLO, backlog, fill, model version and review count', () => {
    const stats = new DemoStats();
    // Only events this run sent are counted (#18).
    for (let i = 0; i < 100; i++) stats.recordSent(`e${i}`, null);
    for (let i = 0; i < 100; i++)
      stats.recordDecision({
        eventId: `e${i}`,
        decision: i < 3 ? 'review' : 'approve',
        receivedLatencyMs: i < 98 ? 100 : 900,
        publishLatencyMs: i < 98 ? 90 : 890,
        modelVersion: 'fraud@demo-1',
      });
    const lat = stats.recentLatency(2000, 500);
    expect(lat.withinBound).toBe(0.98);
    const line = renderLive({
      tty: false,
      sentPerSecond: 100,
      decidedPerSecond: 100,
      p50: lat.p50,
      p99: lat.p99,
      sent: 100,
      decided: stats.decided,
      worker: 'running',
      slo: { boundMs: 500, withinBound: lat.withinBound },
      backlog: 37,
      batchFill: 0.5,
      modelVersion: stats.lastModelVersion,
      reviews: stats.reviews,
    });
    expect(line).toContain('slo<=500ms 98.0%');
    expect(line).toContain('backlog 37');
    expect(line).toContain('fill 50%');
    expect(line).toContain('model fraud@demo-1');
    expect(line).toContain('review 3');
  });
});
