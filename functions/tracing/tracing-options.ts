/**
 * Tracing settings (#22): off unless an OTLP endpoint is given. Options -> compileTracingOptions()
 * -> frozen config.
 */
import { ConfigError } from '../errors.ts';

export interface TracingOptions {
  /**
   * The OpenTelemetry Collector's OTLP/HTTP base URL, e.g. `http://otel-collector:4318`; the
   * SDK's OTLP/HTTP exporter POSTs spans to `<endpoint>/v1/traces`. The one setting that turns
   * tracing on.
   */
  endpoint: string;
  /**
   * OTLP/HTTP's encoding, named as `OTEL_EXPORTER_OTLP_PROTOCOL` names it: `http/protobuf` (the
   * specification's default; a span is about 225 bytes, against about 600 in JSON, which the
   * export thread writes to its socket and the collector parses) or `http/json`.
   * @default 'http/protobuf'
   */
  protocol?: OtlpProtocol;
  /**
   * Share of new traces recorded (records that arrive without a `traceparent`), decided from the
   * trace id (TraceIdRatioBased); a record whose producer sampled it is always recorded, one it did
   * not sample never is (ParentBased).
   * @default 0.1
   */
  sampleRatio?: number;
  /** `service.name` of the spans' resource. @default 'beamline-worker' */
  serviceName?: string;
  /** Extra resource attributes, e.g. `{ 'service.instance.id': pod }`. @default {} */
  resource?: Readonly<Record<string, string>>;
  /** Spans are sent at least this often. @default 1000 */
  exportIntervalMs?: number;
  /** Spans per request; at most `maxQueue`. @default 512 */
  maxExportBatch?: number;
  /** Spans buffered at most; more are dropped (and counted) while the collector is slow. @default 4096 */
  maxQueue?: number;
  /** One export request's deadline. @default 10000 */
  exportTimeoutMs?: number;
}

/** OTLP/HTTP's two encodings (`grpc` is not offered: the SDK's OTLP/HTTP exporters only). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

export interface TracingConfig {
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  readonly tracesUrl: string;
  readonly sampleRatio: number;
  readonly serviceName: string;
  readonly resource: Readonly<Record<string, string>>;
  readonly exportIntervalMs: number;
  readonly maxExportBatch: number;
  readonly maxQueue: number;
  readonly exportTimeoutMs: number;
}

function positiveInt(field: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new ConfigError(`tracing.${field}`, value, `use a whole number from 1 to ${max}`);
  return v;
}

export function compileTracingOptions(o: TracingOptions): TracingConfig {
  let url: URL;
  try {
    url = new URL(o.endpoint);
  } catch (cause) {
    throw new ConfigError('tracing.endpoint', o.endpoint, 'give the collector OTLP/HTTP base URL, e.g. http://otel-collector:4318', {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('tracing.endpoint', o.endpoint, 'use an http:// or https:// URL (OTLP/HTTP, port 4318 by default)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('tracing.endpoint', '[redacted]', 'do not put credentials in the URL');
  }
  const protocol = o.protocol ?? 'http/protobuf';
  if (!PROTOCOLS.includes(protocol)) {
    throw new ConfigError('tracing.protocol', o.protocol, `use ${PROTOCOLS.join(' or ')} (OTLP over HTTP; gRPC is not offered)`);
  }
  const sampleRatio = o.sampleRatio ?? 0.1;
  if (typeof sampleRatio !== 'number' || !(sampleRatio >= 0 && sampleRatio <= 1)) {
    throw new ConfigError('tracing.sampleRatio', o.sampleRatio, 'use a number from 0 (no new traces) to 1 (every new trace)');
  }
  const serviceName = o.serviceName ?? 'beamline-worker';
  if (typeof serviceName !== 'string' || serviceName === '')
    throw new ConfigError('tracing.serviceName', o.serviceName, 'use a non-empty name');
  const base = url.href.replace(/\/+$/, '');
  const maxQueue = positiveInt('maxQueue', o.maxQueue, 4_096, 1_000_000);
  const maxExportBatch = positiveInt('maxExportBatch', o.maxExportBatch, 512, 100_000);
  if (maxExportBatch > maxQueue) {
    throw new ConfigError(
      'tracing.maxExportBatch',
      maxExportBatch,
      `use at most tracing.maxQueue (${maxQueue}): a batch comes from the queue`,
    );
  }
  return Object.freeze({
    endpoint: base,
    protocol,
    tracesUrl: `${base}/v1/traces`,
    sampleRatio,
    serviceName,
    resource: Object.freeze({ ...o.resource }),
    exportIntervalMs: positiveInt('exportIntervalMs', o.exportIntervalMs, 1_000, 3_600_000),
    maxExportBatch,
    maxQueue,
    exportTimeoutMs: positiveInt('exportTimeoutMs', o.exportTimeoutMs, 10_000, 600_000),
  });
}
