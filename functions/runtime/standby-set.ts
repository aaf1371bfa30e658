/**
 * The standbys of one replica (#17, worker option standbyState): one StateStandby per state
 * partition this replica does not own. Warmed up before the replica joins, handed to the restore
 * of a partition it gains, started again at once for a partition it loses.
 */
import type { Clock } from '../clock.ts';
import type { PulsarClient } from '../pulsar/index.ts';
import type { Logger } from '../telemetry.ts';
import { StateStandby } from './state-standby.ts';
import { namespaceTopic, type WorkerConfig } from './worker-options.ts';

export interface StandbySetDeps {
  client: PulsarClient;
  log: Logger;
  clock: Clock;
}

export class StandbySet {
  readonly #config: WorkerConfig;
  readonly #deps: StandbySetDeps;
  readonly #standbys = new Map<number, StateStandby>();
  #closed = false;

  constructor(config: WorkerConfig, deps: StandbySetDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  /** A standby of each partition, each read to the end; resolves with the keys held. */
  async warmUp(partitions: readonly number[]): Promise<number> {
    for (const p of partitions) this.#start(p);
    await Promise.all([...this.#standbys.values()].map((s) => s.caughtUp()));
    return [...this.#standbys.values()].reduce((n, s) => n + s.keys, 0);
  }

  /**
   * A standby for each of `partitions` (not owned here) that has none, or a failed one. At once,
   * not after a pause: a partition often comes back within seconds (a replica that joined leaves
   * again, a rolling update), and one regained before its standby started was restored in full
   * (measured, `npm run bench -- scale` with 300k keys: 3.4 s, when this waited 3 s).
   */
  fill(partitions: readonly number[]): void {
    for (const p of partitions) {
      const held = this.#standbys.get(p);
      if (held === undefined || held.state === 'failed') this.#start(p);
    }
  }

  /** The standby of `partition`, handed over (it leaves the set); undefined when there is none. */
  take(partition: number): StateStandby | undefined {
    const s = this.#standbys.get(partition);
    this.#standbys.delete(partition);
    return s;
  }

  /** Closes every standby; none starts after this. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#standbys.values()].map((s) => s.close()));
    this.#standbys.clear();
  }

  #start(partition: number): void {
    if (this.#closed) return;
    const standby = new StateStandby(
      this.#deps,
      `${namespaceTopic(this.#config, 'state')}-partition-${partition}`,
      this.#config.transactionTimeoutMs,
    );
    this.#standbys.set(partition, standby);
    standby.start();
  }
}
