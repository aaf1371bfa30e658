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

/** Message property carrying a state change's absolute expiry (ms since the epoch). */
export const EXPIRES_AT_PROPERTY = 'beamline.expires-at-ms';

/** Which changelog a `state` topic key belongs to, and the store key inside it; undefined for neither. */
export function parseChangelogKey(full: string): { store: 'state' | 'windows'; key: string } | undefined {
  if (full.startsWith(STATE_KEY_PREFIX)) return { store: 'state', key: full.slice(STATE_KEY_PREFIX.length) };
  if (full.startsWith(WINDOW_KEY_PREFIX)) return { store: 'windows', key: full.slice(WINDOW_KEY_PREFIX.length) };
  return undefined;
}

/** Splits the `state` topic's compacted entries back into the two changelogs. */
export function splitChangelog(entries: Iterable<ChangeRecord>): ChangelogSnapshot {
  const snapshot: ChangelogSnapshot = { state: [], windows: [] };
  for (const e of entries) {
    const at = parseChangelogKey(e.key);
    if (at !== undefined) snapshot[at.store].push({ ...e, key: at.key });
  }
  return snapshot;
}
