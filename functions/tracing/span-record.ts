/**
 * A finished span as plain data (#22), and the SDK's view of it.
 *
 * `SpanRecord` is what a recorded span keeps: strings, integers, its own attributes and the
 * number of a shared attribute set (attribute-sets.ts), so it crosses to the export thread as
 * short JSON (thread-export.ts). Times are integer microseconds: a fractional millisecond
 * timestamp took JSON.stringify a third of a record's time to write. `SpanView` presents a record
 * as the SDK's `ReadableSpan`, which its span processors and OTLP exporter read; the SDK's
 * context objects are built only there, when a span is exported.
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
import { withShared } from './attribute-sets.ts';

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
  /** the span's own attributes (on top of the shared set, if any) */
  a: Attributes;
  /** the number of its shared attribute set (attribute-sets.ts), or undefined */
  readonly x: number | undefined;
  /** SpanStatusCode (UNSET until a span is marked failed: ERROR with its message) */
  c: number;
  m: string | undefined;
  /** start and end, whole microseconds since the epoch */
  readonly b: number;
  e: number;
}

const NO_EVENTS: TimedEvent[] = [];
const NO_LINKS: Link[] = [];

/** Microseconds as the OpenTelemetry [seconds, nanoseconds] pair. */
function hrTime(us: number): HrTime {
  const seconds = Math.floor(us / 1e6);
  return [seconds, (us - seconds * 1e6) * 1000];
}

const ORIGIN_US = performance.timeOrigin * 1000;

/** Now, in whole microseconds since the epoch (a span's start and end). */
export function nowUs(): number {
  return Math.round(ORIGIN_US + performance.now() * 1000);
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

  /** `shared(n)`: attribute set n, as the tracer numbered it. */
  constructor(record: SpanRecord, resource: Resource, scope: InstrumentationScope, shared: (n: number) => Attributes | undefined) {
    this.#r = record;
    // A field, not a getter: the OTLP encoder reads it three times per span.
    this.parentSpanContext = record.p === '' ? undefined : otelContext(record.t, record.p, record.ts, true, record.pr);
    this.name = record.n;
    this.kind = record.k;
    this.attributes = record.x === undefined ? record.a : withShared(shared(record.x), record.a);
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
