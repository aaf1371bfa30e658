/**
 * Topic discovery of a regex subscription. The namespace's matching topics are listed at
 * subscribe time; after that a topic list watcher (when the broker supports one) announces
 * created and deleted topics at once, and a re-list every patternAutoDiscoveryPeriodMs remains
 * as the fallback and safety net. Every change goes through one queue, so a topic is never
 * subscribed or closed twice concurrently.
 */
import type { TimerHandle } from '../../../clock.ts';
import type { Logger } from '../../../telemetry.ts';
import type { ClientContext } from '../context.ts';
import type { ConsumerConfig } from '../../api/index.ts';
import { parseTopicName } from '../../topic/index.ts';
import { TopicListWatcher, type TopicListWatcherState } from './topic-list-watcher.ts';

export interface DiscoveryHooks {
  /** Full names of the topics (or partitions) subscribed now. */
  subscribed(): ReadonlySet<string>;
  /** Subscribe a topic (every partition of a partitioned one) by its base name. */
  add(topic: string): Promise<void>;
  /** Close the consumer of a topic or partition that no longer exists. */
  remove(topic: string): Promise<void>;
  /** Keep discovering while this holds. */
  active(): boolean;
}

export class PatternDiscovery {
  readonly #ctx: ClientContext;
  readonly #cfg: ConsumerConfig;
  readonly #hooks: DiscoveryHooks;
  readonly #log: Logger;
  #timer: TimerHandle | undefined;
  #watcher: TopicListWatcher | undefined;
  /** The broker's matching topics as last known (full names, partitions included). */
  #known = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(ctx: ClientContext, cfg: ConsumerConfig, hooks: DiscoveryHooks, log: Logger) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.#hooks = hooks;
    this.#log = log;
  }

  /** 'none' until started, or when the topics are only re-listed periodically. */
  get watcherState(): TopicListWatcherState | 'none' {
    return this.#watcher?.state ?? 'none';
  }

  /** Full names of the namespace's topics whose base name matches the pattern. */
  async list(): Promise<string[]> {
    const re = this.#cfg.topicsPattern as RegExp;
    const all = await this.#ctx.lookup.topicsOfNamespace(this.#cfg.patternNamespace as string);
    return all.filter((t) => re.test(parseTopicName(t).base));
  }

  /** Begin following the namespace; `listed` is what list() returned at subscribe time. */
  async start(listed: readonly string[]): Promise<void> {
    this.#known = new Set(listed);
    const watcher = new TopicListWatcher(
      this.#ctx,
      this.#cfg.patternNamespace as string,
      this.#cfg.patternSource as string,
      listed,
      {
        changed: (added, removed) => void this.#enqueue(() => this.#sync(this.#applied(added, removed))),
        diverged: () => void this.#enqueue(() => this.#relist()),
      },
      this.#log,
    );
    this.#watcher = watcher;
    if (!(await watcher.start())) this.#watcher = undefined;
    this.#schedule();
  }

  /** Stop, and wait for a change in progress so no consumer is created after the owner closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#watcher?.close();
    await this.#chain;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#enqueue(() => this.#relist()).then(() => {
        if (this.#hooks.active()) this.#schedule();
      });
    }, this.#cfg.patternAutoDiscoveryPeriodMs);
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#stopped || !this.#hooks.active()) return;
      try {
        await op();
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'topic discovery failed');
      }
    };
    this.#chain = this.#chain.then(run);
    return this.#chain;
  }

  #applied(added: readonly string[], removed: readonly string[]): Set<string> {
    const next = new Set(this.#known);
    for (const t of added) next.add(t);
    for (const t of removed) next.delete(t);
    return next;
  }

  async #relist(): Promise<void> {
    const listed = await this.list();
    this.#watcher?.resetKnown(listed);
    await this.#sync(new Set(listed));
  }

  /**
   * Make the subscriptions follow `listed`: close consumers of topics that were known and are gone,
   * subscribe topics with a partition not subscribed yet (new topics and added partitions).
   */
  async #sync(listed: Set<string>): Promise<void> {
    const gone = [...this.#known].filter((t) => !listed.has(t));
    this.#known = listed;
    const subscribed = this.#hooks.subscribed();
    for (const t of gone) if (subscribed.has(t)) await this.#hooks.remove(t);
    const bases = new Set<string>();
    for (const t of listed) if (!subscribed.has(t)) bases.add(parseTopicName(t).base);
    for (const b of bases) await this.#hooks.add(b);
  }
}
