/**
 * Every inference metric in one place, so names and labels stay consistent.
 */
import { breakerGaugeValue, type BreakerState } from '../breaker-state.ts';
import type { CounterMetric, GaugeMetric, HistogramMetric, Metrics } from '../telemetry.ts';

const FILL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
const SCORE_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];
const ROWS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Batcher-side metrics: fill, queue wait, load shedding. */
export class BatchMetrics {
  readonly #model: string;
  readonly #fill: HistogramMetric;
  readonly #wait: HistogramMetric;
  readonly #size: HistogramMetric;
  readonly #shed: CounterMetric;
  readonly #queue: GaugeMetric;
  readonly #batches: CounterMetric;

  constructor(metrics: Metrics, model: string) {
    this.#model = model;
    this.#fill = metrics.histogram(
      'beamline_inference_batch_fill_ratio',
      'Records over padded bucket size per batch',
      ['model'],
      FILL_BUCKETS,
    );
    this.#wait = metrics.histogram('beamline_inference_queue_wait_seconds', 'Time a record waited in the micro-batcher', ['model']);
    this.#size = metrics.histogram('beamline_inference_batch_rows', 'Records per dispatched batch', ['model'], ROWS_BUCKETS);
    this.#shed = metrics.counter('beamline_inference_shed_total', 'Records refused because the queue was full', ['model', 'priority']);
    // #26: the autoscaling signal next to consumer backlog (the Helm chart's KEDA formula).
    this.#queue = metrics.gauge('beamline_inference_queued_rows', 'Records waiting in the micro-batcher, by priority lane', [
      'model',
      'lane',
    ]);
    this.#batches = metrics.counter('beamline_inference_batches_total', 'Batches dispatched, by priority lane', ['model', 'lane']);
  }

  /** #26: queue length per lane, after every arrival and dispatch. */
  queue(high: number, normal: number): void {
    this.#queue.set({ model: this.#model, lane: 'high' }, high);
    this.#queue.set({ model: this.#model, lane: 'normal' }, normal);
  }

  batch(rows: number, bucket: number, waitsSeconds: readonly number[], lane: 'high' | 'normal' = 'normal'): void {
    const labels = { model: this.#model };
    this.#batches.inc({ model: this.#model, lane });
    this.#fill.observe(labels, rows / bucket);
    this.#size.observe(labels, rows);
    for (const w of waitsSeconds) this.#wait.observe(labels, w);
  }

  shed(priority: string): void {
    this.#shed.inc({ model: this.#model, priority });
  }
}

/** Executor-side metrics: time per batch, rows, scores, errors, breaker state. */
export class ScoringMetrics {
  readonly #model: string;
  readonly #batchSeconds: HistogramMetric;
  readonly #rows: CounterMetric;
  readonly #scores: HistogramMetric;
  readonly #errors: CounterMetric;
  readonly #breaker: GaugeMetric;
  readonly #breakerEvents: CounterMetric;
  readonly #fallbacks: CounterMetric;
  readonly #poolBytes: GaugeMetric;

  constructor(metrics: Metrics, model: string) {
    this.#model = model;
    this.#batchSeconds = metrics.histogram('beamline_inference_batch_seconds', 'Model time per batch (padded)', [
      'model',
      'backend',
      'bucket',
    ]);
    this.#rows = metrics.counter('beamline_inference_rows_total', 'Records scored (padding excluded)', ['model']);
    this.#scores = metrics.histogram('beamline_inference_score_ratio', 'First output value per record', ['model'], SCORE_BUCKETS);
    this.#errors = metrics.counter('beamline_inference_errors_total', 'Failed batches by error code', ['model', 'code']);
    this.#breaker = metrics.gauge('beamline_inference_breaker_state', 'Circuit breaker: 0 closed, 1 half-open, 2 open', ['model']);
    this.#breakerEvents = metrics.counter('beamline_inference_breaker_events_total', 'Circuit breaker events', ['model', 'event']);
    this.#fallbacks = metrics.counter('beamline_inference_fallback_rows_total', 'Records answered by the fallback decision', ['model']);
    this.#poolBytes = metrics.gauge('beamline_inference_pool_memory_bytes', 'Heap + external memory of a warm pool', ['model', 'version']);
  }

  batch(backend: string, bucket: number, seconds: number, rows: number, firstOutputs: Iterable<number>): void {
    this.#batchSeconds.observe({ model: this.#model, backend, bucket }, seconds);
    this.#rows.inc({ model: this.#model }, rows);
    for (const s of firstOutputs) this.#scores.observe({ model: this.#model }, s);
  }

  error(code: string): void {
    this.#errors.inc({ model: this.#model, code });
  }

  breakerState(state: BreakerState): void {
    this.#breaker.set({ model: this.#model }, breakerGaugeValue(state));
  }

  breakerEvent(event: string): void {
    this.#breakerEvents.inc({ model: this.#model, event });
  }

  fallbackRows(n: number): void {
    this.#fallbacks.inc({ model: this.#model }, n);
  }

  poolMemory(version: string, bytes: number): void {
    this.#poolBytes.set({ model: this.#model, version }, bytes);
  }
}
