/**
 * The public consumer over one or many topics/partitions (or a regex): one receive queue fed by
 * TopicConsumers (event-driven, no polling), receive()/for-await, acks, negative acks, ack
 * timeout, the dead-letter topic, pause/resume, unsubscribe.
 */
import type { TimerHandle } from '../../clock.ts';
import { BeamlineError } from '../../errors.ts';
import type { Logger } from '../../telemetry.ts';
import { MessageId } from '../wire/index.ts';
import type { ClientContext } from './context.ts';
import type { DeadlineEntry } from './deadline-ticker.ts';
import { alreadyClosedError, timeoutError } from './errors.ts';
import type { Message, OutgoingMessage } from './message.ts';
import type { ConsumerConfig, ProducerOptions } from './options.ts';
import { parseTopicName, partitionTopic } from './topic-name.ts';
import { TopicConsumer, type MessageSink } from './topic-consumer.ts';
import type { Transaction } from './transaction.ts';

export type ConsumerState = 'subscribing' | 'ready' | 'closing' | 'closed';

export interface AckOptions {
  /** Acknowledge inside this transaction. */
  txn?: Transaction;
}

export interface DeadLetterProducer {
  send(m: OutgoingMessage): Promise<unknown>;
  close(): Promise<void>;
}

export interface ConsumerDeps {
  createProducer(o: ProducerOptions): Promise<DeadLetterProducer>;
  onClose(): void;
}

interface Waiter {
  resolve: (m: Message) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle | undefined;
}

interface Queued {
  msg: Message;
  from: TopicConsumer;
}

export class Consumer implements MessageSink, AsyncIterable<Message> {
  readonly subscription: string;
  readonly #ctx: ClientContext;
  readonly #cfg: ConsumerConfig;
  readonly #deps: ConsumerDeps;
  readonly #log: Logger;
  readonly #children = new Map<string, TopicConsumer>();
  #queue: Queued[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  #state: ConsumerState = 'subscribing';
  #paused = false;
  #error: unknown;
  /** Negative acks waiting for their redelivery time, keyed by message id string. */
  readonly #nacked = new Map<string, { msg: Message; at: number }>();
  #nackTimer: TimerHandle | undefined;
  #nackTimerAt = Infinity;
  /** Delivered but unacknowledged messages (ack timeout). */
  readonly #unacked = new Map<string, { msg: Message; at: number }>();
  #ackTimeoutEntry: DeadlineEntry | undefined;
  #dlq: Promise<DeadLetterProducer> | undefined;
  #discoveryTimer: TimerHandle | undefined;
  readonly #lastTaken = new Map<TopicConsumer, MessageId>();

  private constructor(ctx: ClientContext, cfg: ConsumerConfig, deps: ConsumerDeps) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.#deps = deps;
    this.subscription = cfg.subscription;
    this.#log = ctx.logger.child({ component: 'pulsar-consumer', subscription: cfg.subscription });
  }

  static async create(ctx: ClientContext, cfg: ConsumerConfig, deps: ConsumerDeps): Promise<Consumer> {
    const c = new Consumer(ctx, cfg, deps);
    try {
      const topics = [...cfg.topics.map((t) => parseTopicName(t).full)];
      if (cfg.topicsPattern !== undefined) topics.push(...(await c.#matchPattern()));
      await Promise.all([...new Set(topics)].map((t) => c.#addTopic(t)));
    } catch (err) {
      await Promise.all([...c.#children.values()].map((ch) => ch.close()));
      throw err;
    }
    c.#state = 'ready';
    if (cfg.topicsPattern !== undefined) c.#scheduleDiscovery();
    return c;
  }

  get state(): ConsumerState {
    return this.#state;
  }

  /** Topics (partitions) currently subscribed. */
  get topics(): string[] {
    return [...this.#children.keys()];
  }

  /** Internal per-partition consumers (tests inspect connections). */
  get topicConsumers(): readonly TopicConsumer[] {
    return [...this.#children.values()];
  }

  /** Messages buffered locally, not yet received. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Next message; waits (without polling) until one arrives, or rejects after `timeoutMs`. */
  receive(timeoutMs?: number): Promise<Message> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#state === 'closed' || this.#state === 'closing') return Promise.reject(alreadyClosedError('consumer'));
    const q = this.#take();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = this.#ctx.clock.setTimeout(() => {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          reject(timeoutError('receive', timeoutMs));
        }, timeoutMs);
      }
      this.#waiters.push(w);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      let m: Message;
      try {
        m = await this.receive();
      } catch (err) {
        if (err instanceof BeamlineError && err.code === 'BL_PULSAR_ALREADY_CLOSED') return;
        throw err;
      }
      yield m;
    }
  }

  /**
   * Acknowledge one message. In a batch, only this message: the entry is acked when all are.
   * With `{ txn }` the ack takes effect when the transaction commits (the message comes again if
   * it aborts); the promise resolves once the broker confirmed the ack (ACK_RESPONSE).
   */
  ack(m: Message | MessageId): void;
  ack(m: Message | MessageId, options: AckOptions): Promise<void>;
  ack(m: Message | MessageId, options?: AckOptions): void | Promise<void> {
    const id = m instanceof MessageId ? m : m.id;
    const child = this.#childFor(m);
    const key = id.toString();
    const txn = options?.txn;
    if (txn !== undefined) {
      try {
        txn.checkOpen('ack');
      } catch (err) {
        return Promise.reject(err);
      }
      this.#unacked.delete(key);
      this.#nacked.delete(key);
      txn.onAbort(() => child.redeliver([id]));
      return txn.track(txn.registerAckedSubscription(child.topic, this.subscription).then(() => child.ackInTxn(id, txn.id)));
    }
    this.#unacked.delete(key);
    this.#nacked.delete(key);
    if (options === undefined) child.ack(id);
    else {
      child.ack(id);
      return Promise.resolve();
    }
  }

  /**
   * Acknowledge many messages inside a transaction with one ACK command per topic partition,
   * resolved when the broker confirmed them all.
   */
  async ackAll(messages: readonly Message[], options: Required<AckOptions>): Promise<void> {
    const txn = options.txn;
    const byChild = new Map<TopicConsumer, MessageId[]>();
    for (const m of messages) {
      const child = this.#childFor(m);
      const key = m.id.toString();
      this.#unacked.delete(key);
      this.#nacked.delete(key);
      const list = byChild.get(child) ?? [];
      list.push(m.id);
      byChild.set(child, list);
    }
    const work: Promise<void>[] = [];
    for (const [child, ids] of byChild) {
      txn.onAbort(() => child.redeliver(ids));
      work.push(txn.track(txn.registerAckedSubscription(child.topic, this.subscription).then(() => child.ackManyInTxn(ids, txn.id))));
    }
    await Promise.all(work);
  }

  /** Acknowledge everything up to and including `m` (Exclusive/Failover only). */
  ackCumulative(m: Message | MessageId): void {
    if (this.#cfg.subscriptionType === 'Shared' || this.#cfg.subscriptionType === 'Key_Shared') {
      throw new BeamlineError('BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED', 'cumulative acks are not allowed on Shared or Key_Shared subscriptions', {
        details: { subscriptionType: this.#cfg.subscriptionType },
      });
    }
    const id = m instanceof MessageId ? m : m.id;
    const child = this.#childFor(m);
    for (const [k, v] of this.#unacked) if (v.msg.topic === child.topic && v.msg.id.compareTo(id) <= 0) this.#unacked.delete(k);
    child.ackCumulative(id);
  }

  /** Ask for redelivery after negativeAckRedeliveryDelayMs (or to the DLQ past maxRedeliverCount). */
  nack(m: Message): void {
    const key = m.id.toString();
    this.#unacked.delete(key);
    const at = this.#ctx.clock.monotonic() + this.#cfg.negativeAckRedeliveryDelayMs;
    this.#nacked.set(key, { msg: m, at });
    if (at < this.#nackTimerAt) this.#armNackTimer(at);
  }

  pause(): void {
    this.#paused = true;
    for (const c of this.#children.values()) c.pause();
  }

  resume(): void {
    this.#paused = false;
    for (const c of this.#children.values()) c.resume();
  }

  /** Delete the subscription on the broker (UNSUBSCRIBE), then close. */
  async unsubscribe(): Promise<void> {
    if (this.#state === 'closed') throw alreadyClosedError('consumer');
    await Promise.all([...this.#children.values()].map((c) => c.unsubscribe()));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#stopTimers();
    await Promise.all([...this.#children.values()].map((c) => c.close()));
    this.#state = 'closed';
    const err = alreadyClosedError('consumer');
    for (const w of this.#waiters.splice(0)) {
      if (w.timer !== undefined) this.#ctx.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    if (this.#dlq !== undefined) await (await this.#dlq.catch(() => undefined))?.close();
    this.#deps.onClose();
  }

  /** SEEK every partition to a message id (on its partition) or a publish time. */
  async seek(target: MessageId | number): Promise<void> {
    const children = [...this.#children.values()];
    if (typeof target === 'number' || children.length === 1) {
      await Promise.all(children.map((c) => c.seek(target)));
    } else {
      const c = children.find((ch) => ch.partition === target.partition);
      if (c === undefined) throw new BeamlineError('BL_PULSAR_SEEK_INVALID', 'no partition matches the message id', { details: { id: target.toString() } });
      await c.seek(target);
    }
    this.#lastTaken.clear();
  }

  /** Last message id per partition, from the broker (GET_LAST_MESSAGE_ID). */
  async getLastMessageIds(): Promise<MessageId[]> {
    return Promise.all([...this.#children.values()].map(async (c) => (await c.getLastMessageId()).last));
  }

  /** True when the broker holds messages this consumer has not received yet. */
  async hasMessageAvailable(): Promise<boolean> {
    if (this.queued > 0) return true;
    for (const c of this.#children.values()) {
      const { last } = await c.getLastMessageId();
      if (last.entryId < 0n) continue;
      // Compare with what the application has taken: messages may land in the queue meanwhile.
      if (this.queued > 0) return true;
      const seen = this.#lastTaken.get(c);
      if (seen === undefined) {
        const start = this.#cfg.startMessageId;
        if (start === undefined || start === MessageId.earliest) return true;
        if (start === MessageId.latest) continue;
        if (this.#cfg.startMessageIdInclusive ? last.compareTo(start) >= 0 : afterId(last, start)) return true;
        continue;
      }
      if (afterId(last, seen)) return true;
    }
    return false;
  }

  // --- MessageSink ------------------------------------------------------------------------------

  deliver(msg: Message, from: TopicConsumer): void {
    const w = this.#waiters.shift();
    if (w !== undefined) {
      if (w.timer !== undefined) this.#ctx.clock.clearTimeout(w.timer);
      this.#taken(msg, from);
      w.resolve(msg);
      return;
    }
    this.#queue.push({ msg, from });
  }

  dropQueued(from: TopicConsumer): number {
    let dropped = 0;
    const kept: Queued[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const q = this.#queue[i] as Queued;
      if (q.from === from) dropped++;
      else kept.push(q);
    }
    this.#queue = kept;
    this.#head = 0;
    return dropped;
  }

  failed(from: TopicConsumer, err: unknown): void {
    this.#log.error({ topic: from.topic, err: (err as Error).message }, 'consumer failed');
    this.#error = err;
    for (const w of this.#waiters.splice(0)) {
      if (w.timer !== undefined) this.#ctx.clock.clearTimeout(w.timer);
      w.reject(err);
    }
  }

  // --- internals --------------------------------------------------------------------------------

  #take(): Message | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const q = this.#queue[this.#head++] as Queued;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#taken(q.msg, q.from);
    return q.msg;
  }

  #taken(msg: Message, from: TopicConsumer): void {
    from.messageTaken(1);
    this.#lastTaken.set(from, msg.id);
    if (this.#cfg.ackTimeoutMs > 0) {
      this.#unacked.set(msg.id.toString(), { msg, at: this.#ctx.clock.monotonic() + this.#cfg.ackTimeoutMs });
      if (this.#ackTimeoutEntry === undefined) this.#armAckTimeout();
    }
  }

  #childFor(m: Message | MessageId): TopicConsumer {
    if (!(m instanceof MessageId)) {
      const c = this.#children.get(m.topic);
      if (c !== undefined) return c;
    } else {
      const children = [...this.#children.values()];
      if (children.length === 1) return children[0] as TopicConsumer;
      const c = children.find((ch) => ch.partition === m.partition && ch.partition >= 0);
      if (c !== undefined && children.every((ch) => parseTopicName(ch.topic).base === parseTopicName(c.topic).base)) return c;
    }
    throw new BeamlineError('BL_PULSAR_UNKNOWN_MESSAGE', 'the message does not belong to this consumer (pass the Message for multi-topic consumers)');
  }

  async #addTopic(topic: string): Promise<void> {
    const n = await this.#ctx.lookup.partitions(topic);
    const names = n === 0 ? [[topic, -1] as const] : Array.from({ length: n }, (_, i) => [partitionTopic(topic, i), i] as const);
    await Promise.all(
      names.map(async ([name, partition]) => {
        if (this.#children.has(name)) return;
        const child = await TopicConsumer.create(this.#ctx, this.#cfg, name, partition, this);
        if (this.#paused) child.pause();
        this.#children.set(name, child);
      }),
    );
  }

  async #matchPattern(): Promise<string[]> {
    const re = this.#cfg.topicsPattern as RegExp;
    const all = await this.#ctx.lookup.topicsOfNamespace(this.#cfg.patternNamespace as string);
    return [...new Set(all.map((t) => parseTopicName(t).base))].filter((t) => re.test(t));
  }

  #scheduleDiscovery(): void {
    this.#discoveryTimer = this.#ctx.clock.setTimeout(() => {
      void (async () => {
        try {
          const known = new Set([...this.#children.values()].map((c) => parseTopicName(c.topic).base));
          for (const t of await this.#matchPattern()) if (!known.has(t)) await this.#addTopic(t);
        } catch (err) {
          this.#log.warn({ err: (err as Error).message }, 'topic discovery failed');
        }
        if (this.#state === 'ready') this.#scheduleDiscovery();
      })();
    }, this.#cfg.patternAutoDiscoveryPeriodMs);
  }

  #stopTimers(): void {
    const clock = this.#ctx.clock;
    if (this.#nackTimer !== undefined) clock.clearTimeout(this.#nackTimer);
    this.#nackTimer = undefined;
    if (this.#discoveryTimer !== undefined) clock.clearTimeout(this.#discoveryTimer);
    this.#discoveryTimer = undefined;
    this.#ctx.ticker.cancel(this.#ackTimeoutEntry);
    this.#ackTimeoutEntry = undefined;
  }

  #armNackTimer(at: number): void {
    if (this.#nackTimer !== undefined) this.#ctx.clock.clearTimeout(this.#nackTimer);
    this.#nackTimerAt = at;
    this.#nackTimer = this.#ctx.clock.setTimeout(() => {
      this.#nackTimer = undefined;
      this.#nackTimerAt = Infinity;
      const now = this.#ctx.clock.monotonic();
      const due: Message[] = [];
      let next = Infinity;
      for (const [k, v] of this.#nacked) {
        if (v.at <= now) {
          due.push(v.msg);
          this.#nacked.delete(k);
        } else if (v.at < next) next = v.at;
      }
      if (next !== Infinity) this.#armNackTimer(next);
      void this.#redeliver(due);
    }, Math.max(0, at - this.#ctx.clock.monotonic()));
  }

  #armAckTimeout(): void {
    const tick = Math.max(10, Math.min(this.#cfg.ackTimeoutMs, 1000));
    this.#ackTimeoutEntry = this.#ctx.ticker.add(tick, () => {
      this.#ackTimeoutEntry = undefined;
      const now = this.#ctx.clock.monotonic();
      const due: Message[] = [];
      for (const [k, v] of this.#unacked) {
        if (v.at <= now) {
          due.push(v.msg);
          this.#unacked.delete(k);
        }
      }
      if (due.length > 0) void this.#redeliver(due);
      if (this.#unacked.size > 0 && this.#state === 'ready') this.#armAckTimeout();
    });
  }

  /** Redeliver, sending messages past maxRedeliverCount to the dead-letter topic instead. */
  async #redeliver(msgs: Message[]): Promise<void> {
    if (msgs.length === 0 || this.#state !== 'ready') return;
    const dlq = this.#cfg.deadLetterPolicy;
    const byChild = new Map<TopicConsumer, MessageId[]>();
    for (const m of msgs) {
      const child = this.#children.get(m.topic);
      if (child === undefined) continue;
      if (dlq !== undefined && m.redeliveryCount >= dlq.maxRedeliverCount) {
        try {
          await this.#sendToDeadLetter(m);
          child.ack(m.id);
          continue;
        } catch (err) {
          this.#log.warn({ err: (err as Error).message }, 'dead-letter publish failed; redelivering');
        }
      }
      let list = byChild.get(child);
      if (list === undefined) byChild.set(child, (list = []));
      list.push(m.id);
    }
    for (const [child, ids] of byChild) child.redeliver(ids);
  }

  async #sendToDeadLetter(m: Message): Promise<void> {
    const policy = this.#cfg.deadLetterPolicy;
    if (policy === undefined) return;
    if (this.#dlq === undefined) {
      const topic = policy.deadLetterTopic !== '' ? policy.deadLetterTopic : `${parseTopicName(m.topic).base}-${this.#cfg.subscription}-DLQ`;
      this.#dlq = this.#deps.createProducer({ topic, batching: false });
      this.#dlq.catch(() => (this.#dlq = undefined));
    }
    const producer = await this.#dlq;
    const out: OutgoingMessage = {
      payload: m.payload,
      properties: { ...m.properties, REAL_TOPIC: m.topic, ORIGIN_MESSAGE_ID: m.id.toString() },
    };
    if (m.key !== undefined) out.key = m.key;
    if (m.eventTimeMs !== undefined) out.eventTimeMs = m.eventTimeMs;
    await producer.send(out);
  }
}

/** Is broker id `last` past the consumer's `seen` id (batch aware)? */
function afterId(last: MessageId, seen: MessageId): boolean {
  if (last.ledgerId !== seen.ledgerId) return last.ledgerId > seen.ledgerId;
  if (last.entryId !== seen.entryId) return last.entryId > seen.entryId;
  if (seen.batchIndex < 0) return false;
  if (last.batchIndex >= 0) return last.batchIndex > seen.batchIndex;
  return seen.batchSize > 0 && seen.batchIndex < seen.batchSize - 1;
}
