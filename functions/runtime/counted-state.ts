/**
 * The handler's keyed state seen through a counter (#22): a traced record's process span reports
 * how many reads and writes its handler made. One view per traced record, so records that run
 * concurrently (different keys) count only their own; untraced records get the store itself.
 */
import type { KeyValueStore, PutOptions } from '../state/index.ts';

export interface StateCounts {
  stateReads?: number;
  stateWrites?: number;
}

export class CountedState<V> implements KeyValueStore<V> {
  readonly #inner: KeyValueStore<V>;
  readonly #counts: StateCounts;

  constructor(inner: KeyValueStore<V>, counts: StateCounts) {
    this.#inner = inner;
    this.#counts = counts;
    counts.stateReads = 0;
    counts.stateWrites = 0;
  }

  get(key: string): V | undefined {
    this.#counts.stateReads = (this.#counts.stateReads ?? 0) + 1;
    return this.#inner.get(key);
  }

  put(key: string, value: V, options?: PutOptions): void {
    this.#counts.stateWrites = (this.#counts.stateWrites ?? 0) + 1;
    this.#inner.put(key, value, options);
  }

  delete(key: string): boolean {
    this.#counts.stateWrites = (this.#counts.stateWrites ?? 0) + 1;
    return this.#inner.delete(key);
  }

  entries(): IterableIterator<[string, V]> {
    this.#counts.stateReads = (this.#counts.stateReads ?? 0) + 1;
    return this.#inner.entries();
  }

  size(): number {
    return this.#inner.size();
  }

  expiresAt(key: string): number | undefined {
    return this.#inner.expiresAt(key);
  }

  purgeExpired(): readonly string[] {
    return this.#inner.purgeExpired();
  }

  clear(): void {
    this.#counts.stateWrites = (this.#counts.stateWrites ?? 0) + 1;
    this.#inner.clear();
  }

  approxBytes(): number {
    return this.#inner.approxBytes();
  }
}
