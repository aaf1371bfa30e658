/**
 * Metrics of calls to remote model servers (#25), per model version. The circuit breaker's state
 * is the engine's `beamline_inference_breaker_state{model}` (the same breaker guards local and
 * remote models); these add what only a remote call has.
 */
import type { CounterMetric, GaugeMetric, HistogramMetric, Metrics } from '../../telemetry.ts';
import type { RemoteFailureKind } from './oip-client.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

export class RemoteMetrics {
  readonly #model: string;
  readonly #seconds: HistogramMetric;
  readonly #errors: CounterMetric;
  readonly #retries: CounterMetric;
  readonly #inFlight: GaugeMetric;
  readonly #ready: GaugeMetric;

  constructor(metrics: Metrics, model: string) {
    this.#model = model;
    this.#seconds = metrics.histogram(
      'beamline_remote_request_seconds',
      'Latency of one request to a remote model server',
      ['model', 'outcome'],
      LATENCY_BUCKETS,
    );
    this.#errors = metrics.counter(
      'beamline_remote_errors_total',
      'Failed remote requests by kind (timeout, unreachable, server-error, rejected, bad-response)',
      ['model', 'kind'],
    );
    this.#retries = metrics.counter('beamline_remote_retries_total', 'Remote requests retried after a retriable failure', ['model']);
    this.#inFlight = metrics.gauge('beamline_remote_requests_in_flight_count', 'Requests to the remote model server awaiting an answer', [
      'model',
    ]);
    this.#ready = metrics.gauge('beamline_remote_ready_state', 'Last health probe of the remote model: 1 ready, 0 not', ['model']);
  }

  request(outcome: 'ok' | RemoteFailureKind, seconds: number): void {
    this.#seconds.observe({ model: this.#model, outcome: outcome === 'ok' ? 'ok' : 'error' }, seconds);
    if (outcome !== 'ok') this.#errors.inc({ model: this.#model, kind: outcome });
  }

  retry(): void {
    this.#retries.inc({ model: this.#model });
  }

  inFlight(delta: 1 | -1): void {
    if (delta > 0) this.#inFlight.inc({ model: this.#model });
    else this.#inFlight.dec({ model: this.#model });
  }

  ready(ok: boolean): void {
    this.#ready.set({ model: this.#model }, ok ? 1 : 0);
  }
}
