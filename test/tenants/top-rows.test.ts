import { describe, expect, it } from 'vitest';
import { buildRows, histogramQuantile, parsePromText, renderTable, sortRows, type Scrape } from '../../tenants/top/index.ts';

const text = (received: number, dead: number, fast: number, total: number): string =>
  [
    '# HELP beamline_records_received_total x',
    '# TYPE beamline_records_received_total counter',
    `beamline_records_received_total{tenant="t",namespace="a"} ${received}`,
    `beamline_dead_lettered_total{tenant="t",namespace="a",reason="decode-error"} ${dead}`,
    `beamline_decision_latency_seconds_bucket{le="0.1",tenant="t",namespace="a"} ${fast}`,
    `beamline_decision_latency_seconds_bucket{le="0.5",tenant="t",namespace="a"} ${total}`,
    `beamline_decision_latency_seconds_bucket{le="+Inf",tenant="t",namespace="a"} ${total}`,
    'beamline_slo_decision_latency_bound_seconds{tenant="t",namespace="a"} 0.5',
    'beamline_inference_breaker_state{model="fraud"} 2',
    'beamline_model_traffic_ratio{model="fraud",version="3",route="canary"} 0.1',
    'beamline_model_traffic_ratio{model="fraud",version="2",route="live"} 0.9',
    'beamline_model_traffic_ratio{model="fraud",version="1",route="live"} 0',
    'beamline_records_received_total{tenant="u",namespace="b"} 5',
  ].join('\n');

const scrape = (atMs: number, body: string): Scrape => ({ url: 'http://w/metrics', atMs, samples: parsePromText(body) });

describe('beamline top rows', () => {
  it('parses the exposition format, escapes and special values included', () => {
    expect(parsePromText('m{a="x\\"y",b="1\\\\2"} +Inf\n# c\nn 3 1700000000\nbad line here\n')).toEqual([
      { name: 'm', labels: { a: 'x"y', b: '1\\2' }, value: Infinity },
      { name: 'n', labels: {}, value: 3 },
    ]);
  });

  it('interpolates quantiles inside buckets like histogram_quantile', () => {
    const b: Array<[number, number]> = [
      [0.1, 50],
      [0.5, 100],
      [Infinity, 100],
    ];
    expect(histogramQuantile(0.5, b, 100)).toBeCloseTo(0.1, 12);
    expect(histogramQuantile(0.75, b, 100)).toBeCloseTo(0.3, 12);
    expect(histogramQuantile(0.25, b, 100)).toBeCloseTo(0.05, 12);
  });

  it('turns two scrapes into rates, recent percentiles, models and the breaker', () => {
    const rows = buildRows({ before: [scrape(0, text(100, 10, 100, 100))], now: [scrape(2000, text(300, 30, 110, 200))], tenant: 't' });
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r).toMatchObject({
      tenant: 't',
      namespace: 'a',
      workers: 1,
      inputPerSec: 100,
      deadLetterPerSec: 10,
      sloBoundMs: 500,
      breaker: 'open',
      backlog: null,
    });
    // Of the 100 recent decisions 10 were under 100 ms: p50 lies inside the (0.1, 0.5] bucket.
    expect(r?.decisionP50Ms).toBeCloseTo((0.1 + (0.4 * 40) / 90) * 1000, 6);
    expect(r?.models).toEqual([
      { model: 'fraud', version: '2', route: 'live', share: 0.9 },
      { model: 'fraud', version: '3', route: 'canary', share: 0.1 },
    ]);
    expect(renderTable(rows, 'namespace', 'status')).toMatch(/t\/a\s+1\s+100\.0\s+-\s+\d+\s+\d+\s+500\s+-\s+2 90%, 3 canary 10%\s+open/);
  });

  it('sorts figures busiest first and unknowns last', () => {
    const rows = buildRows({
      now: [scrape(0, text(1, 0, 1, 1))],
      broker: new Map([
        ['t/a', { inputPerSec: 1, backlog: 5, replicationBacklog: null }],
        ['u/b', { inputPerSec: 2, backlog: 50, replicationBacklog: null }],
        ['u/c', { inputPerSec: null, backlog: null, replicationBacklog: null }],
      ]),
    });
    expect(sortRows(rows, 'backlog').map((r) => `${r.tenant}/${r.namespace}`)).toEqual(['u/b', 't/a', 'u/c']);
    expect(sortRows(rows, 'namespace').map((r) => r.namespace)).toEqual(['a', 'b', 'c']);
  });
});
