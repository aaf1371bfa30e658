/**
 * The partition consumers behind one Consumer, by topic (or partition) name: adding a topic
 * subscribes each of its partitions once, even when discovery and partition growth add it
 * concurrently; partitions added to a topic later are subscribed every
 * partitionsAutoUpdateIntervalMs; deleted topics are removed.
 */
import type { Logger } from '../../../telemetry.ts';
import { MessageId } from '../../wire/index.ts';
import type { ClientContext } from '../context.ts';
import type { ConsumerConfig } from '../../api/index.ts';
import { PartitionGrowth } from '../partition-growth.ts';
import { parseTopicName, partitionTopic } from '../../topic/index.ts';
import { TopicConsumer, type MessageSink } from './topic-consumer.ts';

export class PartitionConsumers {
  readonly #ctx: ClientContext;
  readonly #cfg: ConsumerConfig;
  readonly #sink: MessageSink;
  /** New consumers start paused while this holds. */
  readonly #paused: () => boolean;
  readonly #children = new Map<string, TopicConsumer>();
  /** Partition counts in use of the partitioned topics subscribed, by topic. */
  readonly #partitions = new Map<string, number>();
  /** Partition consumers being created, so concurrent additions never subscribe one twice. */
  readonly #creating = new Map<string, Promise<void>>();
  readonly #growth: PartitionGrowth;

  constructor(ctx: ClientContext, cfg: ConsumerConfig, sink: MessageSink, paused: () => boolean, log: Logger) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.#sink = sink;
    this.#paused = paused;
    this.#growth = new PartitionGrowth(
      ctx,
      cfg.partitionsAutoUpdateIntervalMs,
      { topics: () => this.#partitions.entries(), grown: (t) => this.add(t, true) },
      log,
    );
  }

  get(name: string): TopicConsumer | undefined {
    return this.#children.get(name);
  }
  names(): string[] {
    return [...this.#children.keys()];
  }
  all(): TopicConsumer[] {
    return [...this.#children.values()];
  }

  /**
   * Subscribe every partition of `topic` not subscribed yet. Partitions added to a topic already
   * subscribed (`grown`) start at their earliest message: producers may reach a new partition
   * before this consumer does. The broker copies durable subscriptions to partitions added through
   * the admin API, but a reader's cursor, or a subscription it did not copy, would start after them.
   */
  async add(topic: string, grown = false): Promise<void> {
    const n = await this.#ctx.lookup.partitions(topic);
    const names = n === 0 ? [[topic, -1] as const] : Array.from({ length: n }, (_, i) => [partitionTopic(topic, i), i] as const);
    const cfg = grown ? this.#newPartitionConfig() : this.#cfg;
    await Promise.all(names.map(([name, partition]) => this.#addChild(name, partition, cfg)));
    if (n > (this.#partitions.get(topic) ?? 0)) {
      this.#partitions.set(topic, n);
      this.#growth.ensureStarted();
    }
  }

  /** Forget the consumer of a deleted topic or partition; the caller closes it. */
  remove(name: string): TopicConsumer | undefined {
    const child = this.#children.get(name);
    if (child === undefined) return undefined;
    this.#children.delete(name);
    const base = parseTopicName(name).base;
    if (![...this.#children.keys()].some((k) => parseTopicName(k).base === base)) this.#partitions.delete(base);
    return child;
  }

  /** Stop partition updates, waiting for one in progress. */
  stop(): Promise<void> {
    return this.#growth.stop();
  }

  #addChild(name: string, partition: number, cfg: ConsumerConfig): Promise<void> {
    if (this.#children.has(name)) return Promise.resolve();
    let p = this.#creating.get(name);
    if (p === undefined) {
      p = (async () => {
        // Paused before its SUBSCRIBE: a child added while the consumer is paused sends no FLOW.
        const childCfg = this.#paused() && !cfg.startPaused ? Object.freeze({ ...cfg, startPaused: true }) : cfg;
        const child = await TopicConsumer.create(this.#ctx, childCfg, name, partition, this.#sink);
        // resume() may have run while it subscribed.
        if (!this.#paused()) child.resume();
        this.#children.set(name, child);
      })().finally(() => this.#creating.delete(name));
      this.#creating.set(name, p);
    }
    return p;
  }

  #newPartitionConfig(): ConsumerConfig {
    const c = this.#cfg;
    if (c.durable) return c.initialPosition === 'Earliest' ? c : Object.freeze({ ...c, initialPosition: 'Earliest' as const });
    return Object.freeze({ ...c, startMessageId: MessageId.earliest, startMessageIdInclusive: false });
  }
}
