import { systemClock, type Clock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import { STATE_ERROR_CODES, StateLimitError } from './errors.ts';
import type { KeyValueStore, PutOptions } from './key-value-store.ts';
import { jsonSerde, type Serde } from './serde.ts';
import { compileStoreOptions, type StoreOptions } from './store-options.ts';

/**
 * One change as it goes to (or comes back from) the compacted `state` topic: message key =
 * `key`, payload = `value`. An empty payload is a tombstone (delete), which compaction removes.
 */
export interface ChangeRecord {
  readonly key: string;
  readonly value: Uint8Array;
  /** Absolute expiry in ms since the epoch; absent = never. Carried as a message property. */
  readonly expiresAtMs?: number;
}

export interface ChangelogStoreOptions<V> extends Pick<StoreOptions, 'maxValueBytes'> {
  /** @default jsonSerde() */
  serde?: Serde<V>;
  /** Time source for restoring TTLs. @default systemClock */
  clock?: Clock;
  /**
   * Keep only the last change per key between flushes and serialize at flush time. For hot keys
   * (window accumulators, counters) this saves a serialization and a changelog record per update;
   * the compacted topic keeps only the last value anyway. Values are read from the store when
   * flushed, and limit errors surface from `flush()` instead of `put()` (the runtime then aborts
   * and restores, as for any failed commit).
   * @default false
   */
  coalesce?: boolean;
}

const TOMBSTONE = new Uint8Array(0);

/**
 * Records every put and delete, in order, until `flush()` hands them to the runtime. The runtime
 * writes them to the compacted `state` topic in the same Pulsar transaction as the outputs, so
 * state and outputs commit together. If that transaction aborts, the in-memory state is ahead of
 * the topic: the runtime must `restore()` from the topic before processing again.
 */
export class ChangelogStore<V> implements KeyValueStore<V> {
  readonly #inner: KeyValueStore<V>;
  readonly #serde: Serde<V>;
  readonly #clock: Clock;
  readonly #maxValueBytes: number;
  readonly #coalesce: boolean;
  #pending: ChangeRecord[] = [];
  /** Coalescing only: keys changed since the last flush, in order of their last change. */
  readonly #dirty = new Set<string>();

  constructor(inner: KeyValueStore<V>, options: ChangelogStoreOptions<V> = {}) {
    this.#inner = inner;
    this.#serde = options.serde ?? jsonSerde<V>();
    this.#clock = options.clock ?? systemClock;
    this.#maxValueBytes = compileStoreOptions({ maxValueBytes: options.maxValueBytes }).maxValueBytes;
    this.#coalesce = options.coalesce ?? false;
  }

  get(key: string): V | undefined {
    return this.#inner.get(key);
  }

  put(key: string, value: V, options?: PutOptions): void {
    if (this.#coalesce) {
      this.#inner.put(key, value, options);
      this.#markDirty(key);
      return;
    }
    // Serialize first: a value that cannot be written must not change the in-memory state.
    const bytes = this.#encode(key, value);
    this.#inner.put(key, value, options);
    const expiresAtMs = this.#inner.expiresAt(key);
    this.#pending.push(expiresAtMs === undefined ? { key, value: bytes } : { key, value: bytes, expiresAtMs });
  }

  delete(key: string): boolean {
    const existed = this.#inner.delete(key);
    // Tombstone even when the key was expired: the topic may still hold it.
    if (this.#coalesce) this.#markDirty(key);
    else this.#pending.push({ key, value: TOMBSTONE });
    return existed;
  }

  entries(): IterableIterator<[string, V]> {
    return this.#inner.entries();
  }

  size(): number {
    return this.#inner.size();
  }

  expiresAt(key: string): number | undefined {
    return this.#inner.expiresAt(key);
  }

  purgeExpired(): readonly string[] {
    const purged = this.#inner.purgeExpired();
    for (const key of purged) {
      if (this.#coalesce) this.#markDirty(key);
      else this.#pending.push({ key, value: TOMBSTONE });
    }
    return purged;
  }

  clear(): void {
    this.#inner.clear();
  }

  approxBytes(): number {
    return this.#inner.approxBytes();
  }

  /**
   * Changes recorded since the last flush, oldest first; the store forgets them. With `coalesce`,
   * one record per changed key (its current value, or a tombstone), in order of last change.
   */
  flush(): readonly ChangeRecord[] {
    if (this.#coalesce) {
      // Build everything before forgetting anything: a limit error leaves the changes pending.
      const out: ChangeRecord[] = [];
      for (const key of this.#dirty) {
        const value = this.#inner.get(key);
        if (value === undefined) {
          out.push({ key, value: TOMBSTONE });
          continue;
        }
        const bytes = this.#encode(key, value);
        const expiresAtMs = this.#inner.expiresAt(key);
        out.push(expiresAtMs === undefined ? { key, value: bytes } : { key, value: bytes, expiresAtMs });
      }
      this.#dirty.clear();
      return out;
    }
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Changes (with `coalesce`: changed keys) recorded and not yet flushed. */
  get pendingChanges(): number {
    return this.#coalesce ? this.#dirty.size : this.#pending.length;
  }

  /**
   * Replaces the state with a snapshot (a TableView's entries, or a changelog replayed in order:
   * later records win, tombstones delete). Entries already expired are skipped. Unflushed changes
   * are dropped: the snapshot is the committed truth. Nothing restored is recorded again.
   */
  restore(records: Iterable<ChangeRecord>): void {
    this.#inner.clear();
    this.#pending = [];
    this.#dirty.clear();
    const now = this.#clock.now();
    for (const record of records) {
      if (record.value.byteLength === 0) {
        this.#inner.delete(record.key);
        continue;
      }
      if (record.value.byteLength > this.#maxValueBytes) this.#tooLarge(record.key, record.value.byteLength);
      const value = this.#serde.deserialize(record.value);
      if (record.expiresAtMs === undefined) {
        this.#inner.put(record.key, value, { ttlMs: 0 });
      } else if (record.expiresAtMs > now) {
        this.#inner.put(record.key, value, { ttlMs: record.expiresAtMs - now });
      } else {
        this.#inner.delete(record.key);
      }
    }
  }

  #markDirty(key: string): void {
    // Re-inserting moves the key to the end, so flush order follows each key's last change.
    this.#dirty.delete(key);
    this.#dirty.add(key);
  }

  #encode(key: string, value: V): Uint8Array {
    const bytes = this.#serde.serialize(value);
    if (bytes.byteLength === 0) {
      const message = 'serde produced an empty payload, which is reserved for deletes';
      throw new BeamlineError(STATE_ERROR_CODES.emptyPayload, message, { details: { key } });
    }
    if (bytes.byteLength > this.#maxValueBytes) this.#tooLarge(key, bytes.byteLength);
    return bytes;
  }

  #tooLarge(key: string, bytes: number): never {
    throw new StateLimitError(STATE_ERROR_CODES.valueTooLarge, 'state value is larger than maxValueBytes', {
      key: key.length > 80 ? `${key.slice(0, 77)}...` : key,
      bytes,
      maxValueBytes: this.#maxValueBytes,
    });
  }
}
