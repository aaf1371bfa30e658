import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/index.ts';
import { PrometheusMetrics, parseTraceparent } from '../../../functions/control-plane.ts';
import { compileTracingOptions, encodeSpans, OtlpTracer, unixNanos } from '../../../functions/tracing/index.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code: number; message: string };
}

function capture(): { bodies: string[]; spans: () => OtlpSpan[]; transport: (b: string) => Promise<void> } {
  const bodies: string[] = [];
  return {
    bodies,
    transport: async (b) => void bodies.push(b),
    spans: () =>
      bodies.flatMap((b) =>
        (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans),
        ),
      ),
  };
}

const PARENT = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
const UNSAMPLED = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');

describe('OtlpTracer', () => {
  it('records children of a sampled parent and exports them as OTLP/JSON on the interval', async () => {
    const clock = new FakeClock();
    const out = capture();
    const tracer = new OtlpTracer(
      { endpoint: 'http://collector:4318', sampleRatio: 0, serviceName: 'svc', exportIntervalMs: 1000 },
      { clock, transport: out.transport },
    );
    const span = tracer.startSpan('events process', {
      kind: 'consumer',
      parent: PARENT,
      attributes: { 'messaging.system': 'pulsar', n: 3, ok: true, share: 0.5 },
    });
    expect(span.recording).toBe(true);
    expect(span.context?.traceId).toBe(PARENT?.traceId);
    await clock.advance(5);
    span.setError('boom');
    span.end();
    span.end();
    expect(out.bodies).toHaveLength(0);
    await clock.advance(1000);
    await tracer.flush();
    const body = JSON.parse(out.bodies[0] ?? '{}') as {
      resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: unknown }> } }>;
    };
    expect(body.resourceSpans[0]?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'svc' } });
    const [s] = out.spans();
    expect(s).toMatchObject({
      name: 'events process',
      kind: 5,
      traceId: PARENT?.traceId,
      parentSpanId: PARENT?.spanId,
      status: { code: 2, message: 'boom' },
    });
    expect(s?.attributes).toEqual([
      { key: 'messaging.system', value: { stringValue: 'pulsar' } },
      { key: 'n', value: { intValue: '3' } },
      { key: 'ok', value: { boolValue: true } },
      { key: 'share', value: { doubleValue: 0.5 } },
    ]);
    expect(BigInt(s!.endTimeUnixNano) - BigInt(s!.startTimeUnixNano)).toBe(5_000_000n);
    expect(out.spans()).toHaveLength(1);
    await tracer.close();
  });

  it('is parent-based: nothing under an unsampled parent, whose context still passes through', async () => {
    const out = capture();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 1 }, { clock: new FakeClock(), transport: out.transport });
    const span = tracer.startSpan('x', { parent: UNSAMPLED });
    expect(span.recording).toBe(false);
    expect(span.context).toEqual(UNSAMPLED);
    span.end();
    await tracer.flush();
    expect(out.bodies).toHaveLength(0);
  });

  it('samples new traces by ratio unless told; an unsampled root propagates nothing', () => {
    const none = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { transport: async () => undefined });
    const root = none.startSpan('root');
    expect(root.recording).toBe(false);
    expect(root.context).toBeUndefined();
    const forced = none.startSpan('forced', { sampled: true });
    expect(forced.recording).toBe(true);
    expect(forced.context?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(forced.context?.spanId).toMatch(/^[0-9a-f]{16}$/);
    const tenth = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0.1 }, { transport: async () => undefined });
    let recorded = 0;
    for (let i = 0; i < 10_000; i++) if (tenth.startSpan('r').recording) recorded++;
    expect(recorded).toBeGreaterThan(800);
    expect(recorded).toBeLessThan(1200);
  });

  it('drops spans beyond the queue and after a failed export, and counts them', async () => {
    const metrics = new PrometheusMetrics();
    const clock = new FakeClock();
    let calls = 0;
    const tracer = new OtlpTracer(
      { endpoint: 'http://c:4318', sampleRatio: 1, maxQueue: 3, maxExportBatch: 10 },
      {
        clock,
        metrics,
        transport: async () => {
          calls++;
          throw new Error('collector down');
        },
      },
    );
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    await tracer.flush();
    expect(calls).toBe(1);
    const text = await metrics.render();
    expect(text).toContain('beamline_trace_spans_dropped_total{reason="queue-full"} 2');
    expect(text).toContain('beamline_trace_spans_dropped_total{reason="export-failed"} 3');
    expect(text).toContain('beamline_trace_exports_failed_total 1');
    await tracer.close();
    tracer.startSpan('late').end();
    expect(tracer.startSpan('after close').recording).toBe(false);
  });

  it('sends a full batch at once', async () => {
    const out = capture();
    const tracer = new OtlpTracer(
      { endpoint: 'http://c:4318/', sampleRatio: 1, maxExportBatch: 2 },
      { clock: new FakeClock(), transport: out.transport },
    );
    expect(tracer.config.tracesUrl).toBe('http://c:4318/v1/traces');
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    await tracer.flush();
    expect(out.bodies).toHaveLength(1);
    expect(out.spans().map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('names the field, value and fix of a bad option', () => {
    expect(() => compileTracingOptions({ endpoint: 'collector:4318x' })).toThrow(/tracing\.endpoint.*http/);
    expect(() => compileTracingOptions({ endpoint: 'grpc://c:4317' })).toThrow(/tracing\.endpoint.*http:\/\//);
    expect(() => compileTracingOptions({ endpoint: 'http://u:p@c:4318' })).toThrow(/credentials/);
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', sampleRatio: 1.5 })).toThrow(
      /tracing\.sampleRatio: invalid value 1\.5/,
    );
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', maxQueue: 0 })).toThrow(/tracing\.maxQueue/);
  });

  it('encodes exact nanoseconds and links', () => {
    expect(unixNanos(1_700_000_000_123.25)).toBe('1700000000123250000');
    expect(unixNanos(5.9999999)).toBe('6000000');
    const body = JSON.parse(
      encodeSpans(
        [
          {
            name: 'batch',
            kind: 'consumer',
            traceId: 'a'.repeat(32),
            spanId: 'b'.repeat(16),
            parentSpanId: undefined,
            traceState: undefined,
            startTimeUnixNano: '1',
            endTimeUnixNano: '2',
            attributes: {},
            links: [PARENT!],
            error: undefined,
          },
        ],
        { resource: {}, scopeName: 's', scopeVersion: '1' },
      ),
    ) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    const s = body.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(s?.links).toEqual([{ traceId: PARENT?.traceId, spanId: PARENT?.spanId }]);
    expect(s).not.toHaveProperty('parentSpanId');
    expect(s).not.toHaveProperty('status');
  });
});
