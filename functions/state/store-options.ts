import { ConfigError } from '../errors.ts';

export interface StoreOptions {
  /**
   * Most keys one store holds; a put of a new key beyond it throws `BL_STATE_TOO_MANY_KEYS`.
   * @default 1_000_000
   */
  maxKeys?: number;
  /**
   * Largest serialized value in bytes; a bigger put throws `BL_STATE_VALUE_TOO_LARGE`.
   * Default stays under Pulsar's 5 MiB message limit with room for the key and headers.
   * @default 1_048_576
   */
  maxValueBytes?: number;
  /**
   * TTL for puts that give none. 0 = keys never expire.
   * @default 0
   */
  defaultTtlMs?: number;
}

export interface StoreConfig {
  readonly maxKeys: number;
  readonly maxValueBytes: number;
  readonly defaultTtlMs: number;
}

export function compileStoreOptions(options: StoreOptions = {}): StoreConfig {
  const maxKeys = options.maxKeys ?? 1_000_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new ConfigError('state.maxKeys', maxKeys, 'use a whole number >= 1 (default 1000000)');
  }
  const maxValueBytes = options.maxValueBytes ?? 1_048_576;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1) {
    throw new ConfigError('state.maxValueBytes', maxValueBytes, 'use a whole number of bytes >= 1 (default 1048576)');
  }
  const defaultTtlMs = options.defaultTtlMs ?? 0;
  if (!Number.isSafeInteger(defaultTtlMs) || defaultTtlMs < 0) {
    throw new ConfigError('state.defaultTtlMs', defaultTtlMs, 'use whole milliseconds >= 0 (0 = never expire)');
  }
  return Object.freeze({ maxKeys, maxValueBytes, defaultTtlMs });
}

/** Validates a per-put TTL. */
export function checkTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) {
    throw new ConfigError('put.ttlMs', ttlMs, 'use whole milliseconds >= 0 (0 = never expire)');
  }
}
