/**
 * The public producer: one PartitionProducer for a plain topic, N for a partitioned one with
 * routing (keyed messages by hash like the Java client; keyless by round-robin or one partition).
 * Partitions added to the topic later are picked up every partitionsAutoUpdateIntervalMs.
 */
import type { Logger } from '../../../telemetry.ts';
import type { MessageId } from '../../wire/index.ts';
import type { ClientContext } from '../context.ts';
import type { OutgoingMessage } from '../../api/index.ts';
import { compileProducerOptions, type ProducerOptions } from '../../api/index.ts';
import { PartitionGrowth } from '../partition-growth.ts';
import { PartitionProducer } from './partition-producer.ts';
import { keyPartition } from './routing.ts';
import { parseTopicName, partitionTopic } from '../../topic/index.ts';
import type { ProducerConfig } from '../../api/index.ts';
import type { Transaction } from '../transactions/transaction.ts';

export type { ProducerState } from './partition-producer.ts';

export interface SendOptions {
  /** Send inside this transaction. */
  txn?: Transaction;
}

export class Producer {
  readonly topic: string;
  readonly #ctx: ClientContext;
  readonly #cfg: ProducerConfig;
  readonly #log: Logger;
  /** Index = partition; only ever grows. */
  readonly #parts: PartitionProducer[];
  readonly #partitioned: boolean;
  readonly #single: number;
  #rr = 0;
  readonly #onClose: () => void;
  readonly #growth: PartitionGrowth;
  #closed = false;

  private constructor(
    ctx: ClientContext,
    topic: string,
    cfg: ProducerConfig,
    parts: PartitionProducer[],
    partitioned: boolean,
    onClose: () => void,
  ) {
    this.#ctx = ctx;
    this.topic = topic;
    this.#cfg = cfg;
    this.#log = ctx.logger.child({ component: 'pulsar-producer', topic });
    this.#parts = parts;
    this.#partitioned = partitioned;
    this.#single = Math.floor(Math.random() * parts.length);
    this.#rr = Math.floor(Math.random() * parts.length);
    this.#onClose = onClose;
    this.#growth = new PartitionGrowth(
      ctx,
      cfg.partitionsAutoUpdateIntervalMs,
      { topics: () => (this.#partitioned ? [[this.topic, this.#parts.length] as const] : []), grown: (_t, n) => this.#grow(n) },
      this.#log,
    );
    if (partitioned) this.#growth.ensureStarted();
  }

  static async create(ctx: ClientContext, options: ProducerOptions, onClose: () => void = () => undefined): Promise<Producer> {
    const cfg = compileProducerOptions(options);
    const topic = parseTopicName(cfg.topic).full;
    const n = await ctx.lookup.partitions(topic);
    const made = await Promise.allSettled(
      n === 0
        ? [PartitionProducer.create(ctx, cfg, topic, -1)]
        : Array.from({ length: n }, (_, i) => PartitionProducer.create(ctx, cfg, partitionTopic(topic, i), i)),
    );
    const ok = made.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = made.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(ok.map((p) => p.close()));
      throw failed.reason;
    }
    return new Producer(ctx, topic, cfg, ok, n > 0, onClose);
  }

  get partitions(): number {
    return this.#partitioned ? this.#parts.length : 0;
  }

  /** Producer name(s) the broker knows (one per partition). */
  get names(): (string | undefined)[] {
    return this.#parts.map((p) => p.name);
  }

  /** Internal partition producers (tests inspect connections and state). */
  get partitionProducers(): readonly PartitionProducer[] {
    return this.#parts;
  }

  /**
   * Resolves with the message id once the broker has stored it; waits while the queue is full.
   * With `{ txn }` the message is only visible to consumers once the transaction commits.
   */
  send(m: OutgoingMessage | Buffer | string, options?: SendOptions): Promise<MessageId> {
    const msg: OutgoingMessage = typeof m === 'string' || Buffer.isBuffer(m) ? { payload: m } : m;
    const txn = options?.txn;
    if (txn === undefined) return this.#route(msg).send(msg);
    try {
      txn.checkOpen('send');
    } catch (err) {
      return Promise.reject(err);
    }
    const part = this.#route(msg);
    // ADD_PARTITION_TO_TXN must be acknowledged before the first transactional SEND there.
    return txn.track(txn.registerProducedPartition(part.topic).then(() => part.send(msg, txn.id)));
  }

  async flush(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#growth.stop();
    await Promise.all(this.#parts.map((p) => p.close()));
    this.#onClose();
  }

  /** Start producers for partitions [current count, n); all of them or none (retried next time). */
  async #grow(n: number): Promise<void> {
    const from = this.#parts.length;
    const made = await Promise.allSettled(
      Array.from({ length: n - from }, (_, i) =>
        PartitionProducer.create(this.#ctx, this.#cfg, partitionTopic(this.topic, from + i), from + i),
      ),
    );
    const ok = made.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = made.find((r) => r.status === 'rejected');
    if (failed !== undefined || this.#closed) {
      await Promise.all(ok.map((p) => p.close()));
      if (failed !== undefined) throw failed.reason;
      return;
    }
    this.#parts.push(...ok);
  }

  #route(m: OutgoingMessage): PartitionProducer {
    const n = this.#parts.length;
    if (n === 1) return this.#parts[0] as PartitionProducer;
    if (m.key !== undefined) return this.#parts[keyPartition(m.key, n, this.#cfg.hashingScheme)] as PartitionProducer;
    if (this.#cfg.routingMode === 'Single') return this.#parts[this.#single] as PartitionProducer;
    // With batching, stay on one partition for a batch's worth of messages so batches fill up.
    const per = this.#cfg.batching ? this.#cfg.batchingMaxMessages : 1;
    const i = Math.floor(this.#rr++ / per) % n;
    return this.#parts[i] as PartitionProducer;
  }
}
