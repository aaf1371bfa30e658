/**
 * The client's metrics through the project's Metrics interface (Prometheus by default in the
 * runtime, nothing unless injected). Topics are labelled by their base name, so a partitioned
 * topic is one series however many partitions it has.
 */
import type { CounterMetric, HistogramMetric, Metrics } from '../../telemetry.ts';
import { parseTopicName } from '../topic/index.ts';

export type ReconnectKind = 'producer' | 'consumer';

export interface ClientMetrics {
  /** One message stored by the broker, `seconds` after send() was called. */
  sent(topic: string, seconds: number): void;
  /** One message handed to the application. */
  received(topic: string): void;
  /** `n` messages acknowledged by the application (a cumulative ack counts once). */
  acked(topic: string, n: number): void;
  reconnected(kind: ReconnectKind): void;
}

/** No metrics injected: skip even the label lookups on the per-message path. */
export const NOOP_CLIENT_METRICS: ClientMetrics = Object.freeze({
  sent: () => undefined,
  received: () => undefined,
  acked: () => undefined,
  reconnected: () => undefined,
});

const SEND_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function clientMetrics(m: Metrics): ClientMetrics {
  const sentTotal: CounterMetric = m.counter('pulsar_client_messages_sent_total', 'Messages stored by the broker (send receipts)', [
    'topic',
  ]);
  const sendLatency: HistogramMetric = m.histogram(
    'pulsar_client_send_latency_seconds',
    'Time from send() to the broker receipt',
    ['topic'],
    SEND_LATENCY_BUCKETS,
  );
  const receivedTotal: CounterMetric = m.counter('pulsar_client_messages_received_total', 'Messages handed to the application', ['topic']);
  const acksTotal: CounterMetric = m.counter('pulsar_client_acks_total', 'Messages acknowledged by the application', ['topic']);
  const reconnectsTotal: CounterMetric = m.counter(
    'pulsar_client_reconnects_total',
    'Producers and consumers re-attached after losing their broker',
    ['kind'],
  );
  // parseTopicName on every message would dominate the hot path: memoize the label per name.
  const labels = new Map<string, { topic: string }>();
  const label = (topic: string): { topic: string } => {
    let l = labels.get(topic);
    if (l === undefined) {
      l = { topic: parseTopicName(topic).base };
      labels.set(topic, l);
    }
    return l;
  };
  return {
    sent: (topic, seconds) => {
      const l = label(topic);
      sentTotal.inc(l);
      sendLatency.observe(l, seconds);
    },
    received: (topic) => receivedTotal.inc(label(topic)),
    acked: (topic, n) => acksTotal.inc(label(topic), n),
    reconnected: (kind) => reconnectsTotal.inc({ kind }),
  };
}
