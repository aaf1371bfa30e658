/** The worker's metrics (Prometheus names, snake_case ending in their unit). */
import type { CounterMetric, Exemplar, GaugeMetric, HistogramMetric, Labels, Metrics } from '../telemetry.ts';
import type { OutputMessage } from './records.ts';
import type { WorkerConfig } from './worker-options.ts';

export class WorkerMetrics {
  readonly #labels: Labels;
  readonly #eventsIn: CounterMetric;
  readonly #eventsOut: CounterMetric;
  readonly #deadLettered: CounterMetric;
  readonly #lateEvents: CounterMetric;
  readonly #commitFailures: CounterMetric;
  readonly #handedBack: CounterMetric;
  /** Event time to the commit of the batch that decided it (see endToEnd()). */
  readonly #endToEnd: HistogramMetric;
  readonly #batchSeconds: HistogramMetric;
  readonly #restoreSeconds: GaugeMetric;
  readonly #restoreKeys: GaugeMetric;
  readonly #backlog: GaugeMetric;
  readonly #received: CounterMetric;
  readonly #decided: CounterMetric;
  readonly #decision: HistogramMetric;
  readonly #slow: CounterMetric;
  readonly #boundSeconds: number;

  constructor(m: Metrics, config: Pick<WorkerConfig, 'tenant' | 'namespace'> & Partial<Pick<WorkerConfig, 'sloDecisionLatencyMs'>>) {
    this.#labels = { tenant: config.tenant, namespace: config.namespace };
    const base = ['tenant', 'namespace'];
    this.#eventsIn = m.counter('beamline_events_in_total', 'Input events committed (dead-lettered ones included)', base);
    this.#eventsOut = m.counter('beamline_events_out_total', 'Messages written to output topics', [...base, 'topic']);
    this.#deadLettered = m.counter('beamline_dead_lettered_total', 'Records sent to the dead-letter topic', [...base, 'reason']);
    this.#lateEvents = m.counter('beamline_window_late_events_total', 'Events beyond the allowed lateness', base);
    this.#commitFailures = m.counter('beamline_commit_failures_total', 'Batches whose commit failed and were redelivered', base);
    this.#handedBack = m.counter(
      'beamline_inputs_handed_back_total',
      'Inputs handed back to the broker undecided because held inputs reached maxInFlight (#26)',
      base,
    );
    // Named for what it measures: the worker's commit, not the moment a consumer downstream
    // receives the decision (that comes later: the broker dispatches after the commit). The
    // user-visible figure is measured outside the worker (npm run demo, npm run bench -- e2e).
    this.#endToEnd = m.histogram(
      EVENT_TO_COMMIT_METRIC,
      'Event time of an input record to the commit of its decision (before any consumer receives it)',
      base,
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    );
    this.#batchSeconds = m.histogram('beamline_batch_processing_seconds', 'Time to process and commit one batch', base);
    this.#restoreSeconds = m.gauge('beamline_state_restore_seconds', 'Duration of the last state restore', base);
    this.#restoreKeys = m.gauge('beamline_state_restore_keys', 'Keys loaded by the last state restore', base);
    this.#backlog = m.gauge('beamline_consumer_backlog_messages', 'Messages waiting in the input subscription', base);
    // The SLIs of observability/prometheus/beamline-slo-rules.yaml. Availability: decided over
    // received (a redelivered record counts again, so commit failures and dead letters burn budget).
    // Latency: the worker counts settlements slower than the namespace's bound itself, so one generic
    // rule serves namespaces with different bounds; the bound is also a histogram bucket.
    this.#boundSeconds = (config.sloDecisionLatencyMs ?? DEFAULT_SLO_DECISION_LATENCY_MS) / 1000;
    this.#received = m.counter('beamline_records_received_total', 'Input records handed to the handler (redeliveries included)', base);
    this.#decided = m.counter('beamline_records_decided_total', 'Input records committed with a decision (not dead-lettered)', base);
    this.#decision = m.histogram(
      'beamline_decision_latency_seconds',
      'Publish time of an input record to the commit that settles it',
      base,
      decisionBuckets(this.#boundSeconds),
    );
    this.#slow = m.counter('beamline_decisions_slow_total', 'Records settled later than the namespace SLO bound', base);
    // Zero-valued series from the start, so a worker that never decides still shows a ratio.
    for (const c of [this.#received, this.#decided, this.#slow]) c.inc(this.#labels, 0);
    m.gauge('beamline_slo_decision_latency_bound_seconds', 'The namespace decision-latency SLO bound', base).set(
      this.#labels,
      this.#boundSeconds,
    );
  }

  received(records: number): void {
    this.#received.inc(this.#labels, records);
  }

  /**
   * A committed batch: `decided` of its records got a decision; every record is settled at `nowMs`.
   * `exemplarOf(i)` (#22): record i's sampled trace, for the latency histogram's exemplars.
   */
  settled(
    batch: readonly { publishTimeMs: number }[],
    decided: number,
    nowMs: number,
    exemplarOf: (i: number) => Exemplar | undefined = () => undefined,
  ): void {
    this.#decided.inc(this.#labels, decided);
    let slow = 0;
    for (let i = 0; i < batch.length; i++) {
      const s = Math.max(0, nowMs - (batch[i] as { publishTimeMs: number }).publishTimeMs) / 1000;
      this.#decision.observe(this.#labels, s, exemplarOf(i));
      if (s > this.#boundSeconds) slow++;
    }
    if (slow > 0) this.#slow.inc(this.#labels, slow);
  }

  /** `exemplar` (#22): the batch span's trace, when the batch was traced. */
  committed(inputs: number, outputs: readonly OutputMessage[], seconds: number, exemplar?: Exemplar): void {
    this.#eventsIn.inc(this.#labels, inputs);
    this.#batchSeconds.observe(this.#labels, seconds, exemplar);
    for (const o of outputs) {
      this.#eventsOut.inc({ ...this.#labels, topic: o.topic });
      if (o.topic === 'dead-letter') {
        const reason = o.properties?.['beamline.reason'] ?? 'unknown';
        this.#deadLettered.inc({ ...this.#labels, reason });
        if (reason === 'late-event') this.#lateEvents.inc(this.#labels);
      }
    }
  }

  /** Event time to this worker's commit of the decision, seconds (EVENT_TO_COMMIT_METRIC). */
  endToEnd(seconds: number, exemplar?: Exemplar): void {
    this.#endToEnd.observe(this.#labels, Math.max(0, seconds), exemplar);
  }

  /** Inputs received while holding at the bound, handed back to the broker undecided. */
  inputsHandedBack(n: number): void {
    this.#handedBack.inc(this.#labels, n);
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

/**
 * The worker's event-time-to-commit histogram (#18; was beamline_end_to_end_latency_seconds,
 * which promised more than it measured).
 */
export const EVENT_TO_COMMIT_METRIC = 'beamline_event_to_commit_latency_seconds';

/** Decision-latency SLO bound when the namespace names none. */
export const DEFAULT_SLO_DECISION_LATENCY_MS = 500;

const DECISION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The standard buckets with the SLO bound added, so `le="<bound>"` answers the SLO exactly. */
export function decisionBuckets(boundSeconds: number): number[] {
  return [...new Set([...DECISION_BUCKETS, boundSeconds])].sort((a, b) => a - b);
}
