/**
 * Review queue depth (#22): how many review items of a namespace wait for an analyst. The review
 * topic is an event log (the worker writes `open` items, `beamline review` writes outcomes on the
 * same topic, keyed by the item's event id), so the depth is a fold over it: items opened and not
 * yet decided. Each worker tails its namespace's review topic and exports the fold as
 * `beamline_review_queue_depth_messages`; replicas export the same figure, so dashboards take the
 * max per namespace, never the sum.
 */
import type { Clock } from '../clock.ts';
import type { Logger, Metrics } from '../telemetry.ts';
import { avroSchema, type ReaderApi, type ReaderOptions } from '../pulsar/index.ts';
import { REVIEW_ITEM_SCHEMA } from './output-schemas.ts';

/** The fields of a review topic message the queue folds (an item or an outcome). */
export interface ReviewRecord {
  readonly eventId?: unknown;
  readonly status?: unknown;
  readonly type?: unknown;
  readonly [field: string]: unknown;
}

const reviewItemCodec = avroSchema<ReviewRecord>(REVIEW_ITEM_SCHEMA);
/**
 * The schema before the outcome fields (#21): records written in it stay readable (Avro binary
 * carries no schema; decoding them with the newer one runs past their end and fails).
 */
const OUTCOME_FIELDS = new Set(['type', 'decidedBy', 'decidedAtMs', 'timeToDecisionMs', 'note']);
const legacyReviewItemCodec = avroSchema<ReviewRecord>({
  ...REVIEW_ITEM_SCHEMA,
  fields: REVIEW_ITEM_SCHEMA.fields.filter((f) => !OUTCOME_FIELDS.has(f.name)),
});

/**
 * A review topic message: JSON text (a topic without a schema), or Avro in REVIEW_ITEM_SCHEMA
 * (the tenant spec's schema; the worker encodes with it). Undefined for anything else.
 */
export function decodeReviewPayload(payload: Buffer): ReviewRecord | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' ? (v as ReviewRecord) : undefined;
  } catch {
    try {
      return reviewItemCodec.decode(payload);
    } catch {
      // written in the schema before the outcome fields
    }
    try {
      const v = legacyReviewItemCodec.decode(payload);
      // That schema had no type: only `beamline review` wrote approved or rejected records.
      return v.status === 'approved' || v.status === 'rejected' ? { ...v, type: 'review-outcome' } : v;
    } catch {
      return undefined;
    }
  }
}

/** An analyst's outcome: approved or rejected, typed `review-outcome`. */
export function isReviewOutcome(v: ReviewRecord): boolean {
  return (v.status === 'approved' || v.status === 'rejected') && v.type === 'review-outcome';
}

/** Decided ids remembered to ignore a late duplicate of an item already decided (bounded, oldest forgotten first). */
const DECIDED_REMEMBERED = 100_000;

/** Open review items: opened and not yet decided. No I/O. */
export class ReviewDepth {
  readonly #open = new Set<string>();
  readonly #decided = new Set<string>();

  get open(): number {
    return this.#open.size;
  }

  /** Folds one review topic record; returns whether the depth changed. */
  observe(v: ReviewRecord): boolean {
    if (typeof v.eventId !== 'string') return false;
    const id = v.eventId;
    if (v.status === 'open') {
      if (this.#open.has(id) || this.#decided.has(id)) return false;
      this.#open.add(id);
      return true;
    }
    if (isReviewOutcome(v)) {
      this.#decided.add(id);
      if (this.#decided.size > DECIDED_REMEMBERED) this.#decided.delete(this.#decided.values().next().value as string);
      return this.#open.delete(id);
    }
    return false;
  }
}

export interface ReviewDepthTailOptions {
  readonly client: { createReader(options: ReaderOptions): Promise<ReaderApi> };
  /** The namespace's review topic (full name). */
  readonly topic: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: Clock;
  /** Wait before opening the reader again after it failed (e.g. no consume permission yet). @default 30000 */
  readonly retryMs?: number;
}

export type ReviewDepthTailState = 'running' | 'closed';

export interface ReviewDepthTail {
  readonly state: ReviewDepthTailState;
  /** Items open now, as far as the tail has read. */
  readonly open: number;
  /** Stops the tail. Idempotent. */
  close(): Promise<void>;
}

/**
 * Tails the review topic from its earliest retained message and keeps the depth gauge current.
 * Never fails the worker: a reader that cannot open (a tenant applied before workers could read
 * `review`) is logged once and tried again every `retryMs`.
 */
export function tailReviewDepth(o: ReviewDepthTailOptions): ReviewDepthTail {
  const depth = new ReviewDepth();
  const gauge = o.metrics.gauge('beamline_review_queue_depth_messages', 'Review items opened and not yet decided by an analyst', [
    'tenant',
    'namespace',
  ]);
  const labels = { tenant: o.tenant, namespace: o.namespace };
  gauge.set(labels, 0);
  const stop = new AbortController();
  let state: ReviewDepthTailState = 'running';
  let reader: ReaderApi | undefined;
  let warned = false;
  const run = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        reader = await o.client.createReader({ topic: o.topic, startMessageId: 'earliest', receiverQueueSize: 100 });
        // Closed while the reader was opening: it is closed below, never read.
        if (!stop.signal.aborted) {
          if (warned) o.log.info({ topic: o.topic }, 'review queue depth: reading the review topic again');
          warned = false;
          for await (const m of reader) {
            const v = decodeReviewPayload(m.payload);
            if (v !== undefined && depth.observe(v)) gauge.set(labels, depth.open);
          }
        }
      } catch (err) {
        if (!warned && !stop.signal.aborted)
          o.log.warn({ err, topic: o.topic }, 'review queue depth: cannot read the review topic; retrying');
        warned = true;
      }
      await reader?.close().catch(() => undefined);
      reader = undefined;
      await o.clock.sleep(o.retryMs ?? 30_000, stop.signal).catch(() => undefined);
    }
  };
  const done = run();
  return {
    get state() {
      return state;
    },
    get open() {
      return depth.open;
    },
    async close() {
      if (state === 'closed') return done;
      state = 'closed';
      stop.abort();
      await reader?.close().catch(() => undefined);
      return done;
    },
  };
}
