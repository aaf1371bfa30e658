/**
 * Beamline's `Tracer` (functions/telemetry.ts) on the OpenTelemetry JS SDK (#22).
 *
 * - The SDK does the work: `BasicTracerProvider` with `ParentBased(TraceIdRatioBased(ratio))`
 *   sampling, a `BatchSpanProcessor` (bounded queue, batches every `exportIntervalMs`) and the
 *   OTLP/HTTP (JSON) trace exporter. Only functions/tracing/ imports the SDK (the dependency test
 *   enforces it): runtime code sees the small interface, so tracing stays swappable and off by
 *   default (`noopTracer()`).
 * - Parent-based: a span under a sampled parent is recorded, one under an unsampled parent is not
 *   (the parent's context passes through unchanged). A new trace is recorded when its trace id
 *   falls under the ratio (TraceIdRatioBased: the same id gets the same decision everywhere); an
 *   unrecorded new trace still gets a W3C context (flags 00), so its outputs carry a trace id.
 * - The provider is never registered globally: other libraries' instrumentation (the Pub/Sub
 *   client uses @opentelemetry/api) sees no tracer of ours, and contexts are passed explicitly.
 * - A full queue drops spans (counted), so a slow or absent collector costs the worker bounded
 *   memory and never blocks a decision. A failed export is logged once per failure streak and its
 *   spans dropped (counted): traces are diagnostics, not data.
 */
import {
  createContextKey,
  createTraceState,
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Attributes as OtelAttributes,
  type Context,
  type Link,
  type SpanContext as OtelSpanContext,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  type Span as SdkSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  newTraceContext,
  noopMetrics,
  silentLogger,
  type CounterMetric,
  type Logger,
  type Metrics,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type Tracer,
} from '../telemetry.ts';
import { compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing-options.ts';

export type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface OtlpTracerDeps {
  /** @default silentLogger */
  log?: Logger;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** Where finished batches go. @default the SDK's OTLP/HTTP exporter to the config's tracesUrl */
  exporter?: SpanExporter;
}

type TracerState = 'running' | 'closing' | 'closed';

const SCOPE_NAME = 'beamline';
const SCOPE_VERSION = '0.1.0';

const KIND: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

/** `SpanOptions.sampled` travels to the sampler in the start context under this key. */
const FORCED = createContextKey('beamline.tracing.forced-sampling');
const RECORD: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * ParentBased(TraceIdRatioBased(ratio)), except where the caller decided for a new trace
 * (`sampled: true` for a batch span whose records are traced).
 */
class BeamlineSampler implements Sampler {
  readonly #delegate: Sampler;
  constructor(ratio: number) {
    this.#delegate = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
  shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: OtelSpanKind,
    attributes: OtelAttributes,
    links: Link[],
  ): SamplingResult {
    const forced = context.getValue(FORCED);
    if (forced === true) return RECORD;
    if (forced === false) return DROP;
    return this.#delegate.shouldSample(context, traceId, name, kind, attributes, links);
  }
  toString(): string {
    return `BeamlineSampler{${this.#delegate.toString()}}`;
  }
}

/**
 * The SDK's random ids, except that the next trace id can be handed in: a new trace whose id the
 * tracer already drew (to ask the sampler first, see startSpan) keeps that id.
 */
class PresetIdGenerator implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  next: string | undefined;
  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.#random.generateTraceId();
  }
  generateSpanId(): string {
    return this.#random.generateSpanId();
  }
}

/** Counts what the exporter took and lost, and logs a failure streak once. */
class CountingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #onDone: (spans: number) => void;
  readonly #log: Logger;
  readonly #url: string;
  readonly #exported: CounterMetric;
  readonly #dropped: CounterMetric;
  readonly #failed: CounterMetric;
  #failing = false;

  constructor(inner: SpanExporter, onDone: (spans: number) => void, log: Logger, url: string, metrics: Metrics, dropped: CounterMetric) {
    this.#inner = inner;
    this.#onDone = onDone;
    this.#log = log;
    this.#url = url;
    this.#exported = metrics.counter('beamline_trace_spans_exported_total', 'Spans the collector accepted');
    this.#failed = metrics.counter('beamline_trace_exports_failed_total', 'OTLP export requests that failed');
    this.#dropped = dropped;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const n = spans.length;
    this.#inner.export(spans, (result) => {
      this.#onDone(n);
      if (result.code === ExportResultCode.SUCCESS) {
        this.#exported.inc(undefined, n);
        if (this.#failing) this.#log.info({ spans: n }, 'trace export recovered');
        this.#failing = false;
      } else {
        this.#failed.inc();
        this.#dropped.inc({ reason: 'export-failed' }, n);
        if (!this.#failing) this.#log.warn({ err: result.error, spans: n, url: this.#url }, 'trace export failed; spans dropped');
        this.#failing = true;
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Bounds the spans between end() and the exporter's answer at `maxQueue`, counting what it drops
 * (the SDK's processor drops silently past its own queue, which this bound never lets it reach).
 */
class BoundedProcessor implements SpanProcessor {
  readonly #inner: SpanProcessor;
  readonly #max: number;
  readonly #dropped: CounterMetric;
  readonly #inFlight: { spans: number };

  constructor(inner: SpanProcessor, max: number, inFlight: { spans: number }, dropped: CounterMetric) {
    this.#inner = inner;
    this.#max = max;
    this.#inFlight = inFlight;
    this.#dropped = dropped;
  }

  onStart(span: SdkSpan, parentContext: Context): void {
    this.#inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (this.#inFlight.spans >= this.#max) {
      this.#dropped.inc({ reason: 'queue-full' });
      return;
    }
    this.#inFlight.spans++;
    this.#inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}

function toOtel(ctx: SpanContext): OtelSpanContext {
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.sampled ? 1 : 0,
    isRemote: true,
    ...(ctx.traceState === undefined || ctx.traceState === '' ? {} : { traceState: createTraceState(ctx.traceState) }),
  };
}

function fromOtel(sc: OtelSpanContext): SpanContext {
  const traceState = sc.traceState?.serialize();
  const ctx = { traceId: sc.traceId, spanId: sc.spanId, sampled: (sc.traceFlags & 1) === 1 };
  return traceState === undefined || traceState === '' ? ctx : { ...ctx, traceState };
}

export class OtlpTracer implements Tracer {
  readonly enabled = true;
  readonly config: TracingConfig;
  readonly #provider: BasicTracerProvider;
  readonly #tracer: OtelTracer;
  readonly #dropped: CounterMetric;
  readonly #sampler: Sampler;
  readonly #ids = new PresetIdGenerator();
  #state: TracerState = 'running';
  #closed: Promise<void> | undefined;

  /** Does no I/O: the exporter connects on its first batch. */
  constructor(options: TracingOptions, deps: OtlpTracerDeps = {}) {
    this.config = compileTracingOptions(options);
    const log = (deps.log ?? silentLogger).child({ component: 'tracer' });
    const metrics = deps.metrics ?? noopMetrics();
    this.#dropped = metrics.counter('beamline_trace_spans_dropped_total', 'Spans dropped: queue full, export failed or tracer closed', [
      'reason',
    ]);
    const exporter = deps.exporter ?? new OTLPTraceExporter({ url: this.config.tracesUrl, timeoutMillis: this.config.exportTimeoutMs });
    // Spans between end() and the exporter's answer: the processor adds, the exporter settles.
    const inFlight = { spans: 0 };
    const counting = new CountingExporter(
      exporter,
      (n) => void (inFlight.spans = Math.max(0, inFlight.spans - n)),
      log,
      this.config.tracesUrl,
      metrics,
      this.#dropped,
    );
    const batch = new BatchSpanProcessor(counting, {
      maxQueueSize: this.config.maxQueue,
      maxExportBatchSize: this.config.maxExportBatch,
      scheduledDelayMillis: this.config.exportIntervalMs,
      exportTimeoutMillis: this.config.exportTimeoutMs,
    });
    const bounded = new BoundedProcessor(batch, this.config.maxQueue, inFlight, this.#dropped);
    this.#sampler = new BeamlineSampler(this.config.sampleRatio);
    this.#provider = new BasicTracerProvider({
      resource: defaultResource().merge(resourceFromAttributes({ ...this.config.resource, [ATTR_SERVICE_NAME]: this.config.serviceName })),
      sampler: this.#sampler,
      idGenerator: this.#ids,
      spanProcessors: [bounded],
    });
    this.#tracer = this.#provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
  }

  startSpan(name: string, options: SpanOptions = {}): Span {
    const parent = options.parent;
    if (this.#state !== 'running') return passThrough(parent);
    // Fast paths for what the SDK would not record (most records at a 10% ratio), deciding as its
    // ParentBased(TraceIdRatioBased) sampler does without building its span objects: under an
    // unsampled parent nothing is recorded; a new trace asks the sampler with the trace id it
    // would get (then kept through PresetIdGenerator when it is recorded).
    if (parent !== undefined && !parent.sampled) return passThrough(parent);
    if (parent === undefined && options.sampled === undefined) {
      const fresh = newTraceContext();
      const kind = KIND[options.kind ?? 'internal'];
      if (
        this.#sampler.shouldSample(ROOT_CONTEXT, fresh.traceId, name, kind, options.attributes ?? {}, []).decision !==
        SamplingDecision.RECORD_AND_SAMPLED
      ) {
        return passThrough(fresh);
      }
      this.#ids.next = fresh.traceId;
    }
    let ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, toOtel(parent));
    if (parent === undefined && options.sampled !== undefined) ctx = ctx.setValue(FORCED, options.sampled);
    const attributes =
      options.attributesIfRecorded === undefined ? options.attributes : { ...options.attributes, ...options.attributesIfRecorded() };
    const span = this.#tracer.startSpan(
      name,
      {
        kind: KIND[options.kind ?? 'internal'],
        ...(attributes === undefined ? {} : { attributes }),
        ...(options.links === undefined || options.links.length === 0 ? {} : { links: options.links.map((l) => ({ context: toOtel(l) })) }),
      },
      ctx,
    );
    this.#ids.next = undefined;
    if (!span.isRecording()) {
      // Under a parent: pass its context through unchanged. A new trace: the SDK's unsampled
      // context (fresh trace id, flags 00) so downstream shares the trace id and the decision.
      return passThrough(parent ?? fromOtel(span.spanContext()));
    }
    const context = fromOtel(span.spanContext());
    let ended = false;
    return {
      context,
      recording: true,
      setAttribute: (key, value) => void span.setAttribute(key, value),
      setError: (message) => void span.setStatus({ code: SpanStatusCode.ERROR, message }),
      end: () => {
        if (ended) return;
        ended = true;
        if (this.#state === 'closed') this.#dropped.inc({ reason: 'closed' });
        else span.end();
      },
    };
  }

  /**
   * Sends what is buffered now (the batch processor's forceFlush). Never rejects: a failed export
   * is already counted and logged (CountingExporter), and traces are diagnostics, so an absent
   * collector must not fail a worker's drain.
   */
  async flush(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#provider.forceFlush().catch(() => undefined);
  }

  /** Flushes, then shuts the provider (and its exporter) down. Idempotent; never rejects (see flush). */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#state = 'closing';
    this.#closed = this.#provider
      .forceFlush()
      .catch(() => undefined)
      .then(() => this.#provider.shutdown())
      .catch(() => undefined)
      .finally(() => {
        this.#state = 'closed';
      });
    return this.#closed;
  }
}

function passThrough(context: SpanContext | undefined): Span {
  const nothing = (): void => undefined;
  return { context, recording: false, setAttribute: nothing, setError: nothing, end: nothing };
}
