/**
 * The worker's only window on the outside world. The loop in namespace-worker.ts is written
 * against this port; `PulsarWorkerIo` implements it with the Pulsar client, and tests can give
 * an in-memory one.
 */
import type { ChangeRecord } from '../state/index.ts';
import type { InputMessage, OutputMessage } from './records.ts';

export interface ChangelogSnapshot {
  /** The handler's keyed state. */
  readonly state: ChangeRecord[];
  /** The window operator's state. */
  readonly windows: ChangeRecord[];
}

export interface WorkerIo {
  /** Everything committed to the `state` topic, for a restore. */
  readChangelog(): Promise<ChangelogSnapshot>;
  /**
   * Up to `max` messages: waits up to `firstWaitMs` for the first, then up to `fillWaitMs` more
   * to fill the batch. Empty when nothing came.
   */
  receive(max: number, firstWaitMs: number, fillWaitMs: number): Promise<InputMessage[]>;
  /**
   * Publishes `outputs` and acknowledges `inputs`: in one transaction (effectively-once), or
   * outputs first, then acks (at-least-once). Rejects when nothing can be assumed committed.
   */
  commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void>;
  /** Hands inputs back for redelivery (after a failed commit). */
  release(inputs: readonly InputMessage[]): void;
  /** Messages waiting in the subscription, when known. */
  backlog(): Promise<number | undefined>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** State keys on the shared `state` topic: handler keys and window keys never collide. */
export const STATE_KEY_PREFIX = 'h/';
export const WINDOW_KEY_PREFIX = 'w/';

/** Splits the `state` topic's compacted entries back into the two changelogs. */
export function splitChangelog(entries: Iterable<ChangeRecord>): ChangelogSnapshot {
  const state: ChangeRecord[] = [];
  const windows: ChangeRecord[] = [];
  for (const e of entries) {
    if (e.key.startsWith(STATE_KEY_PREFIX)) state.push({ ...e, key: e.key.slice(STATE_KEY_PREFIX.length) });
    else if (e.key.startsWith(WINDOW_KEY_PREFIX)) windows.push({ ...e, key: e.key.slice(WINDOW_KEY_PREFIX.length) });
  }
  return { state, windows };
}
