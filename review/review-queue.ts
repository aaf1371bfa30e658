/**
 * The human review queue of a namespace, on its `review` topic: the worker writes items with
 * status `open`; analysts' outcomes (`approved` / `rejected`) are events on the same topic, keyed
 * like the item, so the topic alone tells the whole story. The namespace's worker writes each
 * outcome's audit record (#21: analysts may not write `audit`; functions/runtime/review-audit.ts).
 *
 * Two analysts deciding the same item at once both write; the first outcome on the topic wins
 * when the queue is read (later ones are kept as events but ignored).
 * #23: each outcome is also a label on `labels` (rejected = fraud, approved = honest) for training.
 * #22: an outcome continues the item's trace (the `traceparent` the worker put on the item): a
 * `review decide` span under it, whose context the outcome's review message (and so its audit
 * record) carries.
 */
import { userInfo } from 'node:os';
import { REVIEW_ERROR_CODES } from './errors.ts';
import { BeamlineError, systemClock, type Clock } from '../functions/index.ts';
import {
  isReviewOutcome,
  noopTracer,
  openLabelWriter,
  openTopicWriter,
  traceContextOf,
  traceProperties,
  type LabelWriter,
  type PulsarClient,
  type SpanContext,
  type TopicWriter,
  type Tracer,
  decodeReviewPayload as decodeReviewRecord,
} from '../functions/control-plane.ts';

export type ReviewStatus = 'open' | 'approved' | 'rejected';

/** As the built-in scoring handler writes it (REVIEW_ITEM_SCHEMA). */
export interface ReviewItem {
  readonly eventId: string;
  readonly key: string | null;
  readonly status: ReviewStatus;
  readonly score: number | null;
  readonly modelVersion: string | null;
  readonly policyVersion: string;
  readonly features: Readonly<Record<string, number>> | null;
  readonly traceId: string;
  readonly eventTime: number;
}

export interface ReviewOutcome extends ReviewItem {
  readonly type: 'review-outcome';
  readonly status: 'approved' | 'rejected';
  readonly decidedBy: string;
  readonly decidedAtMs: number;
  /** From the item reaching the review topic to the analyst's decision. */
  readonly timeToDecisionMs: number;
  readonly note: string | null;
}

export interface ReviewEntry {
  readonly item: ReviewItem;
  /** When the item reached the review topic (its publish time). */
  readonly openedAtMs: number;
  readonly outcome: ReviewOutcome | undefined;
}

export interface ReviewStats {
  readonly open: number;
  readonly decided: number;
  readonly timeToDecisionP50Ms: number | null;
  readonly timeToDecisionP90Ms: number | null;
}

type ReviewRecord = Partial<Omit<ReviewOutcome, 'status'>> & { status?: ReviewStatus };

/**
 * A review topic message: JSON text (a topic without a schema), or Avro in REVIEW_ITEM_SCHEMA.
 * One decoder for the queue and the worker's depth gauge (functions/runtime/review-depth.ts).
 */
export function decodeReviewPayload(payload: Buffer): ReviewRecord | undefined {
  return decodeReviewRecord(payload) as ReviewRecord | undefined;
}

export interface ReviewQueueOptions {
  client: PulsarClient;
  tenant: string;
  namespace: string;
  /** Recorded on outcomes. @default the OS user */
  analyst?: string;
  clock?: Clock;
  /** @default 10000 */
  readTimeoutMs?: number;
  /** #22: a span per decision, continuing the item's trace. @default noopTracer() (the context still passes on) */
  tracer?: Tracer;
}

export class ReviewQueue {
  readonly #entries = new Map<
    string,
    { item: ReviewItem; openedAtMs: number; outcome: ReviewOutcome | undefined; trace: SpanContext | undefined }
  >();
  readonly #o: ReviewQueueOptions;
  readonly #clock: Clock;
  #producers: { review: TopicWriter; labels: LabelWriter } | undefined;

  private constructor(o: ReviewQueueOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  /** Reads the review topic from its earliest retained event to its end. */
  static async open(o: ReviewQueueOptions): Promise<ReviewQueue> {
    const q = new ReviewQueue(o);
    const reader = await o.client.createReader({ topic: q.#topic('review'), startMessageId: 'earliest', receiverQueueSize: 1000 });
    try {
      while (await reader.hasMessageAvailable()) {
        const m = await reader.readNext(o.readTimeoutMs ?? 10_000);
        const v = decodeReviewPayload(m.payload);
        if (v !== undefined) q.#fold(v, m.publishTimeMs, traceContextOf(m.properties));
      }
    } finally {
      await reader.close();
    }
    return q;
  }

  entries(status: 'open' | 'decided' | 'all' = 'open'): ReviewEntry[] {
    const all = [...this.#entries.values()];
    const chosen = status === 'all' ? all : all.filter((e) => (status === 'open') === (e.outcome === undefined));
    return chosen.sort((a, b) => a.openedAtMs - b.openedAtMs);
  }

  /** By event id or trace id. */
  get(id: string): ReviewEntry | undefined {
    return this.#entries.get(id) ?? [...this.#entries.values()].find((e) => e.item.traceId === id);
  }

  stats(): ReviewStats {
    const times = [...this.#entries.values()]
      .flatMap((e) => (e.outcome === undefined ? [] : [e.outcome.timeToDecisionMs]))
      .sort((a, b) => a - b);
    const q = (p: number): number | null =>
      times.length === 0 ? null : (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? null);
    return { open: this.entries('open').length, decided: times.length, timeToDecisionP50Ms: q(0.5), timeToDecisionP90Ms: q(0.9) };
  }

  /** Approves or rejects an open item: an outcome event on `review` (and a label). */
  async decide(id: string, status: 'approved' | 'rejected', options: { note?: string } = {}): Promise<ReviewOutcome> {
    const entry = this.get(id);
    if (entry === undefined) {
      throw new BeamlineError(REVIEW_ERROR_CODES.unknownItem, `no review item with event or trace id ${id} (beamline review list)`, {
        details: { id },
      });
    }
    if (entry.outcome !== undefined) {
      throw new BeamlineError(
        REVIEW_ERROR_CODES.alreadyDecided,
        `review item ${entry.item.eventId} was already ${entry.outcome.status} by ${entry.outcome.decidedBy}`,
        {
          details: { eventId: entry.item.eventId, status: entry.outcome.status, decidedBy: entry.outcome.decidedBy },
        },
      );
    }
    const now = this.#clock.now();
    const outcome: ReviewOutcome = {
      ...entry.item,
      type: 'review-outcome',
      status,
      decidedBy: this.#o.analyst ?? safeUser(),
      decidedAtMs: now,
      timeToDecisionMs: Math.max(0, now - entry.openedAtMs),
      note: options.note ?? null,
    };
    const p = await this.#producersOnce();
    const key = entry.item.key ?? entry.item.eventId;
    const trace = this.#entries.get(entry.item.eventId)?.trace;
    const span = (this.#o.tracer ?? noopTracer()).startSpan('review decide', {
      parent: trace,
      attributes: { 'beamline.review.status': status, 'beamline.review.time_to_decision_ms': outcome.timeToDecisionMs },
    });
    const properties = traceProperties(span.context);
    try {
      await p.review.producer.send({ key, payload: p.review.encode(outcome), eventTimeMs: now, properties });
    } catch (err) {
      span.setError('review outcome not written');
      throw err;
    } finally {
      span.end();
    }
    // #23: the outcome is ground truth for training: a rejected payment is fraud, an approved one honest.
    await p.labels.write(
      {
        eventId: outcome.eventId,
        key: entry.item.key ?? null,
        fraud: status === 'rejected',
        source: 'review',
        atMs: now,
        by: outcome.decidedBy,
      },
      // The label continues the decision's trace too (#22).
      { properties },
    );
    this.#fold(outcome, now, trace);
    return outcome;
  }

  async close(): Promise<void> {
    const p = this.#producers;
    this.#producers = undefined;
    if (p !== undefined) await Promise.allSettled([p.review.producer.close(), p.labels.close()]);
  }

  #fold(v: ReviewRecord, publishTimeMs: number, trace: SpanContext | undefined): void {
    if (typeof v.eventId !== 'string') return;
    const existing = this.#entries.get(v.eventId);
    if (v.status === 'open') {
      if (existing === undefined)
        this.#entries.set(v.eventId, { item: v as unknown as ReviewItem, openedAtMs: publishTimeMs, outcome: undefined, trace });
      return;
    }
    if (isReviewOutcome(v) && existing !== undefined && existing.outcome === undefined) {
      existing.outcome = v as unknown as ReviewOutcome;
    }
  }

  async #producersOnce(): Promise<{ review: TopicWriter; labels: LabelWriter }> {
    if (this.#producers === undefined) {
      const review = await openTopicWriter(this.#o.client, this.#topic('review'));
      try {
        this.#producers = { review, labels: await openLabelWriter(this.#o.client, this.#o.tenant, this.#o.namespace) };
      } catch (err) {
        await review.producer.close().catch(() => undefined);
        throw err;
      }
    }
    return this.#producers;
  }

  #topic(name: string): string {
    return `persistent://${this.#o.tenant}/${this.#o.namespace}/${name}`;
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
