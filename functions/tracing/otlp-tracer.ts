/**
 * A Tracer that records spans and exports them over OTLP/HTTP (JSON) in the background.
 *
 * - Sampling is parent-based: a span under a sampled parent is recorded, one under an unsampled
 *   parent is not (its context still passes through); a new trace is recorded with probability
 *   `sampleRatio` (no one else has seen it yet, so the decision is this tracer's alone; ids are
 *   made only for traces it records: an unsampled root propagates nothing).
 * - Finished spans queue up to `maxQueue`; a timer sends batches of `maxExportBatch` every
 *   `exportIntervalMs`. A full queue drops spans (counted), so a slow or absent collector costs
 *   the worker memory-bounded buffering and never blocks a decision. A failed export is logged
 *   (once per failure streak) and its spans dropped: traces are diagnostics, not data.
 */
import { randomFillSync } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';
import {
  noopMetrics,
  silentLogger,
  type AttributeValue,
  type CounterMetric,
  type Logger,
  type Metrics,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '../telemetry.ts';
import { encodeSpans, unixNanos, type ExportScope, type FinishedSpan } from './otlp-json.ts';
import { otlpHttpTransport, type SpanTransport } from './otlp-http.ts';
import { compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing-options.ts';

export interface OtlpTracerDeps {
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** @default OTLP/HTTP POSTs to the config's tracesUrl */
  transport?: SpanTransport;
}

type TracerState = 'running' | 'closing' | 'closed';

const SCOPE_NAME = 'beamline';
const SCOPE_VERSION = '0.1.0';

/** Random ids from a pooled buffer (one crypto call per 256 ids). */
class IdSource {
  readonly #pool = Buffer.alloc(4096);
  #at = this.#pool.length;

  hex(bytes: number): string {
    for (;;) {
      if (this.#at + bytes > this.#pool.length) {
        randomFillSync(this.#pool);
        this.#at = 0;
      }
      const id = this.#pool.toString('hex', this.#at, this.#at + bytes);
      this.#at += bytes;
      if (!/^0+$/.test(id)) return id;
    }
  }
}

export class OtlpTracer implements Tracer {
  readonly enabled = true;
  readonly config: TracingConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #send: SpanTransport;
  readonly #scope: ExportScope;
  readonly #ids = new IdSource();
  readonly #wallAtStart: number;
  readonly #monoAtStart: number;
  #queue: FinishedSpan[] = [];
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #state: TracerState = 'running';
  #failing = false;
  readonly #exported: CounterMetric;
  readonly #dropped: CounterMetric;
  readonly #failed: CounterMetric;

  constructor(options: TracingOptions, deps: OtlpTracerDeps = {}) {
    this.config = compileTracingOptions(options);
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({ component: 'tracer' });
    this.#send = deps.transport ?? otlpHttpTransport(this.config.tracesUrl, this.config.exportTimeoutMs);
    this.#scope = {
      resource: {
        'service.name': this.config.serviceName,
        'telemetry.sdk.name': 'beamline',
        'telemetry.sdk.language': 'nodejs',
        ...this.config.resource,
      },
      scopeName: SCOPE_NAME,
      scopeVersion: SCOPE_VERSION,
    };
    this.#wallAtStart = this.#clock.now();
    this.#monoAtStart = this.#clock.monotonic();
    const metrics = deps.metrics ?? noopMetrics();
    this.#exported = metrics.counter('beamline_trace_spans_exported_total', 'Spans the collector accepted');
    this.#dropped = metrics.counter('beamline_trace_spans_dropped_total', 'Spans dropped: queue full, export failed or tracer closed', [
      'reason',
    ]);
    this.#failed = metrics.counter('beamline_trace_exports_failed_total', 'OTLP export requests that failed');
  }

  /** Epoch milliseconds with sub-millisecond resolution (wall clock at start + monotonic since). */
  #nowMs(): number {
    return this.#wallAtStart + (this.#clock.monotonic() - this.#monoAtStart);
  }

  startSpan(name: string, options: SpanOptions = {}): Span {
    const parent = options.parent;
    const ratio = this.config.sampleRatio;
    const sampled = parent === undefined ? (options.sampled ?? (ratio >= 1 || (ratio > 0 && Math.random() < ratio))) : parent.sampled;
    if (!sampled || this.#state !== 'running') return nonRecorded(parent);
    const traceId = parent?.traceId ?? this.#ids.hex(16);
    const context: SpanContext = {
      traceId,
      spanId: this.#ids.hex(8),
      sampled: true,
      ...(parent?.traceState === undefined ? {} : { traceState: parent.traceState }),
    };
    const attributes: Record<string, AttributeValue> = { ...options.attributes };
    const start = this.#nowMs();
    let error: string | undefined;
    let ended = false;
    return {
      context,
      recording: true,
      setAttribute: (key, value) => {
        if (!ended) attributes[key] = value;
      },
      setError: (message) => {
        if (!ended) error = message;
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.#finish({
          name,
          kind: options.kind ?? 'internal',
          traceId,
          spanId: context.spanId,
          parentSpanId: parent?.spanId,
          traceState: context.traceState,
          startTimeUnixNano: unixNanos(start),
          endTimeUnixNano: unixNanos(this.#nowMs()),
          attributes,
          links: options.links ?? [],
          error,
        });
      },
    };
  }

  #finish(span: FinishedSpan): void {
    if (this.#state === 'closed') {
      this.#dropped.inc({ reason: 'closed' });
      return;
    }
    if (this.#queue.length >= this.config.maxQueue) {
      this.#dropped.inc({ reason: 'queue-full' });
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.config.maxExportBatch) void this.flush();
    else
      this.#timer ??= this.#clock.setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.config.exportIntervalMs);
  }

  /** Sends everything queued now, in batches, one request at a time. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const spans = this.#queue;
    this.#queue = [];
    if (spans.length === 0) return this.#inFlight;
    this.#inFlight = this.#inFlight.then(async () => {
      for (let i = 0; i < spans.length; i += this.config.maxExportBatch) {
        const part = spans.slice(i, i + this.config.maxExportBatch);
        try {
          await this.#send(encodeSpans(part, this.#scope));
          this.#exported.inc(undefined, part.length);
          if (this.#failing) this.#log.info({ spans: part.length }, 'trace export recovered');
          this.#failing = false;
        } catch (err) {
          this.#failed.inc();
          this.#dropped.inc({ reason: 'export-failed' }, part.length);
          if (!this.#failing) this.#log.warn({ err, spans: part.length, url: this.config.tracesUrl }, 'trace export failed; spans dropped');
          this.#failing = true;
        }
      }
    });
    return this.#inFlight;
  }

  close(): Promise<void> {
    if (this.#state !== 'running') return this.#inFlight;
    this.#state = 'closing';
    return this.flush().then(() => {
      this.#state = 'closed';
    });
  }
}

function nonRecorded(context: SpanContext | undefined): Span {
  const nothing = (): void => undefined;
  return { context, recording: false, setAttribute: nothing, setError: nothing, end: nothing };
}
