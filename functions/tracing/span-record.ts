/**
 * A finished span as plain data (#22), and the SDK's view of it.
 *
 * `SpanRecord` is what a recorded span keeps: strings, numbers and one attribute object, so it
 * crosses to the export thread by structured clone (export-thread.ts). `SpanView` presents a
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

/** A span context as data. */
export interface ContextRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly traceState?: string | undefined;
  /** Propagated from another process (a message's traceparent), not a span of this tracer. */
  readonly remote: boolean;
}

export interface SpanRecord {
  readonly name: string;
  /** OpenTelemetry's SpanKind number. */
  readonly kind: number;
  readonly context: ContextRecord;
  readonly parent: ContextRecord | undefined;
  readonly links: readonly ContextRecord[] | undefined;
  readonly attributes: Attributes;
  /** SpanStatusCode: UNSET until a span is marked failed (ERROR, with its message). */
  status: number;
  message: string | undefined;
  /** Milliseconds since the epoch, fractional. */
  readonly startMs: number;
  endMs: number;
}

const NO_EVENTS: TimedEvent[] = [];
const NO_LINKS: Link[] = [];

/** Milliseconds (fractional) as the OpenTelemetry [seconds, nanoseconds] pair. */
function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function otelContext(c: ContextRecord): OtelSpanContext {
  return {
    traceId: c.traceId,
    spanId: c.spanId,
    traceFlags: c.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: c.remote,
    ...(c.traceState === undefined || c.traceState === '' ? {} : { traceState: createTraceState(c.traceState) }),
  };
}

/** The SDK's `ReadableSpan` over a finished record. */
export class SpanView implements ReadableSpan {
  readonly name: string;
  readonly kind: number;
  readonly attributes: Attributes;
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
    this.name = record.name;
    this.kind = record.kind;
    this.attributes = record.attributes;
    this.resource = resource;
    this.instrumentationScope = scope;
  }

  spanContext(): OtelSpanContext {
    this.#context ??= otelContext(this.#r.context);
    return this.#context;
  }

  get parentSpanContext(): OtelSpanContext | undefined {
    return this.#r.parent === undefined ? undefined : otelContext(this.#r.parent);
  }

  get links(): Link[] {
    return this.#r.links === undefined ? NO_LINKS : this.#r.links.map((l) => ({ context: otelContext(l) }));
  }

  get status(): SpanStatus {
    return this.#r.status === SpanStatusCode.ERROR && this.#r.message !== undefined
      ? { code: SpanStatusCode.ERROR, message: this.#r.message }
      : { code: this.#r.status };
  }

  get startTime(): HrTime {
    return hrTime(this.#r.startMs);
  }

  get endTime(): HrTime {
    return hrTime(this.#r.endMs);
  }

  get duration(): HrTime {
    return hrTime(Math.max(0, this.#r.endMs - this.#r.startMs));
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
