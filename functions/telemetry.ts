/**
 * Logging and metrics behind small interfaces.
 *
 * - One pino root logger per process; components take `log.child({ component, tenant, namespace })`.
 *   Messages are constant strings; data goes in fields. Secrets are redacted by path.
 * - Metrics go through `Metrics` (Prometheus by default). Names are snake_case and end in their
 *   unit (`_total`, `_seconds`, `_bytes`, `_ratio`, ...); a bad name fails fast at registration.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigError } from './errors.ts';

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
  observe(labels: Labels, value: number): void;
}

export interface Metrics {
  counter(name: string, help: string, labelNames?: readonly string[]): CounterMetric;
  gauge(name: string, help: string, labelNames?: readonly string[]): GaugeMetric;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): HistogramMetric;
  /** Prometheus text exposition of everything registered. */
  render(): Promise<string>;
  readonly contentType: string;
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

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
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
    return { observe: (labels, value) => h.observe(labels, value) };
  }

  render(): Promise<string> {
    return this.registry.metrics();
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
    render: async () => '',
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
  };
}
