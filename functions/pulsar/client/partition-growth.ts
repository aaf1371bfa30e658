/**
 * Partition growth of partitioned topics: their partition count is re-read (PARTITIONED_METADATA)
 * every partitionsAutoUpdateIntervalMs and a larger count is reported to the owner, which then
 * produces to or subscribes the new partitions. Counts never shrink in Pulsar. The timer only
 * runs while the owner has a partitioned topic, so idle owners of plain topics schedule nothing.
 */
import type { TimerHandle } from '../../clock.ts';
import type { Logger } from '../../telemetry.ts';
import type { ClientContext } from './context.ts';

export interface PartitionGrowthHooks {
  /** The partitioned topics to check, with the partition count in use. */
  topics(): Iterable<readonly [topic: string, partitions: number]>;
  /** `topic` now has `partitions` (more than in use). */
  grown(topic: string, partitions: number): Promise<void>;
}

export class PartitionGrowth {
  readonly #ctx: ClientContext;
  readonly #intervalMs: number;
  readonly #hooks: PartitionGrowthHooks;
  readonly #log: Logger;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(ctx: ClientContext, intervalMs: number, hooks: PartitionGrowthHooks, log: Logger) {
    this.#ctx = ctx;
    this.#intervalMs = intervalMs;
    this.#hooks = hooks;
    this.#log = log;
  }

  /** Arm the timer unless disabled or already armed; call when a partitioned topic is in use. */
  ensureStarted(): void {
    if (this.#intervalMs <= 0 || this.#stopped || this.#timer !== undefined || this.#running !== undefined) return;
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#check().finally(() => {
        this.#running = undefined;
        this.ensureStarted();
      });
    }, this.#intervalMs);
  }

  /** Stop, and wait for a check in progress (no producer or consumer is created after it). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #check(): Promise<void> {
    for (const [topic, inUse] of [...this.#hooks.topics()]) {
      if (this.#stopped) return;
      try {
        const n = await this.#ctx.lookup.partitions(topic);
        if (n > inUse && !this.#stopped) {
          this.#log.info({ topic, from: inUse, to: n }, 'partitions added');
          await this.#hooks.grown(topic, n);
        }
      } catch (err) {
        this.#log.warn({ topic, err: (err as Error).message }, 'partition update failed');
      }
    }
  }
}
