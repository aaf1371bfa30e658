/**
 * A recorded span (#22): our `Span` over a `SpanRecord`.
 *
 * Why not the SDK's own span: at 10% sampling the worker records about four spans per traced
 * record, and the SDK's `Tracer.startSpan` builds a `Context`, runs the sampler chain (which
 * validates both ids by regular expression), copies and sanitizes the attributes and converts
 * clocks for each. This object keeps only the data an exporter reads (attribute values are
 * already the primitives `telemetry.ts` allows: nothing to sanitize); when it ends, the record
 * goes to the tracer's exporter (the SDK's span processor and OTLP exporter, see otlp-tracer.ts).
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { AttributeValue, Span, SpanContext } from '../telemetry.ts';
import { nowUs, type SpanRecord } from './span-record.ts';

/**
 * The context of a span this process recorded: a child's parent is remote (came in a message)
 * unless it is one of these.
 */
export class LocalSpanContext implements SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled = true;
  readonly traceState: string | undefined;

  constructor(traceId: string, spanId: string, traceState: string | undefined) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceState = traceState;
  }
}

export class RecordedSpan implements Span {
  readonly recording = true;
  readonly context: SpanContext;
  readonly #record: SpanRecord;
  readonly #ended: (record: SpanRecord) => void;
  /** The record's own attributes are still a shared object (copied on the first change). */
  #shared: boolean;
  #done = false;

  constructor(context: SpanContext, record: SpanRecord, sharedAttributes: boolean, ended: (record: SpanRecord) => void) {
    this.context = context;
    this.#record = record;
    this.#shared = sharedAttributes;
    this.#ended = ended;
  }

  setAttribute(key: string, value: AttributeValue): void {
    if (this.#done) return;
    if (this.#shared) {
      this.#record.a = { ...this.#record.a };
      this.#shared = false;
    }
    this.#record.a[key] = value;
  }

  setError(message: string): void {
    if (this.#done) return;
    this.#record.c = SpanStatusCode.ERROR;
    this.#record.m = message;
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#record.e = nowUs();
    this.#ended(this.#record);
  }
}
