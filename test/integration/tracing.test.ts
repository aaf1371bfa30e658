/**
 * Traces across topics (#22) with real parts: a real OpenTelemetry Collector (built from its Go
 * modules by scripts/dev/otelcol.sh; OTLP/HTTP in, file exporter out), a real worker on the shared
 * `test` broker scoring with a TF.js model, and payments produced with a W3C `traceparent`. The
 * collector's file must hold one payment's whole trace: the producer's publish span, the worker's
 * process (the record's receipt), decode, score (with the model version) and publish spans (the
 * publish ending with the commit's outcome), the batch span's commit (the settle), and a
 * downstream consumer's receive span continued from the prediction message's own `traceparent`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpTracer, silentLogger, traceContextOf, traceProperties, type SpanContext } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave, type TfjsLayersArtifact } from '../../functions/inference/index.ts';
import type { Producer } from '../../functions/pulsar/index.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, topic, waitFor, waitForAsync } from './worker-support.ts';

const repo = join(import.meta.dirname, '..', '..');
const FEATURES = ['x0', 'x1', 'x2', 'x3'];
const MODEL_VERSION = 'fraud@7';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}
interface Exported {
  service: string;
  span: OtlpSpan;
}

/** An untrained two-layer model with seeded weights: scoring is what is traced, not accuracy. */
async function tinyModel(): Promise<TfjsLayersArtifact> {
  await tf.ready();
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: 4,
      activation: 'relu',
      inputShape: [FEATURES.length],
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })),
  );
  model.dispose();
  return tfjsArtifactFromSave(saved as tf.io.ModelArtifacts);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const attr = (s: OtlpSpan | undefined, key: string): unknown => Object.values(s?.attributes?.find((a) => a.key === key)?.value ?? {})[0];

/** Every span in the file exporter's output (one OTLP/JSON request per line), with its service. */
function exportedSpans(file: string): Exported[] {
  if (!existsSync(file)) return [];
  const out: Exported[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const req = JSON.parse(line) as {
      resourceSpans?: Array<{
        resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
        scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
      }>;
    };
    for (const rs of req.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) out.push({ service, span });
    }
  }
  return out;
}

const client = newClient();
let work = '';
let collector: ChildProcess | undefined;
let collectorLog = '';
let endpoint = '';
let tenant = '';
let running: RunningWorker | undefined;
let events: Producer | undefined;
let producerTracer: OtlpTracer | undefined;
const produced: SpanContext[] = [];

beforeAll(async () => {
  const out = execFileSync(join(repo, 'scripts', 'dev', 'otelcol.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const otelcol = /^OTELCOL=(.+)$/m.exec(out)?.[1] ?? '';
  expect(otelcol).not.toBe('');

  work = mkdtempSync(join(tmpdir(), 'bl-otelcol-'));
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(work, 'config.yaml'),
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      http:',
      `        endpoint: 127.0.0.1:${port}`,
      'exporters:',
      '  file:',
      `    path: ${join(work, 'traces.jsonl')}`,
      '    flush_interval: 100ms',
      'service:',
      '  telemetry:',
      '    metrics:',
      '      level: none',
      '  pipelines:',
      '    traces:',
      '      receivers: [otlp]',
      '      exporters: [file]',
      '',
    ].join('\n'),
  );
  collector = spawn(otelcol, ['--config', `file:${join(work, 'config.yaml')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  collector.stdout?.on('data', (d: Buffer) => void (collectorLog += d.toString()));
  collector.stderr?.on('data', (d: Buffer) => void (collectorLog += d.toString()));
  // Ready when an empty export request is accepted.
  await waitForAsync(
    async () => {
      if (collector?.exitCode !== null) throw new Error(`the collector exited (${String(collector?.exitCode)}):\n${collectorLog}`);
      const res = await fetch(`${endpoint}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).catch(() => undefined);
      return res?.ok === true;
    },
    60_000,
    'the OpenTelemetry Collector to accept OTLP/HTTP',
  );

  tenant = await createTenant('trace');
  await createNamespace(tenant, 'ns');
  await admin.topics.createNonPartitioned(topic(tenant, 'ns', 'audit'));
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: 'ns',
    guarantee: 'effectively-once',
    httpPort: -1,
    batchMaxWaitMs: 5,
    handler: {
      process: createScoringHandler({
        features: FEATURES.map((f) => ({ name: f, field: f })),
        idField: 'id',
        policy: { reviewAtScore: 0.0, blockAtScore: 0.999, version: 'p1' },
      }),
    },
    model: { artifact: await tinyModel(), version: MODEL_VERSION },
    // Parent-based: the worker records what the producer sampled; 0 for traces it would start itself.
    tracing: { endpoint, sampleRatio: 0, serviceName: 'beamline-worker', exportIntervalMs: 200 },
    log: silentLogger,
  });
  producerTracer = new OtlpTracer({ endpoint, sampleRatio: 1, serviceName: 'payments-producer', exportIntervalMs: 200 });
  events = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxDelayMs: 2 });
}, 1_800_000);

afterAll(async () => {
  await events?.close();
  await running?.stop();
  await producerTracer?.close();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
  collector?.kill('SIGTERM');
  if (work !== '') rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('traces across topics', () => {
  it('one payment is traced from its producer through the worker to its prediction and a downstream consumer', async () => {
    const t = producerTracer as OtlpTracer;
    const eventsTopic = topic(tenant, 'ns', 'events');
    // Stream payments, each under its own producer span (the demo's generator does the same).
    for (let i = 0; i < 20; i++) {
      const span = t.startSpan(`${eventsTopic} publish`, {
        kind: 'producer',
        attributes: { 'messaging.system': 'pulsar', 'messaging.destination.name': eventsTopic, 'messaging.operation.type': 'send' },
      });
      const value = Object.fromEntries(FEATURES.map((f, j) => [f, ((i * 7 + j * 3) % 10) / 10]));
      await (events as Producer).send({
        key: `card-${i}`,
        payload: Buffer.from(JSON.stringify({ ...value, id: `ev-${i}` })),
        properties: traceProperties(span.context),
      });
      span.end();
      produced.push(span.context as SpanContext);
    }
    await waitFor(() => (running?.worker.processed ?? 0) >= 20, 60_000, 'the payments to be decided');

    // A downstream consumer reads the predictions and continues each one's trace.
    const predictionsTopic = topic(tenant, 'ns', 'predictions');
    const reader = await client.createReader({ topic: predictionsTopic, startMessageId: 'earliest' });
    const byTrace = new Map<string, string>();
    try {
      while (byTrace.size < 20) {
        const m = await reader.readNext(30_000);
        const ctx = traceContextOf(m.properties);
        expect(ctx, `prediction ${m.key ?? ''} carries a traceparent`).toBeDefined();
        const span = t.startSpan(`${predictionsTopic} receive`, {
          kind: 'consumer',
          parent: ctx,
          attributes: {
            'messaging.system': 'pulsar',
            'messaging.destination.name': predictionsTopic,
            'messaging.operation.type': 'receive',
          },
        });
        span.end();
        byTrace.set(ctx?.traceId ?? '', ctx?.spanId ?? '');
      }
    } finally {
      await reader.close();
    }
    // Every prediction continues the trace of the payment it decides.
    expect(new Set(byTrace.keys())).toEqual(new Set(produced.map((p) => p.traceId)));
    await t.flush();

    const first = produced[0] as SpanContext;
    const file = join(work, 'traces.jsonl');
    const need = [
      'payments-producer:publish',
      'process',
      'decode',
      'score',
      'predictions publish',
      'payments-producer:predictions receive',
    ];
    let trace: Exported[] = [];
    const kinds = (): string[] =>
      trace.map(({ service, span }) => {
        const name = span.name.replace(`persistent://${tenant}/ns/`, '');
        if (service === 'payments-producer')
          return name.startsWith('events') ? 'payments-producer:publish' : 'payments-producer:predictions receive';
        return name.replace(/^events /, '');
      });
    await waitForAsync(
      () => {
        trace = exportedSpans(file).filter((e) => e.span.traceId === first.traceId);
        return need.every((k) => kinds().includes(k));
      },
      60_000,
      `one trace with ${need.join(', ')} in the collector's file`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; the trace has: ${kinds().join(', ')}\ncollector log:\n${collectorLog.slice(-2000)}`);
    });

    const find = (pred: (e: Exported) => boolean): OtlpSpan => {
      const hit = trace.find(pred);
      expect(hit).toBeDefined();
      return (hit as Exported).span;
    };
    const publish = find((e) => e.service === 'payments-producer' && e.span.kind === 4);
    expect(publish.spanId).toBe(first.spanId);
    const process = find((e) => e.service === 'beamline-worker' && e.span.name.endsWith('events process'));
    expect(process.parentSpanId).toBe(publish.spanId);
    expect(attr(process, 'messaging.system')).toBe('pulsar');
    expect(attr(process, 'messaging.operation.type')).toBe('process');
    const score = find((e) => e.span.name === 'score');
    expect(score.parentSpanId).toBe(process.spanId);
    expect(attr(score, 'beamline.model.version')).toBe(MODEL_VERSION);
    expect(Number(attr(score, 'beamline.score.batch_size'))).toBeGreaterThanOrEqual(1);
    expect(attr(score, 'beamline.model.backend')).toBeDefined();
    const decode = find((e) => e.span.name === 'decode');
    expect(decode.parentSpanId).toBe(process.spanId);
    const out = find((e) => e.span.name === `${predictionsTopic} publish`);
    expect(out.parentSpanId).toBe(process.spanId);
    expect(out.spanId).toBe(byTrace.get(first.traceId));
    expect(attr(out, 'beamline.commit.outcome')).toBe('committed');
    const downstream = find((e) => e.service === 'payments-producer' && e.span.kind === 5);
    expect(downstream.parentSpanId).toBe(out.spanId);
    // The batch span (its own trace) links this payment's process span; its commit is the settle.
    const batches = exportedSpans(file).filter((e) => e.span.name.endsWith('events process batch'));
    const batch = batches.find((b) =>
      (b.span as OtlpSpan & { links?: Array<{ spanId: string }> }).links?.some((l) => l.spanId === process.spanId),
    );
    expect(batch).toBeDefined();
    const commit = exportedSpans(file).find((e) => e.span.name === 'commit' && e.span.parentSpanId === batch?.span.spanId);
    expect(commit).toBeDefined();
    expect(attr(commit?.span as OtlpSpan, 'messaging.operation.type')).toBe('settle');
    expect(attr(commit?.span as OtlpSpan, 'beamline.commit.outcome')).toBe('committed');
  }, 180_000);
});
