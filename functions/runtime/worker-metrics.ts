/** The worker's metrics (Prometheus names, snake_case ending in their unit). */
import type { CounterMetric, GaugeMetric, HistogramMetric, Labels, Metrics } from '../telemetry.ts';
import type { OutputMessage } from './records.ts';
import type { WorkerConfig } from './worker-options.ts';

export class WorkerMetrics {
  readonly #labels: Labels;
  readonly #eventsIn: CounterMetric;
  readonly #eventsOut: CounterMetric;
  readonly #deadLettered: CounterMetric;
  readonly #lateEvents: CounterMetric;
  readonly #commitFailures: CounterMetric;
  readonly #endToEnd: HistogramMetric;
  readonly #batchSeconds: HistogramMetric;
  readonly #restoreSeconds: GaugeMetric;
  readonly #restoreKeys: GaugeMetric;
  readonly #backlog: GaugeMetric;

  constructor(m: Metrics, config: Pick<WorkerConfig, 'tenant' | 'namespace'>) {
    this.#labels = { tenant: config.tenant, namespace: config.namespace };
    const base = ['tenant', 'namespace'];
    this.#eventsIn = m.counter('beamline_events_in_total', 'Input events committed (dead-lettered ones included)', base);
    this.#eventsOut = m.counter('beamline_events_out_total', 'Messages written to output topics', [...base, 'topic']);
    this.#deadLettered = m.counter('beamline_dead_lettered_total', 'Records sent to the dead-letter topic', [...base, 'reason']);
    this.#lateEvents = m.counter('beamline_window_late_events_total', 'Events beyond the allowed lateness', base);
    this.#commitFailures = m.counter('beamline_commit_failures_total', 'Batches whose commit failed and were redelivered', base);
    this.#endToEnd = m.histogram(
      'beamline_end_to_end_latency_seconds',
      'Event time to committed decision',
      base,
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    );
    this.#batchSeconds = m.histogram('beamline_batch_processing_seconds', 'Time to process and commit one batch', base);
    this.#restoreSeconds = m.gauge('beamline_state_restore_seconds', 'Duration of the last state restore', base);
    this.#restoreKeys = m.gauge('beamline_state_restore_keys', 'Keys loaded by the last state restore', base);
    this.#backlog = m.gauge('beamline_consumer_backlog_messages', 'Messages waiting in the input subscription', base);
  }

  committed(inputs: number, outputs: readonly OutputMessage[], seconds: number): void {
    this.#eventsIn.inc(this.#labels, inputs);
    this.#batchSeconds.observe(this.#labels, seconds);
    for (const o of outputs) {
      this.#eventsOut.inc({ ...this.#labels, topic: o.topic });
      if (o.topic === 'dead-letter') {
        const reason = o.properties?.['beamline.reason'] ?? 'unknown';
        this.#deadLettered.inc({ ...this.#labels, reason });
        if (reason === 'late-event') this.#lateEvents.inc(this.#labels);
      }
    }
  }

  endToEnd(seconds: number): void {
    this.#endToEnd.observe(this.#labels, Math.max(0, seconds));
  }

  commitFailed(): void {
    this.#commitFailures.inc(this.#labels);
  }

  restored(keys: number, seconds: number): void {
    this.#restoreKeys.set(this.#labels, keys);
    this.#restoreSeconds.set(this.#labels, seconds);
  }

  backlog(messages: number): void {
    this.#backlog.set(this.#labels, messages);
  }
}
