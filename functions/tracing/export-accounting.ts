/**
 * What the tracer's exporter took and lost (#22): the bound on spans between end() and the
 * exporter's answer, the counters, and one log line per failure streak. Lives beside the tracer
 * (the metrics and the logger are the worker's), whether the export runs in this thread or in
 * the export thread.
 */
import type { CounterMetric, Logger, Metrics } from '../telemetry.ts';

export type DropReason = 'queue-full' | 'export-failed' | 'closed';

export class ExportAccounting {
  readonly #max: number;
  readonly #log: Logger;
  readonly #url: string;
  readonly #exported: CounterMetric;
  readonly #failed: CounterMetric;
  readonly #dropped: CounterMetric;
  /** Spans ended and not yet answered by the exporter. */
  #inFlight = 0;
  #failing = false;

  constructor(maxQueue: number, metrics: Metrics, log: Logger, url: string) {
    this.#max = maxQueue;
    this.#log = log;
    this.#url = url;
    this.#exported = metrics.counter('beamline_trace_spans_exported_total', 'Spans the collector accepted');
    this.#failed = metrics.counter('beamline_trace_exports_failed_total', 'OTLP export requests that failed');
    this.#dropped = metrics.counter('beamline_trace_spans_dropped_total', 'Spans dropped: queue full, export failed or tracer closed', [
      'reason',
    ]);
  }

  /**
   * A span ended: true when it may go to the exporter, false (counted) when `maxQueue` spans
   * already wait for it. A slow or absent collector costs bounded memory, never a decision.
   */
  admit(): boolean {
    if (this.#inFlight >= this.#max) {
      this.#dropped.inc({ reason: 'queue-full' });
      return false;
    }
    this.#inFlight++;
    return true;
  }

  /** An export request of `spans` ended. */
  settled(spans: number, ok: boolean, error?: string): void {
    this.#inFlight = Math.max(0, this.#inFlight - spans);
    if (ok) {
      this.#exported.inc(undefined, spans);
      if (this.#failing) this.#log.info({ spans }, 'trace export recovered');
      this.#failing = false;
      return;
    }
    this.#failed.inc();
    this.#dropped.inc({ reason: 'export-failed' }, spans);
    if (!this.#failing) this.#log.warn({ err: error, spans, url: this.#url }, 'trace export failed; spans dropped');
    this.#failing = true;
  }

  dropped(reason: DropReason, spans = 1): void {
    this.#dropped.inc({ reason }, spans);
  }
}
