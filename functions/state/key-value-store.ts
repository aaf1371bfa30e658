/**
 * Keyed state behind one small synchronous interface. Stores are decorators over one another
 * (`MeteredStore(ChangelogStore(InMemoryStore))`): the innermost holds the data, outer layers
 * record changes or count operations and delegate the rest.
 *
 * Synchronous on purpose: state is held in memory and made durable by flushing the changelog
 * (the runtime writes it inside the same Pulsar transaction as the outputs), so no store
 * operation ever waits on I/O.
 */

export interface PutOptions {
  /**
   * Time to live from now; the key reads as absent once it passes. 0 = never expires.
   * @default the store's `defaultTtlMs`
   */
  ttlMs?: number;
}

export interface KeyValueStore<V> {
  /** The value, or undefined when absent or expired. */
  get(key: string): V | undefined;
  put(key: string, value: V, options?: PutOptions): void;
  /** True when a live value was removed. */
  delete(key: string): boolean;
  /** Live (unexpired) entries in insertion order. Do not mutate the store while iterating. */
  entries(): IterableIterator<[string, V]>;
  /**
   * Entries held, including expired ones not yet purged (exact after `purgeExpired()`); kept
   * O(1) because it feeds a gauge.
   */
  size(): number;
  /** Expiry time of a live key in ms since the epoch, or undefined when it never expires. */
  expiresAt(key: string): number | undefined;
  /**
   * Removes every expired entry and returns their keys, so a changelog layer can write
   * tombstones for them (expiry must reach the compacted topic or the keys live forever there).
   */
  purgeExpired(): readonly string[];
  /** Removes everything (used by restore). Not recorded as changes. */
  clear(): void;
  /** Rough heap bytes held by keys and values, for metrics and limits; not exact. */
  approxBytes(): number;
}
