import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { avroSchema } from '../../../functions/pulsar/index.ts';
import { createScoringHandler, Ingress, NamespaceWorker, schemaDecoder, type WorkerHandler } from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import type { ModelScore } from '../../../functions/index.ts';
import { PrometheusMetrics, parseTraceparent, traceContextOf } from '../../../functions/control-plane.ts';
import { OtlpTracer } from '../../../functions/tracing/index.ts';

const schema = avroSchema<{ card: string; amount: number }>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

interface S {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code: number };
}

const attr = (s: S | undefined, key: string): unknown => Object.values(s?.attributes.find((a) => a.key === key)?.value ?? {})[0];

const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED = '00-11111111111111111111111111111111-2222222222222222-00';

function setup(tracing: boolean): {
  io: InMemoryWorkerIo;
  worker: NamespaceWorker<{ card: string; amount: number }>;
  spans: () => S[];
  tracer: OtlpTracer | undefined;
  metrics: PrometheusMetrics;
} {
  const exporter = new InMemorySpanExporter();
  const tracer = tracing ? new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter }) : undefined;
  const io = new InMemoryWorkerIo();
  const metrics = new PrometheusMetrics();
  const score = async (): Promise<ModelScore> => ({
    kind: 'scored',
    score: 0.9,
    outputs: Float32Array.of(0.9),
    modelVersion: 'fraud@3',
    route: 'canary',
    batchSize: 4,
  });
  const worker = NamespaceWorker.create(
    { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1 },
    {
      io,
      ingress: new Ingress({ decode: schemaDecoder(schema) }),
      score,
      scoreBackend: 'cpu',
      metrics,
      ...(tracer === undefined ? {} : { tracer }),
      handler: {
        process: async (r, ctx) => {
          ctx.state.put(r.value.card, (Number(ctx.state.get(r.value.card) ?? 0) || 0) + 1);
          const s = await ctx.score([r.value.amount]);
          ctx.emit({ card: r.value.card, score: s.kind === 'scored' ? s.score : -1 });
          ctx.emit({ card: r.value.card }, { to: 'actions' });
        },
      },
    },
  );
  // The SDK's finished spans in the OTLP shape (kind and status codes as OTLP numbers them).
  const spans = (): S[] =>
    exporter.getFinishedSpans().map((r) => ({
      traceId: r.spanContext().traceId,
      spanId: r.spanContext().spanId,
      ...(r.parentSpanContext === undefined ? {} : { parentSpanId: r.parentSpanContext.spanId }),
      name: r.name,
      kind: r.kind + 1,
      attributes: Object.entries(r.attributes).map(([key, v]) => ({ key, value: { v } })),
      ...(r.links.length === 0 ? {} : { links: r.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })) }),
      ...(r.status.code === 0 ? {} : { status: { code: r.status.code } }),
    }));
  return { io, worker, spans, tracer, metrics };
}

/** A worker over in-memory I/O with every trace recorded by the SDK into an in-memory exporter. */
function tracedWorker(handler: WorkerHandler<{ card: string; amount: number }>): {
  exporter: InMemorySpanExporter;
  tracer: OtlpTracer;
  io: InMemoryWorkerIo;
  worker: NamespaceWorker<{ card: string; amount: number }>;
} {
  const exporter = new InMemorySpanExporter();
  const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
  const io = new InMemoryWorkerIo();
  const worker = NamespaceWorker.create<{ card: string; amount: number }>(
    { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1 },
    { io, ingress: new Ingress({ decode: schemaDecoder(schema) }), tracer, handler },
  );
  return { exporter, tracer, io, worker };
}

const pay = (card: string, traceparent?: string) => ({
  key: card,
  payload: schema.encode({ card, amount: 5 }),
  ...(traceparent === undefined ? {} : { properties: { traceparent, tracestate: 'k=v' } }),
});

describe('worker tracing (#22)', () => {
  it('continues a sampled trace: process (receipt folded in) -> decode, score and publish spans, outputs carry it on', async () => {
    const { io, worker, spans, tracer, metrics } = setup(true);
    await worker.start();
    io.push(pay('a', SAMPLED), pay('b', UNSAMPLED), { key: 'x', payload: Buffer.from([0xff]), properties: { traceparent: SAMPLED } });
    await io.acknowledged(3);
    await worker.drain();
    // flush, not close: the in-memory exporter forgets its spans on shutdown.
    await tracer?.flush();
    const all = spans();
    const inbound = parseTraceparent(SAMPLED)!;
    const trace = all.filter((s) => s.traceId === inbound.traceId);
    // Four spans per traced record: no receive or settle span of its own (the batch's commit
    // span is the settle; the record's receipt is on its process span).
    expect(trace.filter((s) => s.name.endsWith(' receive') || s.name.endsWith(' settle'))).toEqual([]);
    const process = trace.filter((s) => s.name === 'persistent://t/ns/events process');
    expect(process).toHaveLength(2);
    expect(process.every((s) => s.parentSpanId === inbound.spanId && s.kind === 5)).toBe(true);
    expect(attr(process[0], 'messaging.system')).toBe('pulsar');
    expect(attr(process[0], 'messaging.operation.type')).toBe('process');
    expect(attr(process[0], 'messaging.consumer.group.name')).toBeDefined();
    expect(attr(process[0], 'messaging.message.id')).toBeDefined();
    expect(attr(process[0], 'messaging.pulsar.redelivery_count')).toBe(0);
    const ok = process.find((p) => p.status === undefined);
    const dead = process.find((p) => p.status?.code === 2);
    expect(ok).toBeDefined();
    expect(dead).toBeDefined();
    const score = trace.find((s) => s.name === 'score');
    expect(score?.parentSpanId).toBe(ok?.spanId);
    expect(attr(score, 'beamline.model.version')).toBe('fraud@3');
    expect(attr(score, 'beamline.model.name')).toBe('fraud');
    expect(attr(score, 'beamline.model.route')).toBe('canary');
    expect(attr(score, 'beamline.model.backend')).toBe('cpu');
    expect(attr(score, 'beamline.score.batch_size')).toBe(4);
    // Decode under each process span; the undecodable record's fails.
    const decodes = trace.filter((s) => s.name === 'decode');
    expect(decodes.map((d) => d.parentSpanId).sort()).toEqual([ok?.spanId, dead?.spanId].sort());
    expect(decodes.find((d) => d.parentSpanId === dead?.spanId)?.status?.code).toBe(2);
    expect(
      attr(
        decodes.find((d) => d.parentSpanId === ok?.spanId),
        'beamline.decode.outcome',
      ),
    ).toBe('ok');
    expect(attr(ok, 'beamline.state.writes')).toBe(1);
    expect(attr(ok, 'beamline.state.reads')).toBe(1);
    const publishes = trace.filter((s) => s.name.endsWith(' publish'));
    expect(publishes.map((s) => s.name).sort()).toEqual([
      'persistent://t/ns/actions publish',
      'persistent://t/ns/dead-letter publish',
      'persistent://t/ns/predictions publish',
    ]);
    // Each publish ends with the commit that made its output visible, and says how it ended.
    expect(publishes.every((s) => attr(s, 'beamline.commit.outcome') === 'committed')).toBe(true);

    // The output messages carry the publish spans' contexts, so the trace goes on downstream.
    const prediction = io.topics.get('predictions')?.find((o) => o.key === 'a');
    const out = traceContextOf(prediction?.properties);
    expect(out?.traceId).toBe(inbound.traceId);
    expect(out?.traceState).toBe('k=v');
    expect(publishes.find((s) => s.name.endsWith('predictions publish'))?.spanId).toBe(out?.spanId);
    const deadLetter = io.topics.get('dead-letter')?.[0];
    expect(traceContextOf(deadLetter?.properties)?.traceId).toBe(inbound.traceId);

    // The batch span is its own trace, linking the records' process spans; commit (the settle) below it.
    const batch = all.find((s) => s.name === 'persistent://t/ns/events process batch');
    expect(batch?.links?.map((l) => l.spanId).sort()).toEqual(process.map((r) => r.spanId).sort());
    const commit = all.find((s) => s.name === 'commit');
    expect(commit?.parentSpanId).toBe(batch?.spanId);
    expect(attr(commit, 'messaging.operation.type')).toBe('settle');
    expect(attr(commit, 'beamline.commit.outcome')).toBe('committed');
    const state = all.find((s) => s.name === 'state');
    expect(state?.parentSpanId).toBe(batch?.spanId);
    // Cards a and b (the undecodable record changes nothing).
    expect(attr(state, 'beamline.state.changes')).toBe(2);

    // Latency exemplars point at the traced records' process spans (OpenMetrics scrapes only).
    const om = await metrics.render('openmetrics');
    const exemplars = [...om.matchAll(/^beamline_decision_latency_seconds_bucket\{[^}]*\} \d+ # \{trace_id="(\w+)",span_id="(\w+)"\}/gm)];
    expect(exemplars.length).toBeGreaterThan(0);
    expect(exemplars.every((e) => e[1] === inbound.traceId && process.some((r) => r.spanId === e[2]))).toBe(true);
    expect(om).toMatch(
      new RegExp(`^beamline_event_to_commit_latency_seconds_bucket\\{[^}]*\\} \\d+ # \\{trace_id="${inbound.traceId}"`, 'm'),
    );
    expect(om).toMatch(
      new RegExp(`^beamline_batch_processing_seconds_bucket\\{[^}]*\\} \\d+ # \\{trace_id="${batch?.traceId ?? 'x'}"`, 'm'),
    );
    expect(om).not.toContain('11111111111111111111111111111111');

    // Nothing recorded for the unsampled record; its context passes through unchanged.
    expect(all.some((s) => s.traceId === '11111111111111111111111111111111')).toBe(false);
    const b = io.topics.get('predictions')?.find((o) => o.key === 'b');
    expect(b?.properties?.['traceparent']).toBe(UNSAMPLED);
  });

  it('a pass re-run after a handler error: a new process span in the same trace, the first marked failed', async () => {
    const { exporter, tracer, io, worker } = tracedWorker({
      process: (r, ctx) => {
        if (r.value.card === 'b') throw Object.assign(new Error('bad'), { code: 'BL_TEST_BAD' });
        ctx.emit(r.value);
      },
    });
    await worker.start();
    io.push(pay('a', SAMPLED), pay('b', SAMPLED));
    await io.acknowledged(2);
    await worker.drain();
    await tracer.flush();
    const finished = exporter.getFinishedSpans();
    const traceId = parseTraceparent(SAMPLED)?.traceId;
    const process = finished.filter((s) => s.name === 'persistent://t/ns/events process');
    // Two records, two passes (b fails the first and is dead-lettered in the second): four
    // process spans, all in the producer's trace.
    expect(process).toHaveLength(4);
    expect(process.every((s) => s.spanContext().traceId === traceId)).toBe(true);
    expect(process.map((s) => s.status.message ?? '').sort()).toEqual(['', '', 'BL_TEST_BAD', 'dead-lettered: handler-error']);
    // a's first-pass output was discarded with the pass: its publish span ends so; the second
    // pass's output is the one committed.
    const publishes = finished.filter((s) => s.name === 'persistent://t/ns/predictions publish');
    expect(publishes.map((s) => s.status.message ?? String(s.attributes['beamline.commit.outcome'])).sort()).toEqual([
      'committed',
      'pass re-run; output discarded',
    ]);
    const deadLetter = finished.filter((s) => s.name === 'persistent://t/ns/dead-letter publish');
    expect(deadLetter.map((s) => s.attributes['beamline.commit.outcome'])).toEqual(['committed']);
    expect(io.topics.get('predictions')).toHaveLength(1);
    await tracer.close();
  });

  it('with tracing off, passes incoming trace context through to the outputs', async () => {
    const { io, worker } = setup(false);
    await worker.start();
    io.push(pay('a', SAMPLED), pay('c'));
    await io.acknowledged(2);
    await worker.drain();
    expect(io.topics.get('predictions')?.find((o) => o.key === 'a')?.properties?.['traceparent']).toBe(SAMPLED);
    expect(io.topics.get('actions')?.find((o) => o.key === 'a')?.properties?.['tracestate']).toBe('k=v');
    // A record without one gets a new unsampled context, so its outputs share one W3C trace id.
    const c = traceContextOf(io.topics.get('predictions')?.find((o) => o.key === 'c')?.properties);
    expect(c?.sampled).toBe(false);
    expect(c?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceContextOf(io.topics.get('actions')?.find((o) => o.key === 'c')?.properties)?.traceId).toBe(c?.traceId);
  });

  it('windowed handlers get a windows span per traced record: type, fired and late counts', async () => {
    const { exporter, tracer, io, worker } = tracedWorker({
      windows: { type: 'tumbling', sizeMs: 1000, aggregate: 'sum', extract: (v: { amount: number }) => v.amount },
      process: (r: { value: unknown }, ctx: { emit: (v: unknown) => void }) => ctx.emit(r.value),
    } as never);
    await worker.start();
    io.push({ ...pay('a', SAMPLED), eventTimeMs: 1_000 }, { ...pay('a', SAMPLED), eventTimeMs: 2_500 });
    await io.acknowledged(2);
    await worker.drain();
    await tracer.flush();
    const finished = exporter.getFinishedSpans();
    const windows = finished.filter((s) => s.name === 'windows');
    expect(windows).toHaveLength(2);
    const process = finished.filter((s) => s.name === 'persistent://t/ns/events process').map((s) => s.spanContext().spanId);
    expect(windows.every((w) => process.includes(w.parentSpanContext?.spanId ?? ''))).toBe(true);
    expect(windows.map((w) => w.attributes['beamline.window.type'])).toEqual(['tumbling', 'tumbling']);
    // The second record's event time passes the first window's end: that one fires.
    expect(windows.map((w) => w.attributes['beamline.window.fired'])).toEqual([0, 1]);
    expect(windows.map((w) => w.attributes['beamline.window.late'])).toEqual([0, 0]);
    await tracer.close();
  });

  it("the scoring handler's traceId is the record's W3C trace id, traced or not, tracing on or off", async () => {
    for (const tracing of [false, true]) {
      const exporter = new InMemorySpanExporter();
      const io = new InMemoryWorkerIo();
      const worker = NamespaceWorker.create<{ card: string; amount: number }>(
        { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1 },
        {
          io,
          ingress: new Ingress({ decode: schemaDecoder(schema) }),
          ...(tracing ? { tracer: new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter }) } : {}),
          score: async (): Promise<ModelScore> => ({ kind: 'scored', score: 0.95, outputs: Float32Array.of(0.95), modelVersion: 'm@1' }),
          handler: {
            process: createScoringHandler<{ card: string; amount: number }>({
              features: [{ name: 'amount', field: 'amount' }],
              policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'p1' },
            }),
          },
        },
      );
      await worker.start();
      io.push(pay('a', SAMPLED), pay('b', UNSAMPLED), pay('c'));
      await io.acknowledged(3);
      await worker.drain();
      for (const topic of ['predictions', 'actions', 'audit'] as const) {
        for (const o of io.topics.get(topic) ?? []) {
          const carried = traceContextOf(o.properties)?.traceId;
          const body = JSON.parse(o.payload.toString()) as { traceId?: string; detail?: string };
          const traceId = body.traceId ?? (JSON.parse(body.detail ?? '{}') as { traceId?: string }).traceId;
          expect(traceId, `${topic} ${o.key ?? ''} (tracing ${String(tracing)})`).toBe(carried);
          expect(traceId).toMatch(/^[0-9a-f]{32}$/);
        }
      }
      const traceOf = (key: string): string | undefined =>
        (
          JSON.parse(
            io.topics
              .get('predictions')
              ?.find((o) => o.key === key)
              ?.payload.toString() ?? '{}',
          ) as { traceId?: string }
        ).traceId;
      expect(traceOf('a')).toBe(parseTraceparent(SAMPLED)?.traceId);
      expect(traceOf('b')).toBe('11111111111111111111111111111111');
      expect(io.topics.get('actions')?.length).toBe(3);
    }
  });
});
