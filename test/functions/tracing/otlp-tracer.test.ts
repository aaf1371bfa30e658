import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics, parseTraceparent } from '../../../functions/control-plane.ts';
import { compileTracingOptions, OtlpTracer } from '../../../functions/tracing/index.ts';

const PARENT = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'vendor=x');
const UNSAMPLED = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');

/** An exporter that holds each batch until the test answers it. */
class HeldExporter implements SpanExporter {
  readonly calls: Array<{ spans: ReadableSpan[]; done: (r: ExportResult) => void }> = [];
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.calls.push({ spans, done });
  }
  async shutdown(): Promise<void> {}
}

/** Lets queued promise callbacks and immediates run (no timers). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('OtlpTracer (OpenTelemetry JS SDK)', () => {
  it('records children of a sampled parent and hands them to the exporter on flush', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer(
      { endpoint: 'http://collector:4318', sampleRatio: 0, serviceName: 'svc', resource: { 'service.instance.id': 'pod-1' } },
      { exporter },
    );
    const span = tracer.startSpan('events process', {
      kind: 'consumer',
      parent: PARENT,
      attributes: { 'messaging.system': 'pulsar', n: 3, ok: true, share: 0.5 },
    });
    expect(span.recording).toBe(true);
    expect(span.context).toMatchObject({ traceId: PARENT?.traceId, sampled: true, traceState: 'vendor=x' });
    expect(span.context?.spanId).not.toBe(PARENT?.spanId);
    span.setAttribute('late', 'yes');
    span.setError('boom');
    span.end();
    span.end();
    await tracer.flush();
    const [s] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(s?.name).toBe('events process');
    expect(s?.kind).toBe(4); // SpanKind.CONSUMER
    expect(s?.spanContext().traceId).toBe(PARENT?.traceId);
    expect(s?.parentSpanContext?.spanId).toBe(PARENT?.spanId);
    expect(s?.status).toEqual({ code: 2, message: 'boom' });
    expect(s?.attributes).toEqual({ 'messaging.system': 'pulsar', n: 3, ok: true, share: 0.5, late: 'yes' });
    expect(s?.resource.attributes['service.name']).toBe('svc');
    expect(s?.resource.attributes['service.instance.id']).toBe('pod-1');
    expect(s?.resource.attributes['telemetry.sdk.name']).toBe('opentelemetry');
    expect(s?.instrumentationScope.name).toBe('beamline');
    await tracer.close();
  });

  it('is parent-based: nothing under an unsampled parent, whose context passes through unchanged', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 1 }, { exporter });
    const span = tracer.startSpan('x', { parent: UNSAMPLED });
    expect(span.recording).toBe(false);
    expect(span.context).toEqual(UNSAMPLED);
    span.end();
    await tracer.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('samples new traces by trace-id ratio unless told; an unsampled root still gets a W3C context', async () => {
    const exporter = new InMemorySpanExporter();
    const none = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
    const root = none.startSpan('root');
    expect(root.recording).toBe(false);
    expect(root.context?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.context?.sampled).toBe(false);
    const forced = none.startSpan('forced', { sampled: true, links: [PARENT!] });
    expect(forced.recording).toBe(true);
    expect(forced.context?.spanId).toMatch(/^[0-9a-f]{16}$/);
    forced.end();
    expect(none.startSpan('never', { sampled: false }).recording).toBe(false);
    await none.flush();
    const [f] = exporter.getFinishedSpans();
    expect(f?.links.map((l) => l.context.spanId)).toEqual([PARENT?.spanId]);

    const tenth = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0.1 }, { exporter: new InMemorySpanExporter() });
    let recorded = 0;
    for (let i = 0; i < 10_000; i++) if (tenth.startSpan('r').recording) recorded++;
    expect(recorded).toBeGreaterThan(800);
    expect(recorded).toBeLessThan(1200);
  });

  it("decides new traces by their trace id, as the SDK's TraceIdRatioBased does, and records them under that id", async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0.5 }, { exporter });
    const sdk = new TraceIdRatioBasedSampler(0.5);
    const decide = (traceId: string): boolean => sdk.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
    const recorded: string[] = [];
    for (let i = 0; i < 200; i++) {
      const s = tracer.startSpan('root');
      expect(s.recording).toBe(decide(s.context?.traceId ?? ''));
      if (s.recording) recorded.push(s.context?.traceId ?? '');
      s.end();
    }
    await tracer.flush();
    expect(recorded.length).toBeGreaterThan(50);
    expect(exporter.getFinishedSpans().map((s) => s.spanContext().traceId)).toEqual(recorded);
    // Children of a sampled parent are recorded whatever their trace id (ParentBased).
    expect(tracer.startSpan('child', { parent: PARENT }).recording).toBe(true);
    await tracer.close();
  });

  it('bounds the queue and counts spans dropped when it is full and when an export fails', async () => {
    const metrics = new PrometheusMetrics();
    const exporter = new HeldExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 1, maxQueue: 3, maxExportBatch: 3 }, { metrics, exporter });
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    await settle();
    expect(exporter.calls.map((c) => c.spans.length)).toEqual([3]);
    exporter.calls[0]?.done({ code: ExportResultCode.FAILED, error: new Error('collector down') });
    await settle();
    // Answered: room again.
    tracer.startSpan('s5').end();
    const flushed = tracer.flush();
    await settle();
    exporter.calls[1]?.done({ code: ExportResultCode.SUCCESS });
    await flushed;
    const text = await metrics.render();
    expect(text).toContain('beamline_trace_spans_dropped_total{reason="queue-full"} 2');
    expect(text).toContain('beamline_trace_spans_dropped_total{reason="export-failed"} 3');
    expect(text).toContain('beamline_trace_exports_failed_total 1');
    expect(text).toContain('beamline_trace_spans_exported_total 1');
    expect(exporter.calls[1]?.spans.map((s) => s.name)).toEqual(['s5']);
  });

  it('records nothing after close, and close is idempotent', async () => {
    const metrics = new PrometheusMetrics();
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 1 }, { exporter, metrics });
    const open = tracer.startSpan('open');
    tracer.startSpan('done').end();
    await Promise.all([tracer.close(), tracer.close()]);
    open.end();
    expect(tracer.startSpan('after close', { parent: PARENT }).recording).toBe(false);
    expect(tracer.startSpan('after close', { parent: PARENT }).context).toEqual(PARENT);
    expect(await metrics.render()).toContain('beamline_trace_spans_dropped_total{reason="closed"} 1');
  });

  it('flush and close resolve when the collector is down: the spans are counted as dropped, the caller is not failed', async () => {
    const metrics = new PrometheusMetrics();
    // Nothing listens on port 9 (discard) here: every export is refused.
    const tracer = new OtlpTracer({ endpoint: 'http://127.0.0.1:9', sampleRatio: 1, exportTimeoutMs: 2_000 }, { metrics });
    tracer.startSpan('a').end();
    await expect(tracer.flush()).resolves.toBeUndefined();
    tracer.startSpan('b').end();
    await expect(tracer.close()).resolves.toBeUndefined();
    const text = await metrics.render();
    expect(text).toMatch(/beamline_trace_spans_dropped_total\{reason="export-failed"\} [12]/);
  });

  it('names the field, value and fix of a bad option', () => {
    expect(compileTracingOptions({ endpoint: 'http://c:4318/' }).tracesUrl).toBe('http://c:4318/v1/traces');
    expect(() => compileTracingOptions({ endpoint: 'collector:4318x' })).toThrow(/tracing\.endpoint.*http/);
    expect(() => compileTracingOptions({ endpoint: 'grpc://c:4317' })).toThrow(/tracing\.endpoint.*http:\/\//);
    expect(() => compileTracingOptions({ endpoint: 'http://u:p@c:4318' })).toThrow(/credentials/);
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', sampleRatio: 1.5 })).toThrow(
      /tracing\.sampleRatio: invalid value 1\.5/,
    );
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', maxQueue: 0 })).toThrow(/tracing\.maxQueue/);
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', maxQueue: 10, maxExportBatch: 20 })).toThrow(
      /tracing\.maxExportBatch.*at most tracing\.maxQueue \(10\)/,
    );
  });
});
