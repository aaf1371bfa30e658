/**
 * A finished span as plain data (#22), and the SDK's view of it.
 *
 * `SpanRecord` is what a recorded span keeps: strings, numbers and one attribute object, so it
 * crosses to the export thread as JSON (thread-export.ts). `SpanView` presents a
 * record as the SDK's `ReadableSpan`, which its span processors and OTLP exporter read; the
 * SDK's context objects are built only there, when a span is exported.
 */
import {
  createTraceState,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext as OtelSpanContext,
  type SpanStatus,
} from '@opentelemetry/api';
import { ExportResultCode, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/**
 * A finished span, flat: no nested objects but the attributes and the link list, which keeps the
 * JSON the export thread receives small and quick to write and read.
 */
export interface SpanRecord {
  /** name */
  readonly n: string;
  /** OpenTelemetry's SpanKind number */
  readonly k: number;
  /** trace id, span id, trace state ('' for none) */
  readonly t: string;
  readonly s: string;
  readonly ts: string;
  /** parent span id ('' for a root) and whether the parent came from another process */
  readonly p: string;
  readonly pr: boolean;
  /** links: [traceId, spanId, traceState, sampled (1 or 0)] each */
  readonly l: ReadonlyArray<readonly [string, string, string, number]> | undefined;
  /** attributes */
  a: Attributes;
  /** SpanStatusCode (UNSET until a span is marked failed: ERROR with its message) */
  c: number;
  m: string | undefined;
  /** start and end, milliseconds since the epoch (fractional) */
  readonly b: number;
  e: number;
}

const NO_EVENTS: TimedEvent[] = [];
const NO_LINKS: Link[] = [];

/** Milliseconds (fractional) as the OpenTelemetry [seconds, nanoseconds] pair. */
function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function otelContext(traceId: string, spanId: string, traceState: string, sampled: boolean, isRemote: boolean): OtelSpanContext {
  return {
    traceId,
    spanId,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote,
    ...(traceState === '' ? {} : { traceState: createTraceState(traceState) }),
  };
}

/** The SDK's `ReadableSpan` over a finished record. */
export class SpanView implements ReadableSpan {
  readonly name: string;
  readonly kind: number;
  readonly attributes: Attributes;
  readonly parentSpanContext: OtelSpanContext | undefined;
  readonly events: TimedEvent[] = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly #r: SpanRecord;
  #context: OtelSpanContext | undefined;

  constructor(record: SpanRecord, resource: Resource, scope: InstrumentationScope) {
    this.#r = record;
    // A field, not a getter: the OTLP encoder reads it three times per span.
    this.parentSpanContext = record.p === '' ? undefined : otelContext(record.t, record.p, record.ts, true, record.pr);
    this.name = record.n;
    this.kind = record.k;
    this.attributes = record.a;
    this.resource = resource;
    this.instrumentationScope = scope;
  }

  spanContext(): OtelSpanContext {
    const r = this.#r;
    this.#context ??= otelContext(r.t, r.s, r.ts, true, false);
    return this.#context;
  }

  get links(): Link[] {
    return this.#r.l === undefined
      ? NO_LINKS
      : this.#r.l.map(([t, s, ts, sampled]) => ({ context: otelContext(t, s, ts, sampled === 1, true) }));
  }

  get status(): SpanStatus {
    return this.#r.c === SpanStatusCode.ERROR && this.#r.m !== undefined
      ? { code: SpanStatusCode.ERROR, message: this.#r.m }
      : { code: this.#r.c };
  }

  get startTime(): HrTime {
    return hrTime(this.#r.b);
  }

  get endTime(): HrTime {
    return hrTime(this.#r.e);
  }

  get duration(): HrTime {
    return hrTime(Math.max(0, this.#r.e - this.#r.b));
  }
}

/** The resource every span of a tracer carries: the SDK's defaults, the service name and extras. */
export function spanResource(serviceName: string, extra: Readonly<Record<string, string>>): Resource {
  return defaultResource().merge(resourceFromAttributes({ ...extra, [ATTR_SERVICE_NAME]: serviceName }));
}

/**
 * The exporter `inner`, telling `settled` how each export request ended (spans, success, the
 * error's message): the tracer counts and logs it (export-accounting.ts), wherever it runs.
 */
export function settlingExporter(inner: SpanExporter, settled: (spans: number, ok: boolean, error?: string) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      inner.export(spans, (result) => {
        const ok = result.code === ExportResultCode.SUCCESS;
        settled(spans.length, ok, ok ? undefined : (result.error?.message ?? 'export failed'));
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
