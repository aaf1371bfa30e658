import type { CounterMetric, GaugeMetric, Metrics } from '../telemetry.ts';
import type { KeyValueStore, PutOptions } from './key-value-store.ts';

export interface MeteredStoreOptions {
  /** Label value that tells stores apart on one registry. @default 'default' */
  store?: string;
}

/**
 * Counts operations and publishes size gauges. Gauges are refreshed on every write, so they are
 * exact after the last change without a background timer.
 */
export class MeteredStore<V> implements KeyValueStore<V> {
  readonly #inner: KeyValueStore<V>;
  readonly #labels: { store: string };
  readonly #gets: CounterMetric;
  readonly #puts: CounterMetric;
  readonly #deletes: CounterMetric;
  readonly #expired: CounterMetric;
  readonly #keys: GaugeMetric;
  readonly #bytes: GaugeMetric;

  constructor(inner: KeyValueStore<V>, metrics: Metrics, options: MeteredStoreOptions = {}) {
    this.#inner = inner;
    this.#labels = { store: options.store ?? 'default' };
    const l = ['store'];
    this.#gets = metrics.counter('beamline_state_gets_total', 'State store reads.', l);
    this.#puts = metrics.counter('beamline_state_puts_total', 'State store writes.', l);
    this.#deletes = metrics.counter('beamline_state_deletes_total', 'State store deletes.', l);
    this.#expired = metrics.counter('beamline_state_expired_total', 'State keys removed by TTL.', l);
    this.#keys = metrics.gauge('beamline_state_keys', 'Keys held by the state store.', l);
    this.#bytes = metrics.gauge('beamline_state_bytes', 'Estimated heap bytes of the state store.', l);
    this.#refresh();
  }

  get(key: string): V | undefined {
    this.#gets.inc(this.#labels);
    return this.#inner.get(key);
  }

  put(key: string, value: V, options?: PutOptions): void {
    this.#inner.put(key, value, options);
    this.#puts.inc(this.#labels);
    this.#refresh();
  }

  delete(key: string): boolean {
    const existed = this.#inner.delete(key);
    this.#deletes.inc(this.#labels);
    this.#refresh();
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
    if (purged.length > 0) this.#expired.inc(this.#labels, purged.length);
    this.#refresh();
    return purged;
  }

  clear(): void {
    this.#inner.clear();
    this.#refresh();
  }

  approxBytes(): number {
    return this.#inner.approxBytes();
  }

  /** Re-reads the gauges (call after restoring the inner store behind this one's back). */
  refresh(): void {
    this.#refresh();
  }

  #refresh(): void {
    this.#keys.set(this.#labels, this.#inner.size());
    this.#bytes.set(this.#labels, this.#inner.approxBytes());
  }
}
