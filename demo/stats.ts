/**
 * What the demo measures while it runs: rates, event-to-decision latency, and the quality of
 * blocks against the generator's ground truth.
 *
 * Latency is what a user sees: the time a read-committed consumer of the predictions topic
 * receives the decision minus the event time (one machine, one clock). The decision's publish
 * time (stamped by the worker's producer when it sends, before its transaction commits) is
 * kept beside it: it is earlier than anyone downstream can see the decision, so it understates.
 */
import type { FraudPattern } from './generator.ts';

export interface DecisionSeen {
  eventId: string;
  decision: string;
  /** Event time to the moment this process received the committed decision, ms (what a user sees). */
  receivedLatencyMs: number;
  /** Event time to the decision's publish time (the worker's send, before its commit), ms. */
  publishLatencyMs: number;
  modelVersion: string | null;
  /** The prediction's message id: a second decision of an event under another id is a duplicate output. */
  messageId?: string;
}

export interface DemoSummary {
  events: number;
  decided: number;
  durationSeconds: number;
  inputRatePerSecond: number;
  decisionsPerSecond: number;
  /** What `latencyMs` measures: event time to a read-committed consumer receiving the decision. */
  latencyBasis: 'received';
  /** Event time to the decision received by a read-committed consumer, ms. */
  latencyMs: LatencyFigures;
  /** Event time to the decision's publish time (before the commit; understates), ms. */
  publishLatencyMs: LatencyFigures;
  decisions: Record<string, number>;
  frauds: number;
  fraudsBlocked: number;
  fraudsSentToReview: number;
  /** Of the events blocked, the share that were fraud. */
  blockPrecision: number;
  /** Of the fraud events, the share blocked. */
  blockRecall: number;
  /** Blocked or sent to review. */
  flaggedRecall: number;
  /** Block recall per fraud pattern. */
  recallByPattern: Record<FraudPattern, number>;
  /** #23: blocked-or-review recall per fraud pattern. */
  flaggedRecallByPattern: Record<FraudPattern, number>;
  /** #23: of the honest payments, the share blocked. */
  honestBlockedRate: number;
  deadLettered: number;
  modelVersions: string[];
  /** Events decided twice: a second committed prediction (another message id), never a redelivery. */
  duplicateOutputs: number;
  /** #17 (`--replicas N`): each worker process and the partitions it owned at the end. */
  replicas?: Array<{ name: string; owned: number[] }>;
  /** #17: partition gains and losses the replicas reported. */
  partitionMoves?: number;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export class DemoStats {
  readonly #labels = new Map<string, FraudPattern | null>();
  readonly #decided = new Map<string, DecisionSeen>();
  #duplicateOutputs = 0;
  readonly #latencies: number[] = [];
  readonly #publishLatencies: number[] = [];
  deadLettered = 0;
  sent = 0;
  /** #22: for the live view. */
  reviews = 0;
  lastModelVersion: string | null = null;
  #windowSent = 0;
  #windowDecided = 0;
  readonly startMs = Date.now();

  recordSent(eventId: string, fraud: FraudPattern | null): void {
    this.#labels.set(eventId, fraud);
    this.sent++;
    this.#windowSent++;
  }

  /** Records a decision; false when not counted (a repeat, or an event this run did not send). */
  recordDecision(d: DecisionSeen): boolean {
    // At-least-once redelivery may repeat a decision: count each event once. Decisions for
    // events this run did not send (a backlog an earlier run left, another run on the same
    // cluster) are not this run's to measure.
    const before = this.#decided.get(d.eventId);
    if (before !== undefined && before.messageId !== undefined && d.messageId !== undefined && before.messageId !== d.messageId)
      this.#duplicateOutputs++;
    if (before !== undefined || !this.#labels.has(d.eventId)) return false;
    this.#decided.set(d.eventId, d);
    this.#latencies.push(d.receivedLatencyMs);
    this.#publishLatencies.push(d.publishLatencyMs);
    this.#windowDecided++;
    if (d.decision === 'review') this.reviews++;
    if (d.modelVersion !== null) this.lastModelVersion = d.modelVersion;
    return true;
  }

  get decided(): number {
    return this.#decided.size;
  }

  /** Rates since the last call (for the live view). */
  takeWindow(): { sent: number; decided: number } {
    const w = { sent: this.#windowSent, decided: this.#windowDecided };
    this.#windowSent = 0;
    this.#windowDecided = 0;
    return w;
  }

  /** Received-latency percentiles of the last `n` decisions, and the share within `boundMs`. */
  recentLatency(n = 2000, boundMs = Number.POSITIVE_INFINITY): { p50: number; p99: number; withinBound: number } {
    const xs = this.#latencies.slice(-n).sort((a, b) => a - b);
    // #22: the latency SLI: the share of recent decisions within the namespace's bound.
    const within = xs.length === 0 ? 1 : xs.filter((x) => x <= boundMs).length / xs.length;
    return { p50: pct(xs, 0.5), p99: pct(xs, 0.99), withinBound: within };
  }

  summary(endMs = Date.now()): DemoSummary {
    const seconds = Math.max(0.001, (endMs - this.startMs) / 1000);
    const decisions: Record<string, number> = {};
    let blocked = 0;
    let blockedFraud = 0;
    let frauds = 0;
    let fraudsBlocked = 0;
    let fraudsReview = 0;
    const byPattern: Record<FraudPattern, [number, number, number]> = { velocity: [0, 0, 0], travel: [0, 0, 0], spike: [0, 0, 0] };
    const versions = new Set<string>();
    for (const [eventId, fraud] of this.#labels) {
      const d = this.#decided.get(eventId);
      if (d !== undefined) {
        decisions[d.decision] = (decisions[d.decision] ?? 0) + 1;
        if (d.modelVersion !== null) versions.add(d.modelVersion);
      }
      if (d?.decision === 'block') {
        blocked++;
        if (fraud !== null) blockedFraud++;
      }
      if (fraud !== null) {
        frauds++;
        const p = byPattern[fraud];
        p[0]++;
        if (d?.decision === 'block') {
          fraudsBlocked++;
          p[1]++;
        }
        if (d?.decision === 'review') fraudsReview++;
        if (d?.decision === 'block' || d?.decision === 'review') p[2]++;
      }
    }
    const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);
    return {
      events: this.sent,
      decided: this.#decided.size,
      durationSeconds: round(seconds),
      inputRatePerSecond: round(this.sent / seconds),
      decisionsPerSecond: round(this.#decided.size / seconds),
      latencyBasis: 'received',
      latencyMs: figures(this.#latencies),
      publishLatencyMs: figures(this.#publishLatencies),
      decisions,
      frauds,
      fraudsBlocked,
      fraudsSentToReview: fraudsReview,
      blockPrecision: round(ratio(blockedFraud, blocked), 4),
      blockRecall: round(ratio(fraudsBlocked, frauds), 4),
      flaggedRecall: round(ratio(fraudsBlocked + fraudsReview, frauds), 4),
      recallByPattern: {
        velocity: round(ratio(byPattern.velocity[1], byPattern.velocity[0]), 4),
        travel: round(ratio(byPattern.travel[1], byPattern.travel[0]), 4),
        spike: round(ratio(byPattern.spike[1], byPattern.spike[0]), 4),
      },
      flaggedRecallByPattern: {
        velocity: round(ratio(byPattern.velocity[2], byPattern.velocity[0]), 4),
        travel: round(ratio(byPattern.travel[2], byPattern.travel[0]), 4),
        spike: round(ratio(byPattern.spike[2], byPattern.spike[0]), 4),
      },
      honestBlockedRate: round(ratio(blocked - blockedFraud, Math.max(1, this.sent - frauds)), 5),
      deadLettered: this.deadLettered,
      modelVersions: [...versions],
      duplicateOutputs: this.#duplicateOutputs,
    };
  }
}

function figures(xs: readonly number[]): LatencyFigures {
  const lat = [...xs].sort((a, b) => a - b);
  return { p50: round(pct(lat, 0.5)), p99: round(pct(lat, 0.99)), p999: round(pct(lat, 0.999)), max: round(lat.at(-1) ?? 0) };
}

function pct(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
