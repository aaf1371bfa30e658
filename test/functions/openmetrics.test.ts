import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../functions/index.ts';
import { PrometheusMetrics, contentTypeOf, metricsFormatFor, noopMetrics, startHttpEndpoints } from '../../functions/control-plane.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function metrics(): { m: PrometheusMetrics; clock: FakeClock } {
  const clock = new FakeClock(1_733_472_000_123);
  return { m: new PrometheusMetrics(undefined, clock), clock };
}

describe('OpenMetrics exposition with exemplars (#22)', () => {
  it('puts the latest exemplar on the bucket whose range holds the value', async () => {
    const { m, clock } = metrics();
    const h = m.histogram('beamline_decision_latency_seconds', 'Decision latency', ['tenant', 'namespace'], [0.1, 0.5, 1]);
    const labels = { tenant: 't', namespace: 'ns' };
    h.observe(labels, 0.05);
    h.observe(labels, 0.3, { traceId: 'a'.repeat(32) });
    await clock.advance(1000);
    h.observe(labels, 0.31, { traceId: TRACE, spanId: SPAN });
    h.observe(labels, 7, { traceId: 'b'.repeat(32) });
    const text = await m.render('openmetrics');
    const lines = text.split('\n');
    expect(lines).toContain('# TYPE beamline_decision_latency_seconds histogram');
    expect(lines).toContain('beamline_decision_latency_seconds_bucket{le="0.1",tenant="t",namespace="ns"} 1');
    expect(lines).toContain(
      `beamline_decision_latency_seconds_bucket{le="0.5",tenant="t",namespace="ns"} 3 # {trace_id="${TRACE}",span_id="${SPAN}"} 0.31 1733472001.123`,
    );
    expect(lines).toContain('beamline_decision_latency_seconds_bucket{le="1",tenant="t",namespace="ns"} 3');
    expect(lines).toContain(
      `beamline_decision_latency_seconds_bucket{le="+Inf",tenant="t",namespace="ns"} 4 # {trace_id="${'b'.repeat(32)}"} 7 1733472001.123`,
    );
    expect(lines).toContain('beamline_decision_latency_seconds_count{tenant="t",namespace="ns"} 4');
    expect(text.endsWith('# EOF\n')).toBe(true);
    // Prometheus text never shows exemplars (its format has none).
    const prom = await m.render();
    expect(prom).not.toContain('trace_id');
    expect(prom).toContain('beamline_decision_latency_seconds_bucket{le="0.5",tenant="t",namespace="ns"} 3');
  });

  it('names counter families without _total (samples keep it), escapes, and keeps series names of other counters', async () => {
    const { m } = metrics();
    m.counter('beamline_events_in_total', 'Input "events"\nper \\ worker', ['tenant']).inc({ tenant: 'a"b' }, 2);
    m.counter('beamline_window_records_messages', 'Records', []).inc(undefined, 3);
    m.gauge('beamline_consumer_backlog_messages', 'Backlog', []).set({}, 5);
    const text = await m.render('openmetrics');
    expect(text).toContain('# TYPE beamline_events_in counter\n# HELP beamline_events_in Input \\"events\\"\\nper \\\\ worker\n');
    expect(text).toContain('beamline_events_in_total{tenant="a\\"b"} 2\n');
    expect(text).toContain('# TYPE beamline_window_records_messages unknown\n');
    expect(text).toContain('beamline_window_records_messages 3\n');
    expect(text).toContain('# TYPE beamline_consumer_backlog_messages gauge\n');
    // Rendering OpenMetrics leaves the Prometheus text as it was.
    expect(await m.render('prometheus')).toContain('# TYPE beamline_events_in_total counter\nbeamline_events_in_total{tenant="a\\"b"} 2');
  });

  it('picks the format from the Accept header', () => {
    expect(metricsFormatFor(undefined)).toBe('prometheus');
    expect(metricsFormatFor('text/plain')).toBe('prometheus');
    expect(
      metricsFormatFor(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).toBe('openmetrics');
    expect(metricsFormatFor('application/openmetrics-text; q=0, text/plain')).toBe('prometheus');
    expect(contentTypeOf('openmetrics')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });

  it('serves OpenMetrics on /metrics when the scraper asks, Prometheus text otherwise', async () => {
    const { m } = metrics();
    m.histogram('beamline_batch_processing_seconds', 'Batch', [], [1]).observe({}, 0.2, { traceId: TRACE });
    const http = await startHttpEndpoints('127.0.0.1', 0, { healthy: () => true, ready: () => true, describe: () => 'running' }, m);
    try {
      const om = await fetch(`http://127.0.0.1:${http.port}/metrics`, {
        headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
      });
      expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
      expect(await om.text()).toContain(`beamline_batch_processing_seconds_bucket{le="1"} 1 # {trace_id="${TRACE}"} 0.2 `);
      const plain = await fetch(`http://127.0.0.1:${http.port}/metrics`);
      expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await plain.text()).not.toContain('# EOF');
    } finally {
      await http.close();
    }
    expect(await noopMetrics().render('openmetrics')).toBe('# EOF\n');
  });
});
