/**
 * The handler contract: what a tenant's code implements and what the runtime hands it.
 * A handler is one function; the runtime owns ack/nack, retries, state flushing and metrics.
 *
 */
import type { KeyValueStore } from './state/index.ts';
import type { Logger, Metrics } from './telemetry.ts';

export interface RecordMeta {
  /** The message key (Key_Shared routes on it; state is keyed by it). */
  readonly key: string | undefined;
  /** Event time in ms since the epoch (from the message's event_time, else publish time). */
  readonly eventTimeMs: number;
  readonly publishTimeMs: number;
  readonly properties: Readonly<Record<string, string>>;
  /** Opaque, printable message id for logs and dead-letter records. */
  readonly messageId: string;
  readonly topic: string;
}

export interface EventRecord<T = unknown> extends RecordMeta {
  readonly value: T;
}

/** The namespace topics a handler can write to. `audit`: per-decision audit records (#9). */
export type EmitTarget = 'predictions' | 'actions' | 'review' | 'audit';

export interface EmitOptions {
  /** Which output topic. @default 'predictions' */
  to?: EmitTarget;
  /** Output message key. @default the input record's key (a window's key for window handlers) */
  key?: string;
  /** @default the input record's event time (a window's end - 1 for window handlers) */
  eventTimeMs?: number;
  properties?: Readonly<Record<string, string>>;
}

/** Queues one output; the runtime publishes it in the same transaction as the input's ack. */
export type EmitFn = (value: unknown, options?: EmitOptions) => void;

/** What scoring one feature row gave: a model score, or the namespace's fallback decision. */
export type ModelScore =
  | {
      readonly kind: 'scored';
      /** The model's first output (a probability for binary models). */
      readonly score: number;
      readonly outputs: Float32Array;
      readonly modelVersion: string;
      /** #9: which rollout slot decided ('live' or 'canary'), when a registry router scored. */
      readonly route?: 'live' | 'canary';
      /** #9: time spent scoring this row with the deciding model. */
      readonly latencyMs?: number;
      /** #22: rows in the micro-batch that scored this row, when a micro-batcher did. */
      readonly batchSize?: number;
      /** #9: the shadow model's score of the same row: recorded, never acted on. */
      readonly shadow?: { readonly modelVersion: string; readonly score: number; readonly latencyMs: number };
    }
  | {
      readonly kind: 'fallback';
      /** The breaker's fallback decision for this namespace (model down, slow or erroring). */
      readonly decision: 'approve' | 'review' | 'block';
      readonly reason: 'open' | 'timeout' | 'error' | 'no-model';
    };

export interface ScoreOptions {
  /** High-priority rows go first in the micro-batcher. @default 'normal' */
  priority?: 'high' | 'normal';
  /** #9: the record's key; a canary rollout decides a deterministic share of keys. */
  key?: string;
}

/** Scores one feature row with the namespace's live model (micro-batched with other records). */
export type ScoreFn = (features: ArrayLike<number>, options?: ScoreOptions) => Promise<ModelScore>;

export interface HandlerContext {
  readonly tenant: string;
  readonly namespace: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly emit: EmitFn;
  /** The namespace's model; resolves to a fallback when no model is loaded. */
  readonly score: ScoreFn;
  /**
   * Keyed state, durable through the `state` changelog topic. Key it by the record's key: with
   * Key_Shared, only that key is guaranteed to be routed to this consumer.
   */
  readonly state: KeyValueStore<unknown>;
  /**
   * #22: the W3C trace id of the record being handled (its `traceparent`'s, or the one the worker
   * gave it): put it on outputs to join them to the record's trace. Undefined outside the worker
   * (the test driver) and for window results, which belong to no single record.
   */
  readonly traceId?: string | undefined;
}

/** The window a `ProcessWindowFn` call covers: [startMs, endMs) of one key. */
export interface WindowInfo {
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  /** 'late': an update of a window already handed over, caused by a late event. */
  readonly trigger: 'on-time' | 'late';
}

export type ProcessFn<T = unknown> = (record: EventRecord<T>, ctx: HandlerContext) => Promise<void> | void;
export type ProcessWindowFn<T = unknown> = (
  records: readonly EventRecord<T>[],
  ctx: HandlerContext,
  window: WindowInfo,
) => Promise<void> | void;
