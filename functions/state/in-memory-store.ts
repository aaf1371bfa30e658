import { systemClock, type Clock } from '../clock.ts';
import { STATE_ERROR_CODES, StateLimitError } from './errors.ts';
import { estimateBytes } from './estimate-bytes.ts';
import type { KeyValueStore, PutOptions } from './key-value-store.ts';
import { checkTtlMs, compileStoreOptions, type StoreOptions } from './store-options.ts';

export interface InMemoryStoreOptions extends StoreOptions {
  /** Time source for TTL. @default systemClock */
  clock?: Clock;
}

interface Entry<V> {
  value: V;
  /** 0 = never. */
  expiresAtMs: number;
  bytes: number;
}

/** The innermost store: a Map with per-key TTL. Expired keys read as absent until purged. */
export class InMemoryStore<V> implements KeyValueStore<V> {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #defaultTtlMs: number;
  readonly #map = new Map<string, Entry<V>>();
  // Only keys with a TTL, so purging does not walk the whole map.
  readonly #ttlKeys = new Set<string>();
  #bytes = 0;

  constructor(options: InMemoryStoreOptions = {}) {
    const config = compileStoreOptions(options);
    this.#clock = options.clock ?? systemClock;
    this.#maxKeys = config.maxKeys;
    this.#defaultTtlMs = config.defaultTtlMs;
  }

  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined || this.#expired(entry)) return undefined;
    return entry.value;
  }

  put(key: string, value: V, options: PutOptions = {}): void {
    const ttlMs = options.ttlMs ?? this.#defaultTtlMs;
    checkTtlMs(ttlMs);
    const old = this.#map.get(key);
    if (old === undefined && this.#map.size >= this.#maxKeys) {
      // Expired entries still count until purged; reclaim them before refusing.
      this.purgeExpired();
      if (this.#map.size >= this.#maxKeys) {
        throw new StateLimitError(STATE_ERROR_CODES.tooManyKeys, 'state store is full; delete keys or raise maxKeys', {
          maxKeys: this.#maxKeys,
        });
      }
    }
    const bytes = 48 + key.length * 2 + estimateBytes(value);
    const expiresAtMs = ttlMs > 0 ? this.#clock.now() + ttlMs : 0;
    if (old !== undefined) this.#bytes -= old.bytes;
    this.#map.set(key, { value, expiresAtMs, bytes });
    this.#bytes += bytes;
    if (expiresAtMs > 0) this.#ttlKeys.add(key);
    else this.#ttlKeys.delete(key);
  }

  delete(key: string): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    return !this.#expired(entry);
  }

  *entries(): IterableIterator<[string, V]> {
    const now = this.#clock.now();
    for (const [key, entry] of this.#map) {
      if (entry.expiresAtMs === 0 || entry.expiresAtMs > now) yield [key, entry.value];
    }
  }

  size(): number {
    return this.#map.size;
  }

  expiresAt(key: string): number | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined || entry.expiresAtMs === 0 || this.#expired(entry)) return undefined;
    return entry.expiresAtMs;
  }

  purgeExpired(): readonly string[] {
    const purged: string[] = [];
    for (const key of this.#ttlKeys) {
      const entry = this.#map.get(key);
      if (entry !== undefined && this.#expired(entry)) {
        this.#remove(key, entry);
        purged.push(key);
      }
    }
    return purged;
  }

  clear(): void {
    this.#map.clear();
    this.#ttlKeys.clear();
    this.#bytes = 0;
  }

  approxBytes(): number {
    return this.#bytes;
  }

  #expired(entry: Entry<V>): boolean {
    return entry.expiresAtMs !== 0 && entry.expiresAtMs <= this.#clock.now();
  }

  #remove(key: string, entry: Entry<V>): void {
    this.#map.delete(key);
    this.#ttlKeys.delete(key);
    this.#bytes -= entry.bytes;
  }
}
