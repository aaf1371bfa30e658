/**
 * The export thread's entry (#22; started by thread-export.ts, never imported).
 *
 * Runs the SDK's `BatchSpanProcessor` and OTLP/HTTP exporter over the span records the worker's
 * thread posts: turning spans into OTLP JSON and sending them cost about 6 µs per span, more than
 * recording them, and here it costs the worker's event loop nothing (pino's transports run in a
 * worker thread for the same reason). Tells the tracer how each request ended and answers its
 * flush and shutdown requests, in the order they were posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import type { SetDefinitions } from './attribute-sets.ts';
import { settlingExporter, spanResource, SpanView, type SpanRecord } from './span-record.ts';
import type { ExportThreadConfig, FromExportThread, ToExportThread } from './thread-export.ts';

const config = workerData as ExportThreadConfig;
const port = parentPort;
if (port === null) throw new Error('export-thread.ts runs as a worker thread (see thread-export.ts)');
const post = (m: FromExportThread): void => port.postMessage(m);

const exporter = settlingExporter(
  new OTLPTraceExporter({ url: config.tracesUrl, timeoutMillis: config.exportTimeoutMs }),
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

port.on('message', (m: ToExportThread) => {
  if (m.type === 'spans') {
    if (m.sets !== '') for (const [n, a] of JSON.parse(m.sets) as SetDefinitions) sets[n] = a;
    for (const r of JSON.parse(m.spans) as SpanRecord[]) processor.onEnd(new SpanView(r, resource, scope, shared));
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
