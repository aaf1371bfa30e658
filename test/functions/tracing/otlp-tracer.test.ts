import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics, parseTraceparent } from '../../../functions/control-plane.ts';
import { newTraceContext } from '../../../functions/telemetry.ts';
import { TraceIdRatio } from '../../../functions/tracing/trace-id-ratio.ts';
import { compileTracingOptions, OtlpTracer } from '../../../functions/tracing/index.ts';

const PARENT = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'vendor=x');
const UNSAMPLED = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');

/** The fields of an OTLP/JSON span this test reads. */
interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: unknown[];
  status: { code?: number; message?: string };
  links: Array<{ traceId: string; spanId: string }>;
}

/** An OTLP/HTTP request body as this test reads it. */
interface OtlpBody {
  resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }>;
}

/**
 * A collector on a free local port that keeps every /v1/traces body it receives: JSON ones parsed
 * (`bodies`), protobuf ones raw (`raw`, with their content type).
 */
async function collector(): Promise<{
  bodies: OtlpBody[];
  raw: Array<{ type: string | undefined; body: Buffer }>;
  server: Server;
  port: number;
}> {
  const bodies: OtlpBody[] = [];
  const raw: Array<{ type: string | undefined; body: Buffer }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'];
      if (req.url === '/v1/traces') {
        if (type === 'application/json') bodies.push(JSON.parse(body.toString('utf8')) as OtlpBody);
        else raw.push({ type, body });
      }
      if (type === 'application/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      // An empty ExportTraceServiceResponse: zero bytes of protobuf.
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { bodies, raw, server, port: (server.address() as AddressInfo).port };
}

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

  it('exports what the SDK span would: local parents not remote, times in order, nothing changes after end', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
    const before = Date.now();
    const process = tracer.startSpan('process', { kind: 'consumer', parent: PARENT, attributesIfRecorded: () => ({ id: 'm1' }) });
    const decode = tracer.startSpan('decode', { parent: process.context, attributes: { shared: 1 } });
    decode.end();
    decode.setAttribute('late', true);
    decode.setError('too late');
    process.end();
    await tracer.flush();
    const [d, p] = exporter.getFinishedSpans();
    expect(d?.name).toBe('decode');
    expect(d?.kind).toBe(0); // SpanKind.INTERNAL
    expect(d?.parentSpanContext).toMatchObject({ spanId: p?.spanContext().spanId, isRemote: false });
    expect(p?.parentSpanContext).toMatchObject({ spanId: PARENT?.spanId, isRemote: true, traceFlags: 1 });
    // The trace's vendor state goes on to children, local or not.
    expect(d?.spanContext().traceState?.serialize()).toBe('vendor=x');
    expect(p?.spanContext().traceState?.serialize()).toBe('vendor=x');
    expect(d?.attributes).toEqual({ shared: 1 });
    expect(d?.status).toEqual({ code: 0 });
    expect(p?.attributes).toEqual({ id: 'm1' });
    const ms = (t: readonly [number, number] | undefined): number => (t === undefined ? Number.NaN : t[0] * 1000 + t[1] / 1e6);
    expect(ms(p?.startTime)).toBeGreaterThanOrEqual(before - 1);
    expect(ms(p?.endTime)).toBeGreaterThanOrEqual(ms(d?.endTime));
    expect(ms(p?.duration)).toBeCloseTo(ms(p?.endTime) - ms(p?.startTime), 3);
    expect(p?.ended).toBe(true);
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

  it("TraceIdRatio decides every id as the SDK's TraceIdRatioBasedSampler does, at every ratio", () => {
    for (const ratio of [0, 0.001, 0.1, 0.5, 0.9, 1]) {
      const ours = new TraceIdRatio(ratio);
      const sdk = new TraceIdRatioBasedSampler(ratio);
      let sampled = 0;
      for (let i = 0; i < 5000; i++) {
        const id = newTraceContext().traceId;
        const expected = sdk.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED;
        expect(ours.sampled(id), `${id} at ${ratio}`).toBe(expected);
        if (expected) sampled++;
      }
      // The ids are random: the share sampled is near the ratio.
      expect(Math.abs(sampled / 5000 - ratio)).toBeLessThan(0.03);
    }
    // Edge words: all ones and zero in every word.
    for (const id of ['ffffffffffffffffffffffffffffffff', '0000000100000000000000000000000f', 'ffffffff00000000ffffffff00000001']) {
      for (const ratio of [0.1, 0.5, 1]) {
        expect(new TraceIdRatio(ratio).sampled(id)).toBe(
          new TraceIdRatioBasedSampler(ratio).shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED,
        );
      }
    }
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

  it('exports from its own thread as OTLP/HTTP JSON: ids, parents, kinds, attributes, status, links and the resource', async () => {
    const { bodies, server, port } = await collector();
    const metrics = new PrometheusMetrics();
    const tracer = new OtlpTracer(
      { endpoint: `http://127.0.0.1:${port}`, protocol: 'http/json', sampleRatio: 0, serviceName: 'svc' },
      { metrics },
    );
    try {
      const process = tracer.startSpan('events process', { kind: 'consumer', parent: PARENT, attributes: { n: 3, ok: true } });
      const score = tracer.startSpan('score', { parent: process.context, attributes: { 'beamline.model.version': 'm@2' } });
      score.setError('stalled');
      score.end();
      process.end();
      const batch = tracer.startSpan('events process batch', { kind: 'consumer', sampled: true, links: [process.context!] });
      batch.end();
      await tracer.flush();
      const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((x) => x.spans)));
      const byName = new Map(spans.map((x) => [x.name, x]));
      expect([...byName.keys()].sort()).toEqual(['events process', 'events process batch', 'score']);
      const p = byName.get('events process');
      expect(p).toMatchObject({ traceId: PARENT?.traceId, parentSpanId: PARENT?.spanId, kind: 5, traceState: 'vendor=x' });
      expect(p?.attributes).toEqual([
        { key: 'n', value: { intValue: 3 } },
        { key: 'ok', value: { boolValue: true } },
      ]);
      expect(Number(p?.endTimeUnixNano) - Number(p?.startTimeUnixNano)).toBeGreaterThanOrEqual(0);
      const s = byName.get('score');
      expect(s).toMatchObject({ traceId: PARENT?.traceId, parentSpanId: p?.spanId, kind: 1, status: { code: 2, message: 'stalled' } });
      expect(byName.get('events process batch')?.links).toMatchObject([{ traceId: PARENT?.traceId, spanId: p?.spanId }]);
      const resource = bodies[0]?.resourceSpans[0]?.resource.attributes;
      expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'svc' } });
      expect(bodies[0]?.resourceSpans[0]?.scopeSpans[0]?.scope.name).toBe('beamline');
      expect(await metrics.render()).toContain('beamline_trace_spans_exported_total 3');
    } finally {
      await tracer.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('exports OTLP/HTTP protobuf by default (the specification default): binary ids, names, the resource', async () => {
    const { raw, bodies, server, port } = await collector();
    const metrics = new PrometheusMetrics();
    const tracer = new OtlpTracer({ endpoint: `http://127.0.0.1:${port}`, sampleRatio: 0, serviceName: 'svc-proto' }, { metrics });
    try {
      const span = tracer.startSpan('events process', { kind: 'consumer', parent: PARENT, attributes: { 'beamline.tenant': 'acme' } });
      span.end();
      await tracer.flush();
      expect(bodies).toEqual([]);
      expect(raw.map((r) => r.type)).toEqual(['application/x-protobuf']);
      const body = raw[0]?.body ?? Buffer.alloc(0);
      // Protobuf carries ids as raw bytes (JSON as hex text) and strings as UTF-8.
      for (const bytes of [
        Buffer.from(PARENT?.traceId ?? '', 'hex'),
        Buffer.from(span.context?.spanId ?? '', 'hex'),
        Buffer.from(PARENT?.spanId ?? '', 'hex'),
        Buffer.from('events process'),
        Buffer.from('svc-proto'),
        Buffer.from('beamline.tenant'),
        Buffer.from('acme'),
      ]) {
        expect(body.includes(bytes)).toBe(true);
      }
      expect(body.includes(Buffer.from(PARENT?.traceId ?? ''))).toBe(false);
      expect(await metrics.render()).toContain('beamline_trace_spans_exported_total 1');
    } finally {
      await tracer.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a frozen attribute set to the export thread once; each span exports it with its own attributes on top', async () => {
    const { bodies, server, port } = await collector();
    const tracer = new OtlpTracer({ endpoint: `http://127.0.0.1:${port}`, protocol: 'http/json', sampleRatio: 0, serviceName: 'svc' });
    const shared = Object.freeze({ 'messaging.system': 'pulsar', 'messaging.operation.type': 'process' });
    try {
      const first = tracer.startSpan('p1', {
        parent: PARENT,
        attributes: shared,
        attributesIfRecorded: () => ({ 'messaging.message.id': '1:0' }),
      });
      first.setAttribute('beamline.state.reads', 2);
      first.end();
      await tracer.flush();
      // A later post refers to the set by number only (the thread kept it).
      const second = tracer.startSpan('p2', { parent: PARENT, attributes: shared });
      second.setAttribute('messaging.operation.type', 'settle');
      second.end();
      tracer.startSpan('p3', { parent: PARENT, attributes: shared }).end();
      await tracer.flush();
      const spans = new Map(
        bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((x) => x.spans))).map((x) => [x.name, x]),
      );
      const attrs = (name: string): Record<string, unknown> =>
        Object.fromEntries(
          (spans.get(name)?.attributes as Array<{ key: string; value: Record<string, unknown> }>).map((a) => [
            a.key,
            Object.values(a.value)[0],
          ]),
        );
      expect(attrs('p1')).toEqual({
        'messaging.system': 'pulsar',
        'messaging.operation.type': 'process',
        'messaging.message.id': '1:0',
        'beamline.state.reads': 2,
      });
      expect(attrs('p2')).toEqual({ 'messaging.system': 'pulsar', 'messaging.operation.type': 'settle' });
      expect(attrs('p3')).toEqual({ 'messaging.system': 'pulsar', 'messaging.operation.type': 'process' });
      expect(shared).toEqual({ 'messaging.system': 'pulsar', 'messaging.operation.type': 'process' });
    } finally {
      await tracer.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not keep the process alive: a program that never closes its tracer still exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-tracer-'));
    const script = join(dir, 'never-closed.ts');
    const tracing = pathToFileURL(join(process.cwd(), 'functions', 'tracing', 'index.ts')).href;
    writeFileSync(
      script,
      [
        `import { OtlpTracer } from ${JSON.stringify(tracing)};`,
        // Nothing listens on port 9: the export thread is up and its exporter keeps trying.
        "const tracer = new OtlpTracer({ endpoint: 'http://127.0.0.1:9', sampleRatio: 1 });",
        "for (let i = 0; i < 10; i++) tracer.startSpan('s').end();",
        "setTimeout(() => process.stdout.write('ended spans\\n'), 300);",
      ].join('\n'),
    );
    try {
      const t0 = Date.now();
      const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('error', reject);
        child.once('exit', (c) => {
          clearTimeout(kill);
          resolve({ code: c, out });
        });
      });
      expect(out).toContain('ended spans');
      expect(code).toBe(0);
      // Well before the export's own 10 s timeout: the thread did not hold the process.
      expect(Date.now() - t0).toBeLessThan(8_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    expect(compileTracingOptions({ endpoint: 'http://c:4318' }).protocol).toBe('http/protobuf');
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', protocol: 'grpc' as 'http/json' })).toThrow(
      /tracing\.protocol: invalid value "grpc".*http\/protobuf or http\/json/,
    );
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', maxQueue: 0 })).toThrow(/tracing\.maxQueue/);
    expect(() => compileTracingOptions({ endpoint: 'http://c:4318', maxQueue: 10, maxExportBatch: 20 })).toThrow(
      /tracing\.maxExportBatch.*at most tracing\.maxQueue \(10\)/,
    );
  });
});
