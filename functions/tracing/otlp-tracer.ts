/**
 * Beamline's `Tracer` (functions/telemetry.ts) on the OpenTelemetry JS SDK (#22).
 *
 * - The SDK exports: finished spans go to its `BatchSpanProcessor` (batches every
 *   `exportIntervalMs`) and its OTLP/HTTP trace exporter (protobuf unless `protocol` says JSON),
 *   in a worker thread of their own (thread-export.ts); new traces are sampled as its
 *   `TraceIdRatioBased` sampler would (trace-id-ratio.ts: the same decision for the same id,
 *   without its per-call cost). The spans themselves are ours (`RecordedSpan` over a plain
 *   `SpanRecord`, written to the thread as bytes by span-wire.ts and shown to the SDK there as a
 *   `ReadableSpan`). Both choices are for the 5% overhead goal at 10% sampling: the SDK's span
 *   objects and its OTLP encoding on the worker's event loop cost it more than the rest of a
 *   traced record (`npm run bench -- worker` gives today's figures). Only functions/tracing/
 *   imports the SDK (the dependency test enforces it): runtime code sees the small interface, so tracing stays swappable and off by default
 *   (`noopTracer()`).
 * - Parent-based: a span under a sampled parent is recorded, one under an unsampled parent is not
 *   (the parent's context passes through unchanged). A new trace is recorded when its trace id
 *   falls under the ratio (TraceIdRatioBased: the same id gets the same decision everywhere); an
 *   unrecorded new trace still gets a W3C context (flags 00), so its outputs carry a trace id.
 * - Nothing is registered globally: other libraries' instrumentation (the Pub/Sub client uses
 *   @opentelemetry/api) sees no tracer of ours, and contexts are passed explicitly.
 * - A full queue drops spans (counted), so a slow or absent collector costs the worker bounded
 *   memory and never blocks a decision. A failed export is logged once per failure streak and its
 *   spans dropped (counted): traces are diagnostics, not data.
 */
import { SpanKind as OtelSpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  newSpanId,
  newTraceContext,
  noopMetrics,
  silentLogger,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type Tracer,
} from '../telemetry.ts';
import { ExportAccounting } from './export-accounting.ts';
import { LocalSpanContext, RecordedSpan } from './recorded-span.ts';
import { InProcessExport, type SpanExport } from './span-export.ts';
import { AttributeSets } from './attribute-sets.ts';
import { nowUs, spanResource, type SpanRecord } from './span-record.ts';
import { ThreadExport } from './thread-export.ts';
import { TraceIdRatio } from './trace-id-ratio.ts';
import { compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing-options.ts';
import type { Attributes, Logger, Metrics } from '../telemetry.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface OtlpTracerDeps {
  /** @default silentLogger */
  log?: Logger;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /**
   * Where finished batches go, in this thread. @default the SDK's OTLP/HTTP exporter to the
   * config's tracesUrl, in the export thread
   */
  exporter?: SpanExporter;
}

type TracerState = 'running' | 'closing' | 'closed';

const SCOPE = Object.freeze({ name: 'beamline', version: '0.1.0' });

const NO_ATTRIBUTES: Attributes = Object.freeze({});

const KIND: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

export class OtlpTracer implements Tracer {
  readonly enabled = true;
  readonly config: TracingConfig;
  readonly #accounting: ExportAccounting;
  readonly #export: SpanExport;
  /** Frozen attribute sets, sent to the exporter once each (attribute-sets.ts). */
  readonly #sets = new AttributeSets();
  /** New traces only: parent-based sampling is decided in startSpan (a sampled parent records). */
  readonly #root: TraceIdRatio;
  readonly #ended = (record: SpanRecord): void => {
    if (this.#state === 'closed') this.#accounting.dropped('closed');
    else if (this.#accounting.admit()) this.#export.add(record);
  };
  #state: TracerState = 'running';
  #closed: Promise<void> | undefined;

  /** Does no I/O: the export thread starts and the exporter connects with the first span. */
  constructor(options: TracingOptions, deps: OtlpTracerDeps = {}) {
    this.config = compileTracingOptions(options);
    const log = (deps.log ?? silentLogger).child({ component: 'tracer' });
    this.#accounting = new ExportAccounting(this.config.maxQueue, deps.metrics ?? noopMetrics(), log, this.config.tracesUrl);
    this.#export =
      deps.exporter === undefined
        ? new ThreadExport(this.config, SCOPE, this.#accounting, this.#sets, log)
        : new InProcessExport(
            this.config,
            deps.exporter,
            this.#accounting,
            spanResource(this.config.serviceName, this.config.resource),
            SCOPE,
            this.#sets,
          );
    this.#root = new TraceIdRatio(this.config.sampleRatio);
  }

  /**
   * Parent-based: under a sampled parent the span is recorded, under an unsampled one nothing is
   * (the parent's context passes through). A new trace is recorded when its trace id falls under
   * the ratio as the SDK's TraceIdRatioBased sampler decides it (trace-id-ratio.ts), or when
   * `sampled` says so; an unrecorded one still gets a W3C context (flags 00) so its outputs share a
   * trace id downstream.
   */
  startSpan(name: string, options: SpanOptions = {}): Span {
    const parent = options.parent;
    if (this.#state !== 'running') return new PassThrough(parent);
    if (parent !== undefined && !parent.sampled) return new PassThrough(parent);
    const kind = KIND[options.kind ?? 'internal'];
    let traceId: string;
    if (parent === undefined) {
      const fresh = newTraceContext();
      const record = options.sampled ?? this.#root.sampled(fresh.traceId);
      if (!record) return new PassThrough(fresh);
      traceId = fresh.traceId;
    } else {
      traceId = parent.traceId;
    }
    const traceState = parent?.traceState === '' ? undefined : parent?.traceState;
    const context = new LocalSpanContext(traceId, newSpanId(), traceState);
    const links = options.links;
    const computed = options.attributesIfRecorded;
    const attributes = options.attributes;
    // A frozen set goes by number (sent once); the record's own attributes start empty (or the
    // computed ones). An unfrozen one is the caller's object, copied on the span's first change
    // (callers share them across spans).
    const set = this.#sets.idOf(attributes);
    const own =
      set !== undefined
        ? (computed?.() ?? NO_ATTRIBUTES)
        : computed === undefined
          ? (attributes ?? NO_ATTRIBUTES)
          : { ...attributes, ...computed() };
    const record: SpanRecord = {
      n: name,
      k: kind,
      t: traceId,
      s: context.spanId,
      ts: traceState ?? '',
      p: parent?.spanId ?? '',
      pr: !(parent instanceof LocalSpanContext),
      l:
        links === undefined || links.length === 0
          ? undefined
          : links.map((c) => [c.traceId, c.spanId, c.traceState ?? '', c.sampled ? 1 : 0] as const),
      a: own,
      x: set,
      c: SpanStatusCode.UNSET,
      m: undefined,
      b: nowUs(),
      e: 0,
    };
    return new RecordedSpan(context, record, own === NO_ATTRIBUTES || own === attributes, this.#ended);
  }

  /**
   * Sends what is buffered now. Never rejects: a failed export is already counted and logged
   * (ExportAccounting), and traces are diagnostics, so an absent collector must not fail a
   * worker's drain.
   */
  async flush(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#export.flush().catch(() => undefined);
  }

  /** Flushes, then stops the exporter (and its thread). Idempotent; never rejects (see flush). */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#state = 'closing';
    this.#closed = this.#export
      .flush()
      .catch(() => undefined)
      .then(() => this.#export.shutdown())
      .catch(() => undefined)
      .finally(() => {
        this.#state = 'closed';
      });
    return this.#closed;
  }
}

/** A span not recorded: its context (the parent's, or a new unsampled one) passes through. */
class PassThrough implements Span {
  readonly recording = false;
  readonly context: SpanContext | undefined;
  constructor(context: SpanContext | undefined) {
    this.context = context;
  }
  setAttribute(): void {}
  setError(): void {}
  end(): void {}
}
