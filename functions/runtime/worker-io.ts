/**
 * The worker's only window on the outside world. The loop in namespace-worker.ts is written
 * against this port; `PulsarWorkerIo` implements it with the Pulsar client, and tests can give
 * an in-memory one.
 */
import type { ChangeRecord } from '../state/index.ts';
import { RUNTIME_ERROR_CODES } from './errors.ts';
import type { InputMessage, OutputMessage } from './records.ts';

export interface ChangelogSnapshot {
  /** The handler's keyed state. */
  readonly state: ChangeRecord[];
  /** The window operator's state. */
  readonly windows: ChangeRecord[];
  /**
   * Commit markers: worker instance -> the marker of its last committed batch (UTF-8). A worker
   * reads its own back to learn whether a batch whose commit outcome was unknown committed.
   */
  readonly markers: ReadonlyMap<string, string>;
}

export interface WorkerIo {
  /** Everything committed to the `state` topic, for a restore. */
  readChangelog(): Promise<ChangelogSnapshot>;
  /**
   * Up to `max` messages: waits up to `firstWaitMs` for the first; then takes what is buffered,
   * and only when nothing was buffered at the start waits up to `fillWaitMs` more while messages
   * keep coming (see batch-receive.ts). Empty when nothing came.
   */
  receive(max: number, firstWaitMs: number, fillWaitMs: number): Promise<InputMessage[]>;
  /**
   * Publishes `outputs` and acknowledges `inputs`: in one transaction (effectively-once), or
   * outputs first, then acks (at-least-once). Resolves once committed. Rejects when it did not
   * commit (nothing of it takes effect; at-least-once: outputs may have gone out) or, with
   * BL_WORKER_COMMIT_OUTCOME_UNKNOWN, when it may or may not have committed (see
   * commitOutcomeOf). An abort is confirmed before it rejects, so the inputs can come back.
   */
  commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void>;
  /**
   * Hands exactly these inputs back for redelivery at once (after a commit that did not happen).
   * Calling it again for inputs not yet back asks again.
   */
  release(inputs: readonly InputMessage[]): void;
  /** Acknowledges, outside any transaction, inputs that a committed batch already acknowledged. */
  ackCommitted(inputs: readonly InputMessage[]): void;
  /** Messages waiting in the subscription, when known. */
  backlog(): Promise<number | undefined>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** State keys on the shared `state` topic: handler keys and window keys never collide. */
export const STATE_KEY_PREFIX = 'h/';
export const WINDOW_KEY_PREFIX = 'w/';
/** Commit markers on the `state` topic (see ChangelogSnapshot.markers). */
export const MARKER_KEY_PREFIX = 't/';

/** A commit that may or may not have happened (the worker resolves it from its marker). */
export const COMMIT_OUTCOME_UNKNOWN = RUNTIME_ERROR_CODES.commitOutcomeUnknown;

/**
 * What a rejected commit means: `aborted` (nothing of the batch took effect) or `unknown` (it
 * may have committed: only the `state` topic can tell).
 */
export function commitOutcomeOf(err: unknown): 'aborted' | 'unknown' {
  return (err as { code?: unknown } | undefined)?.code === COMMIT_OUTCOME_UNKNOWN ? 'unknown' : 'aborted';
}

/** Message property carrying a state change's absolute expiry (ms since the epoch). */
export const EXPIRES_AT_PROPERTY = 'beamline.expires-at-ms';

/** Which changelog a `state` topic key belongs to, and the store key inside it; undefined for neither. */
export function parseChangelogKey(full: string): { store: 'state' | 'windows' | 'markers'; key: string } | undefined {
  if (full.startsWith(STATE_KEY_PREFIX)) return { store: 'state', key: full.slice(STATE_KEY_PREFIX.length) };
  if (full.startsWith(WINDOW_KEY_PREFIX)) return { store: 'windows', key: full.slice(WINDOW_KEY_PREFIX.length) };
  if (full.startsWith(MARKER_KEY_PREFIX)) return { store: 'markers', key: full.slice(MARKER_KEY_PREFIX.length) };
  return undefined;
}

/** Splits the `state` topic's compacted entries back into the two changelogs. */
export function splitChangelog(entries: Iterable<ChangeRecord>): ChangelogSnapshot {
  const state: ChangeRecord[] = [];
  const windows: ChangeRecord[] = [];
  const markers = new Map<string, string>();
  for (const e of entries) {
    const at = parseChangelogKey(e.key);
    if (at === undefined) continue;
    if (at.store === 'markers') markers.set(at.key, Buffer.from(e.value).toString('utf8'));
    else (at.store === 'state' ? state : windows).push({ ...e, key: at.key });
  }
  return { state, windows, markers };
}
