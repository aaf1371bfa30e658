/**
 * The handler contract: what a tenant's code implements and what the runtime hands it.
 * A handler is one function; the runtime owns ack/nack, retries, state flushing and metrics.
 *
 * TODO(#6): ctx grows keyed state, the scorer (#7) and typed emitters as the worker lands.
 */
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

export interface HandlerContext {
  readonly tenant: string;
  readonly namespace: string;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export type ProcessFn<T = unknown> = (record: EventRecord<T>, ctx: HandlerContext) => Promise<void> | void;
export type ProcessWindowFn<T = unknown> = (
  records: readonly EventRecord<T>[],
  ctx: HandlerContext,
) => Promise<void> | void;
