/**
 * Where the tracer's finished spans go (#22): the SDK's `BatchSpanProcessor` and an exporter,
 * either in the export thread (the default, thread-export.ts) or in this thread (an exporter
 * handed in: tests, or an application with its own).
 */
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AttributeSets } from './attribute-sets.ts';
import type { ExportAccounting } from './export-accounting.ts';
import { settlingExporter, SpanView, type SpanRecord } from './span-record.ts';
import type { TracingConfig } from './tracing-options.ts';

export interface SpanExport {
  /** A span ended (already admitted by the accounting). */
  add(record: SpanRecord): void;
  /** Sends what is buffered; resolves when the exporter answered (or gave up). */
  flush(): Promise<void>;
  /** Flushes, then stops. */
  shutdown(): Promise<void>;
}

/** The SDK's processor and the given exporter, in this thread. */
export class InProcessExport implements SpanExport {
  readonly #processor: BatchSpanProcessor;
  readonly #resource: Resource;
  readonly #scope: InstrumentationScope;
  readonly #shared: (n: number) => Attributes | undefined;

  constructor(
    config: TracingConfig,
    exporter: SpanExporter,
    accounting: ExportAccounting,
    resource: Resource,
    scope: InstrumentationScope,
    sets: AttributeSets,
  ) {
    this.#processor = new BatchSpanProcessor(
      settlingExporter(exporter, (spans, ok, error) => accounting.settled(spans, ok, error)),
      {
        maxQueueSize: config.maxQueue,
        maxExportBatchSize: config.maxExportBatch,
        scheduledDelayMillis: config.exportIntervalMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      },
    );
    this.#resource = resource;
    this.#scope = scope;
    this.#shared = (n) => sets.get(n);
  }

  add(record: SpanRecord): void {
    this.#processor.onEnd(new SpanView(record, this.#resource, this.#scope, this.#shared));
  }

  flush(): Promise<void> {
    return this.#processor.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#processor.shutdown();
  }
}
