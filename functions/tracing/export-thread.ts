/**
 * The export thread's entry (#22; started by thread-export.ts, never imported).
 *
 * Runs the SDK's `BatchSpanProcessor` and OTLP/HTTP exporter over the span records the worker's
 * thread posts: turning spans into OTLP (protobuf by default) and sending them cost about 6 µs
 * per span, more than recording them, and here it costs the worker's event loop nothing (pino's
 * transports run in a worker thread for the same reason). Tells the tracer how each request ended and answers its
 * flush and shutdown requests, in the order they were posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import type { SetDefinitions } from './attribute-sets.ts';
import { settlingExporter, spanResource, SpanView } from './span-record.ts';
import { SpanReader } from './span-wire.ts';
import type { ExportThreadConfig, FromExportThread, ToExportThread } from './thread-export.ts';

const config = workerData as ExportThreadConfig;
const port = parentPort;
if (port === null) throw new Error('export-thread.ts runs as a worker thread (see thread-export.ts)');
const post = (m: FromExportThread): void => port.postMessage(m);

const otlp = { url: config.tracesUrl, timeoutMillis: config.exportTimeoutMs };
const exporter = settlingExporter(
  config.protocol === 'http/json' ? new JsonExporter(otlp) : new ProtobufExporter(otlp),
  (spans, ok, error) => post(error === undefined ? { type: 'settled', spans, ok } : { type: 'settled', spans, ok, error }),
);
const processor = new BatchSpanProcessor(exporter, {
  maxQueueSize: config.maxQueue,
  maxExportBatchSize: config.maxExportBatch,
  scheduledDelayMillis: config.exportIntervalMs,
  exportTimeoutMillis: config.exportTimeoutMs,
});
const resource = spanResource(config.serviceName, config.resource);
const scope = { name: config.scopeName, version: config.scopeVersion };
/** The tracer's shared attribute sets by number (attribute-sets.ts), as they arrive. */
const sets: Attributes[] = [];
const shared = (n: number): Attributes | undefined => sets[n];
/** The tracer's span records, as its SpanWriter wrote them. */
const reader = new SpanReader();

port.on('message', (m: ToExportThread) => {
  if (m.type === 'spans') {
    if (m.sets !== '') for (const [n, a] of JSON.parse(m.sets) as SetDefinitions) sets[n] = a;
    for (const r of reader.read(m.chunk)) processor.onEnd(new SpanView(r, resource, scope, shared));
  } else if (m.type === 'flush') {
    void processor
      .forceFlush()
      .catch(() => undefined)
      .then(() => post({ type: 'done', id: m.id }));
  } else {
    void processor
      .forceFlush()
      .catch(() => undefined)
      .then(() => processor.shutdown())
      .catch(() => undefined)
      .then(() => {
        post({ type: 'done', id: m.id });
        port.close();
      });
  }
});
