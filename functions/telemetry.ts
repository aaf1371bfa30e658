/**
 * Logging and metrics behind small interfaces.
 *
 * - One pino root logger per process; components take `log.child({ component, tenant, namespace })`.
 *   Messages are constant strings; data goes in fields. Secrets are redacted by path.
 * - Metrics go through `Metrics` (Prometheus by default). Names are snake_case and end in their
 *   unit (`_total`, `_seconds`, `_bytes`, `_ratio`, ...); a bad name fails fast at registration.
 * - Traces go through `Tracer` (#22): W3C trace context (`traceparent`, `tracestate`) travels in
 *   message properties; functions/tracing/ exports spans over OTLP when tracing is turned on, and
 *   `noopTracer()` (the default) records nothing but still passes an incoming context through.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError } from './errors.ts';
import {
  HistogramExemplars,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  renderOpenMetrics,
  type Exemplar,
  type MetricFamilyJson,
  type MetricsFormat,
} from './openmetrics.ts';

export { metricsFormatFor, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, type Exemplar, type MetricsFormat } from './openmetrics.ts';

export type { Logger } from 'pino';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
];

export interface RootLoggerOptions {
  /** @default 'info' (or $BEAMLINE_LOG_LEVEL) */
  level?: string;
  /** Where lines go; tests pass a stream to capture them. @default stdout */
  destination?: NodeJS.WritableStream;
}

export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env['BEAMLINE_LOG_LEVEL'] ?? 'info',
    base: { service: 'beamline' },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

/** A logger that drops everything: the default for library objects created without one. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type Labels = Readonly<Record<string, string | number>>;

export interface CounterMetric {
  inc(labels?: Labels, value?: number): void;
}
export interface GaugeMetric {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, value?: number): void;
  dec(labels?: Labels, value?: number): void;
}
export interface HistogramMetric {
  /**
   * `exemplar` (#22): the trace this observation belongs to (a sampled one, so the trace exists);
   * OpenMetrics scrapes show the latest one per bucket.
   */
  observe(labels: Labels, value: number, exemplar?: Exemplar): void;
}

export interface Metrics {
  counter(name: string, help: string, labelNames?: readonly string[]): CounterMetric;
  gauge(name: string, help: string, labelNames?: readonly string[]): GaugeMetric;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): HistogramMetric;
  /**
   * Text exposition of everything registered: Prometheus text (the default) or OpenMetrics, with
   * histogram exemplars (#22; `metricsFormatFor(accept)` picks from a scrape's Accept header).
   */
  render(format?: MetricsFormat): Promise<string>;
  /** Content type of the Prometheus text format. */
  readonly contentType: string;
}

/** The content type of `format`'s exposition. */
export function contentTypeOf(format: MetricsFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

const UNIT_SUFFIX = /^[a-z][a-z0-9_]*_(total|seconds|milliseconds|bytes|ratio|count|rows|messages|keys|info|state)$/;

/** Throws when a metric name is not snake_case ending in a unit. */
export function checkMetricName(name: string): void {
  if (!UNIT_SUFFIX.test(name)) {
    throw new ConfigError(
      'metric.name',
      name,
      'use snake_case ending in a unit: _total, _seconds, _bytes, _ratio, _count, _rows, _messages, _keys, _info or _state',
    );
  }
}

/** Metrics on a prom-client Registry. Registering the same name twice returns the same metric. */
export class PrometheusMetrics implements Metrics {
  readonly registry: Registry;
  readonly #byName = new Map<string, Counter | Gauge | Histogram>();
  readonly #exemplars = new Map<string, HistogramExemplars>();
  readonly #clock: Clock;

  /** `clock` stamps exemplars. @default systemClock */
  constructor(registry: Registry = new Registry(), clock: Clock = systemClock) {
    this.registry = registry;
    this.#clock = clock;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): CounterMetric {
    const c = this.#get(name, () => new Counter({ name, help, labelNames, registers: [this.registry] })) as Counter;
    return { inc: (labels, value) => (labels ? c.inc(labels, value ?? 1) : c.inc(value ?? 1)) };
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): GaugeMetric {
    const g = this.#get(name, () => new Gauge({ name, help, labelNames, registers: [this.registry] })) as Gauge;
    return {
      set: (labels, value) => g.set(labels, value),
      inc: (labels, value) => (labels ? g.inc(labels, value ?? 1) : g.inc(value ?? 1)),
      dec: (labels, value) => (labels ? g.dec(labels, value ?? 1) : g.dec(value ?? 1)),
    };
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ): HistogramMetric {
    const h = this.#get(
      name,
      () => new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] }),
    ) as Histogram;
    let exemplars = this.#exemplars.get(name);
    if (exemplars === undefined) {
      exemplars = new HistogramExemplars((h as unknown as { upperBounds: number[] }).upperBounds ?? buckets);
      this.#exemplars.set(name, exemplars);
    }
    const store = exemplars;
    return {
      observe: (labels, value, exemplar) => {
        h.observe(labels, value);
        if (exemplar !== undefined) store.record(labels, value, exemplar, this.#clock.now());
      },
    };
  }

  async render(format: MetricsFormat = 'prometheus'): Promise<string> {
    if (format === 'prometheus') return this.registry.metrics();
    const families = (await this.registry.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
    return renderOpenMetrics(families, (name) => this.#exemplars.get(name));
  }

  #get(name: string, make: () => Counter | Gauge | Histogram): Counter | Gauge | Histogram {
    let m = this.#byName.get(name);
    if (m === undefined) {
      checkMetricName(name);
      m = make();
      this.#byName.set(name, m);
    }
    return m;
  }
}

/** Metrics that record nothing (still validates names, so mistakes show up in unit tests). */
export function noopMetrics(): Metrics {
  const nothing = (): void => undefined;
  return {
    counter: (name) => (checkMetricName(name), { inc: nothing }),
    gauge: (name) => (checkMetricName(name), { set: nothing, inc: nothing, dec: nothing }),
    histogram: (name) => (checkMetricName(name), { observe: nothing }),
    render: async (format) => (format === 'openmetrics' ? '# EOF\n' : ''),
    contentType: PROMETHEUS_CONTENT_TYPE,
  };
}

// ---- Tracing (#22) -------------------------------------------------------------------------

/** Message property names of the W3C trace context (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Which trace a span belongs to, as it travels between processes. Ids are lowercase hex. */
export interface SpanContext {
  /** 32 hex digits, not all zero. */
  readonly traceId: string;
  /** 16 hex digits, not all zero. */
  readonly spanId: string;
  /** The caller's sampling decision (trace-flags bit 0): spans below a sampled one are recorded. */
  readonly sampled: boolean;
  /** Vendor state, passed on unchanged. */
  readonly traceState?: string | undefined;
}

export interface SpanOptions {
  /** @default 'internal' */
  kind?: SpanKind;
  /** The span this one is a child of; none starts a new trace (sampled by the tracer's ratio). */
  parent?: SpanContext | undefined;
  /** Causal links to spans of other traces (a batch span links to each record's span). */
  links?: readonly SpanContext[];
  /**
   * The span's attributes; never changed through this object. A frozen object (`Object.freeze`)
   * is a set many spans share (per topic, per worker): a tracer may send it to its exporter once
   * and refer to it from each span (#22).
   */
  attributes?: Attributes;
  /**
   * More attributes, built only when the span is recorded: an unsampled record (most of them)
   * pays nothing for them.
   */
  attributesIfRecorded?: () => Attributes;
  /** A new trace only: record it regardless of the tracer's sample ratio (true) or never (false). */
  sampled?: boolean;
}

export interface Span {
  /** What to propagate: this span's own context when recording, else the parent's (or undefined). */
  readonly context: SpanContext | undefined;
  readonly recording: boolean;
  setAttribute(key: string, value: AttributeValue): void;
  /** Marks the span failed (status ERROR) with a short, secret-free description. */
  setError(message: string): void;
  /** Idempotent. */
  end(): void;
}

export interface Tracer {
  /** False for the no-op tracer: callers may skip work that only feeds spans. */
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): Span;
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  /** Flushes, then stops. Idempotent. */
  close(): Promise<void>;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a `traceparent` header value; undefined for anything invalid (the W3C rule: a receiver
 * that cannot parse it starts a new trace rather than failing the message).
 */
export function parseTraceparent(value: string | undefined, traceState?: string): SpanContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has nothing after the flags (later versions may).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const sampled = (Number.parseInt(flags, 16) & 1) === 1;
  return traceState === undefined || traceState === '' ? { traceId, spanId, sampled } : { traceId, spanId, sampled, traceState };
}

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** The trace context carried in message properties, if any. */
export function traceContextOf(properties: Readonly<Record<string, string>> | undefined): SpanContext | undefined {
  if (properties === undefined) return undefined;
  return parseTraceparent(properties[TRACEPARENT], properties[TRACESTATE]);
}

/** Message properties that carry `ctx` on (empty for none). */
export function traceProperties(ctx: SpanContext | undefined): Record<string, string> {
  if (ctx === undefined) return {};
  const p: Record<string, string> = { [TRACEPARENT]: formatTraceparent(ctx) };
  if (ctx.traceState !== undefined && ctx.traceState !== '') p[TRACESTATE] = ctx.traceState;
  return p;
}

/**
 * Random ids as slices of one pooled hex string (one crypto call and one hex encoding per 170
 * contexts): a slice costs a fraction of a Buffer-to-hex call per id, which tracing makes for
 * every span and every untraced record (#22).
 */
const POOL_BYTES = 4096;
const idPool = Buffer.alloc(POOL_BYTES);
let idHex = '';
/** Next unused hex digit of idHex. */
let idAt = 0;

function randomHex(bytes: number): string {
  const digits = bytes * 2;
  for (;;) {
    if (idAt + digits > idHex.length) {
      randomFillSync(idPool);
      idHex = idPool.toString('hex');
      idAt = 0;
    }
    const id = idHex.slice(idAt, idAt + digits);
    idAt += digits;
    // W3C: an all-zero trace or span id is invalid.
    if (id !== ZERO_TRACE && id !== ZERO_SPAN) return id;
  }
}

/** A new random span id (16 hex digits, not all zero). */
export function newSpanId(): string {
  return randomHex(8);
}

/**
 * A new, unsampled W3C context (#22): for a record that arrives without one and is not traced,
 * so its outputs (predictions, actions, review items, audit records) still share one trace id
 * (`traceId` fields, `x-beamline-trace-id`) and downstream keeps the not-sampled decision.
 */
export function newTraceContext(): SpanContext {
  return { traceId: randomHex(16), spanId: randomHex(8), sampled: false };
}

const activeContext = new AsyncLocalStorage<SpanContext>();

/** Runs `fn` with `ctx` as the active span context (for spans started deeper, e.g. `ctx.score`). */
export function withSpanContext<R>(ctx: SpanContext | undefined, fn: () => R): R {
  return ctx === undefined ? fn() : activeContext.run(ctx, fn);
}

/** The span context `withSpanContext` made active here, if any. */
export function activeSpanContext(): SpanContext | undefined {
  return activeContext.getStore();
}

/** A tracer that records nothing; a span's context is its parent's, so context passes through. */
export function noopTracer(): Tracer {
  return {
    enabled: false,
    startSpan: (_name, options) => nonRecordingSpan(options?.parent),
    flush: async () => undefined,
    close: async () => undefined,
  };
}

/** A span that is not recorded (unsampled, or tracing off) but still propagates `parent`. */
export function nonRecordingSpan(parent: SpanContext | undefined): Span {
  const nothing = (): void => undefined;
  return { context: parent, recording: false, setAttribute: nothing, setError: nothing, end: nothing };
}
