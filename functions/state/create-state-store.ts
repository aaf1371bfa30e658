import type { Clock } from '../clock.ts';
import { noopMetrics, type Metrics } from '../telemetry.ts';
import { ChangelogStore, type ChangeRecord } from './changelog-store.ts';
import { InMemoryStore } from './in-memory-store.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { MeteredStore } from './metered-store.ts';
import type { Serde } from './serde.ts';
import { compileStoreOptions, type StoreOptions } from './store-options.ts';

export interface StateStoreOptions<V> extends StoreOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** Metric label. @default 'default' */
  name?: string;
  /** @default jsonSerde() */
  serde?: Serde<V>;
  /** One changelog record per changed key per flush (see `ChangelogStoreOptions.coalesce`). @default false */
  coalesce?: boolean;
}

/** The store a function sees plus the handles the runtime needs to make it durable. */
export interface StateStore<V> {
  /** `Metered(Changelog(InMemory))`: hand this to handlers and window operators. */
  readonly store: KeyValueStore<V>;
  /** Pending changes for the `state` topic, oldest first; the store forgets them. */
  flush(): readonly ChangeRecord[];
  /** Loads a TableView snapshot, replacing everything (see `ChangelogStore.restore`). */
  restore(records: Iterable<ChangeRecord>): void;
}

/** The standard composition, so the runtime and the test driver build stores the same way. */
export function createStateStore<V>(options: StateStoreOptions<V> = {}): StateStore<V> {
  const config = compileStoreOptions(options);
  const memory = new InMemoryStore<V>({ ...config, clock: options.clock });
  const changelog = new ChangelogStore<V>(memory, {
    maxValueBytes: config.maxValueBytes,
    serde: options.serde,
    clock: options.clock,
    coalesce: options.coalesce,
  });
  const metered = new MeteredStore<V>(changelog, options.metrics ?? noopMetrics(), { store: options.name });
  return {
    store: metered,
    flush: () => changelog.flush(),
    restore(records) {
      changelog.restore(records);
      metered.refresh();
    },
  };
}
