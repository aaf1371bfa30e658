/**
 * Undo for keyed state between commits. A handler error or a failed commit leaves in-memory
 * state ahead of what is committed; re-reading the whole `state` topic to undo one batch costs
 * O(state) (seconds for a million keys, per bad record). This layer remembers the committed
 * value of each key the batch touches, so `rollback()` costs O(keys touched).
 *
 * A key is journaled on its first access since the last checkpoint, reads included: handlers and
 * the window operator mutate the objects `get()` returns before putting them back. Values are
 * kept as JSON text, the form the changelog commits them in. Undo writes go through the store
 * like any change, so the next flush also repairs whatever a failed at-least-once commit left
 * half-written on the topic.
 */
import type { KeyValueStore, PutOptions } from '../state/index.ts';
import { parseJson, stringifyJsonExact } from '../json.ts';

/**
 * Keys journaled before the journal gives up (and a rollback falls back to a full restore), so
 * a caller that never checkpoints, or one huge batch, cannot grow it without bound.
 */
export const MAX_JOURNALED_KEYS = 100_000;

interface Saved {
  /** JSON text of the committed value; undefined when the key was absent. */
  readonly json: string | undefined;
  readonly expiresAtMs: number | undefined;
  /** Put or deleted since the checkpoint (a failed commit may have written it to the topic). */
  written: boolean;
}

export class JournaledStore<V> implements KeyValueStore<V> {
  readonly #inner: KeyValueStore<V>;
  readonly #now: () => number;
  #saved = new Map<string, Saved>();
  /** A value could not be journaled, or too many were: only a full restore can undo this batch. */
  #broken = false;

  constructor(inner: KeyValueStore<V>, now: () => number) {
    this.#inner = inner;
    this.#now = now;
  }

  /** Keys journaled since the last checkpoint. */
  get journaled(): number {
    return this.#saved.size;
  }

  /** The current state is committed: forget the journal. */
  checkpoint(): void {
    this.#saved = new Map();
    this.#broken = false;
  }

  /**
   * Puts every journaled key back to its value at the last checkpoint. False when that is not
   * possible (a value that JSON cannot hold): restore from the changelog instead.
   */
  rollback(): boolean {
    if (this.#broken) return false;
    const saved = this.#saved;
    this.#saved = new Map();
    // Deletes first: removing keys the batch added cannot hit a key-count limit.
    for (const [key, s] of saved) {
      if (s.json !== undefined) continue;
      if (s.written || this.#inner.get(key) !== undefined) this.#inner.delete(key);
    }
    const now = this.#now();
    for (const [key, s] of saved) {
      if (s.json === undefined) continue;
      // Only read: put back only if changed in place, so a rollback writes no needless records.
      if (!s.written && this.#inner.expiresAt(key) === s.expiresAtMs && jsonOf(this.#inner.get(key)) === s.json) continue;
      if (s.expiresAtMs !== undefined && s.expiresAtMs <= now) {
        this.#inner.delete(key);
        continue;
      }
      const ttlMs = s.expiresAtMs === undefined ? 0 : s.expiresAtMs - now;
      this.#inner.put(key, parseJson(s.json) as V, { ttlMs });
    }
    return true;
  }

  get(key: string): V | undefined {
    this.#touch(key);
    return this.#inner.get(key);
  }

  put(key: string, value: V, options?: PutOptions): void {
    this.#touch(key, true);
    this.#inner.put(key, value, options);
  }

  delete(key: string): boolean {
    this.#touch(key, true);
    return this.#inner.delete(key);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const entry of this.#inner.entries()) {
      this.#touch(entry[0]);
      yield entry;
    }
  }

  size(): number {
    return this.#inner.size();
  }

  expiresAt(key: string): number | undefined {
    return this.#inner.expiresAt(key);
  }

  /** Expired keys are gone either way: nothing to journal, their tombstones still go out. */
  purgeExpired(): readonly string[] {
    return this.#inner.purgeExpired();
  }

  clear(): void {
    this.#inner.clear();
    this.checkpoint();
  }

  approxBytes(): number {
    return this.#inner.approxBytes();
  }

  #touch(key: string, write = false): void {
    if (this.#broken) return;
    const known = this.#saved.get(key);
    if (known !== undefined) {
      if (write) known.written = true;
      return;
    }
    if (this.#saved.size >= MAX_JOURNALED_KEYS) return this.#giveUp();
    const value = this.#inner.get(key);
    if (value === undefined) {
      this.#saved.set(key, { json: undefined, expiresAtMs: undefined, written: write });
      return;
    }
    const json = jsonOf(value);
    if (json === undefined) return this.#giveUp();
    this.#saved.set(key, { json, expiresAtMs: this.#inner.expiresAt(key), written: write });
  }

  #giveUp(): void {
    this.#broken = true;
    this.#saved = new Map();
  }
}

function jsonOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return stringifyJsonExact(value);
  } catch {
    return undefined;
  }
}
