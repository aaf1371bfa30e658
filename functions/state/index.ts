/** Keyed state: stores, the changelog that makes them durable, and value serialization. No I/O. */
export type { KeyValueStore, PutOptions } from './key-value-store.ts';
export { InMemoryStore, type InMemoryStoreOptions } from './in-memory-store.ts';
export { ChangelogStore, type ChangeRecord, type ChangelogStoreOptions } from './changelog-store.ts';
export { MeteredStore, type MeteredStoreOptions } from './metered-store.ts';
export { createStateStore, type StateStore, type StateStoreOptions } from './create-state-store.ts';
export { jsonSerde, type Serde } from './serde.ts';
export { compileStoreOptions, type StoreConfig, type StoreOptions } from './store-options.ts';
export { STATE_ERROR_CODES, StateLimitError } from './errors.ts';
export { estimateBytes } from './estimate-bytes.ts';
