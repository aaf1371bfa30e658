/**
 * The public consumer over one or many topics/partitions (or a regex): one receive queue fed by
 * TopicConsumers (event-driven, no polling), receive()/for-await, acks, negative acks, ack
 * timeout, the dead-letter topic, pause/resume, unsubscribe.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import { MessageId } from '../../wire/index.ts';
import type { ClientMetrics } from '../client-metrics.ts';
import { receiveUntilClosed } from '../../api/index.ts';
import type { ClientContext } from '../context.ts';
import { DeadLetter, type DeadLetterProducer } from './dead-letter.ts';
import { alreadyClosedError, cumulativeAckNotAllowedError } from '../../api/index.ts';
import type { Message } from '../../api/index.ts';
import type { ConsumerConfig, ProducerOptions } from '../../api/index.ts';
import { PartitionConsumers } from './partition-consumers.ts';
import { PatternDiscovery } from './pattern-discovery.ts';
import { ReceiveQueue } from './receive-queue.ts';
import { AckTimeoutTracker, NackTracker } from './redelivery-timers.ts';
import { parseTopicName } from '../../topic/index.ts';
import type { MessageSink, TopicConsumer } from './topic-consumer.ts';
import type { Transaction } from '../transactions/transaction.ts';

export type { DeadLetterProducer } from './dead-letter.ts';

export type ConsumerState = 'subscribing' | 'ready' | 'closing' | 'closed';

export interface AckOptions {
  /** Acknowledge inside this transaction. */
  txn?: Transaction;
  /**
   * Resolve only once the broker confirmed the ack (ACK_RESPONSE), so a crash after it cannot
   * bring the message back. Without it (and without txn) the promise resolves when the ack is
   * queued. @default false
   */
  receipt?: boolean;
}

export interface ConsumerDeps {
  createProducer(o: ProducerOptions): Promise<DeadLetterProducer>;
  onClose(): void;
}

/** How long hasMessageAvailable() waits for a message the broker has named before asking again. */
const EXPECTED_MESSAGE_WAIT_MS = 100;

export class Consumer implements MessageSink, AsyncIterable<Message> {
  readonly subscription: string;
  readonly #cfg: ConsumerConfig;
  readonly #deps: ConsumerDeps;
  readonly #log: Logger;
  readonly #metrics: ClientMetrics;
  readonly #children: PartitionConsumers;
  readonly #queue: ReceiveQueue<TopicConsumer>;
  #state: ConsumerState = 'subscribing';
  #paused = false;
  #error: unknown;
  readonly #nacked: NackTracker;
  readonly #unacked: AckTimeoutTracker;
  readonly #dlq: DeadLetter | undefined;
  readonly #discovery: PatternDiscovery | undefined;
  readonly #lastTaken = new Map<TopicConsumer, MessageId>();
  /** Per partition, the last message id the broker named in its latest GET_LAST_MESSAGE_ID answer. */
  readonly #lastKnown = new Map<TopicConsumer, MessageId>();

  private constructor(ctx: ClientContext, cfg: ConsumerConfig, deps: ConsumerDeps) {
    this.#cfg = cfg;
    this.#paused = cfg.startPaused;
    this.#deps = deps;
    this.subscription = cfg.subscription;
    this.#log = ctx.logger.child({ component: 'pulsar-consumer', subscription: cfg.subscription });
    this.#metrics = ctx.metrics;
    this.#queue = new ReceiveQueue(ctx.clock, (msg, from) => this.#taken(msg, from));
    const redeliver = (msgs: Message[]): void => void this.#redeliver(msgs);
    this.#nacked = new NackTracker(ctx, cfg.negativeAckRedeliveryDelayMs, redeliver);
    this.#unacked = new AckTimeoutTracker(ctx, cfg.ackTimeoutMs, () => this.#state === 'ready', redeliver);
    if (cfg.deadLetterPolicy !== undefined)
      this.#dlq = new DeadLetter(cfg.deadLetterPolicy, cfg.subscription, (o) => deps.createProducer(o));
    this.#children = new PartitionConsumers(ctx, cfg, this, () => this.#paused, this.#log);
    if (cfg.topicsPattern !== undefined) {
      this.#discovery = new PatternDiscovery(
        ctx,
        cfg,
        {
          subscribed: () => new Set(this.#children.names()),
          add: (t) => this.#children.add(t),
          remove: (t) => this.#removeTopic(t),
          active: () => this.#state === 'ready',
        },
        this.#log,
      );
    }
  }

  static async create(ctx: ClientContext, cfg: ConsumerConfig, deps: ConsumerDeps): Promise<Consumer> {
    const c = new Consumer(ctx, cfg, deps);
    let listed: string[];
    try {
      const topics = [...cfg.topics.map((t) => parseTopicName(t).full)];
      listed = c.#discovery === undefined ? [] : await c.#discovery.list();
      topics.push(...listed.map((t) => parseTopicName(t).base));
      await Promise.all([...new Set(topics)].map((t) => c.#children.add(t)));
    } catch (err) {
      await c.#children.stop();
      await Promise.all(c.#children.all().map((ch) => ch.close()));
      throw err;
    }
    c.#state = 'ready';
    await c.#discovery?.start(listed);
    return c;
  }

  get state(): ConsumerState {
    return this.#state;
  }

  /** Topics (partitions) currently subscribed. */
  get topics(): string[] {
    return this.#children.names();
  }

  /** Internal per-partition consumers (tests inspect connections). */
  get topicConsumers(): readonly TopicConsumer[] {
    return this.#children.all();
  }

  /** Messages buffered locally, not yet received. */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * True as soon as a message is buffered (now or within `timeoutMs`), false after that long
   * without one, or once the consumer is closed. Takes nothing: waiting on several consumers at
   * once (the worker's priority lane, #26) cannot strand a message in a receive() nobody awaits.
   */
  whenQueued(timeoutMs: number): Promise<boolean> {
    if (this.#error !== undefined || this.#state === 'closed' || this.#state === 'closing') return Promise.resolve(false);
    return this.#queue.whenNonEmpty(timeoutMs);
  }

  /** A buffered message now, without waiting; undefined when none is buffered or the consumer is closed. */
  takeQueued(): Message | undefined {
    if (this.#error !== undefined || this.#state === 'closed' || this.#state === 'closing') return undefined;
    return this.#queue.take();
  }

  /** Next message; waits (without polling) until one arrives, or rejects after `timeoutMs`. */
  receive(timeoutMs?: number): Promise<Message> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#state === 'closed' || this.#state === 'closing') return Promise.reject(alreadyClosedError('consumer'));
    return this.#queue.receive(timeoutMs);
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return receiveUntilClosed(() => this.receive());
  }

  /**
   * Acknowledge one message. In a batch, only this message: the entry is acked when all are.
   * With `{ txn }` the ack takes effect when the transaction commits (the message comes again if
   * it aborts); the promise resolves once the broker confirmed the ack (ACK_RESPONSE). With
   * `{ receipt: true }` (no txn) the same confirmation for an ordinary ack.
   */
  ack(m: Message | MessageId): void;
  ack(m: Message | MessageId, options: AckOptions): Promise<void>;
  ack(m: Message | MessageId, options?: AckOptions): void | Promise<void> {
    const id = m instanceof MessageId ? m : m.id;
    const child = this.#childFor(m);
    const txn = options?.txn;
    if (txn !== undefined) {
      try {
        txn.checkOpen('ack');
      } catch (err) {
        return Promise.reject(err);
      }
      this.#unacked.forget(id);
      this.#nacked.forget(id);
      txn.onAbort(() => child.redeliver([id]));
      return txn.track(
        txn
          .registerAckedSubscription(child.topic, this.subscription)
          .then(() => child.ackInTxn(id, txn.id))
          .then(() => this.#metrics.acked(child.topic, 1)),
      );
    }
    this.#unacked.forget(id);
    this.#nacked.forget(id);
    this.#metrics.acked(child.topic, 1);
    if (options?.receipt === true) return child.ackWithReceipt(id);
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
  async ackAll(messages: readonly Message[], options: { txn: Transaction }): Promise<void> {
    const txn = options.txn;
    const byChild = new Map<TopicConsumer, MessageId[]>();
    for (const m of messages) {
      const child = this.#childFor(m);
      this.#unacked.forget(m.id);
      this.#nacked.forget(m.id);
      const list = byChild.get(child) ?? [];
      list.push(m.id);
      byChild.set(child, list);
    }
    const work: Promise<void>[] = [];
    for (const [child, ids] of byChild) {
      txn.onAbort(() => child.redeliver(ids));
      const acked = txn
        .registerAckedSubscription(child.topic, this.subscription)
        .then(() => child.ackManyInTxn(ids, txn.id))
        .then(() => this.#metrics.acked(child.topic, ids.length));
      work.push(txn.track(acked));
    }
    await Promise.all(work);
  }

  /** Acknowledge everything up to and including `m` (Exclusive/Failover only). */
  ackCumulative(m: Message | MessageId): void {
    if (this.#cfg.subscriptionType === 'Shared' || this.#cfg.subscriptionType === 'Key_Shared') {
      throw cumulativeAckNotAllowedError(this.#cfg.subscriptionType);
    }
    const id = m instanceof MessageId ? m : m.id;
    const child = this.#childFor(m);
    this.#unacked.deleteUpTo(child.topic, id);
    this.#metrics.acked(child.topic, 1);
    child.ackCumulative(id);
  }

  /** Ask for redelivery after negativeAckRedeliveryDelayMs (or to the DLQ past maxRedeliverCount). */
  nack(m: Message): void {
    this.#unacked.forget(m.id);
    this.#nacked.add(m);
  }

  /**
   * Ask the broker to send everything unacknowledged again (REDELIVER_UNACKNOWLEDGED_MESSAGES
   * without ids). Exclusive/Failover rewind to the first unacknowledged message, in order, and
   * drop what is queued here (the consumer epoch discards copies already on the wire).
   */
  redeliverUnacknowledged(): void {
    for (const c of this.#children.all()) c.redeliver(undefined);
  }

  /**
   * FLOW permits the broker still holds for this consumer (granted, not yet used by a message),
   * as this side counts them. A paused consumer's broker reads nothing once this is 0.
   */
  get brokerPermits(): number {
    let n = 0;
    for (const c of this.#children.all()) n += c.brokerPermits;
    return n;
  }

  pause(): void {
    this.#paused = true;
    for (const c of this.#children.all()) c.pause();
  }

  resume(): void {
    this.#paused = false;
    for (const c of this.#children.all()) c.resume();
  }

  /** Delete the subscription on the broker (UNSUBSCRIBE), then close. */
  async unsubscribe(): Promise<void> {
    if (this.#state === 'closed') throw alreadyClosedError('consumer');
    await Promise.all(this.#children.all().map((c) => c.unsubscribe()));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#stopTimers();
    await Promise.all([this.#discovery?.stop(), this.#children.stop()]);
    await Promise.all(this.#children.all().map((c) => c.close()));
    this.#state = 'closed';
    this.#queue.rejectWaiters(alreadyClosedError('consumer'));
    await this.#dlq?.close();
    this.#deps.onClose();
  }

  /** SEEK every partition to a message id (on its partition) or a publish time. */
  async seek(target: MessageId | number): Promise<void> {
    const children = this.#children.all();
    if (typeof target === 'number' || children.length === 1) {
      await Promise.all(children.map((c) => c.seek(target)));
    } else {
      const c = children.find((ch) => ch.partition === target.partition);
      if (c === undefined)
        throw new BeamlineError(PULSAR_ERROR_CODES.seekInvalid, 'no partition matches the message id', {
          details: { id: target.toString() },
        });
      await c.seek(target);
    }
    this.#lastTaken.clear();
    this.#lastKnown.clear();
  }

  /** Last message id per partition, from the broker (GET_LAST_MESSAGE_ID). */
  async getLastMessageIds(): Promise<MessageId[]> {
    return Promise.all(this.#children.all().map(async (c) => (await c.getLastMessageId()).last));
  }

  /** True when the broker holds messages this consumer has not received yet. */
  async hasMessageAvailable(): Promise<boolean> {
    if (this.queued > 0) return true;
    // The broker said earlier that messages past the last one taken exist: they are on their way,
    // so wait a moment for one before asking again. A reader that keeps up with delivery found
    // its queue empty before nearly every message and asked each time (measured: a restore of
    // 4,400 records made 4,400 GET_LAST_MESSAGE_ID round trips, 70% of its time). Only a message
    // actually queued answers true here; otherwise the broker is asked, as before.
    if (this.#expectsMore() && (await this.#queue.whenNonEmpty(EXPECTED_MESSAGE_WAIT_MS))) return true;
    for (const c of this.#children.all()) {
      const { last, markDelete } = await c.getLastMessageId();
      this.#lastKnown.set(c, last);
      if (last.entryId < 0n) continue;
      // Compare with what the application has taken: messages may land in the queue meanwhile.
      if (this.queued > 0) return true;
      const seen = this.#lastTaken.get(c);
      if (seen === undefined && this.#cfg.startRollbackDurationSec > 0 && markDelete !== undefined) {
        // The broker rewound the cursor by time: it knows where, the start id does not say.
        if (afterId(last, markDelete)) return true;
        continue;
      }
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

  /** Did the broker's last answer name, on some partition, a message after the last one taken? */
  #expectsMore(): boolean {
    for (const c of this.#children.all()) {
      const last = this.#lastKnown.get(c);
      if (last === undefined || last.entryId < 0n) continue;
      const seen = this.#lastTaken.get(c);
      if (seen !== undefined && afterId(last, seen)) return true;
    }
    return false;
  }

  // --- MessageSink ------------------------------------------------------------------------------

  deliver(msg: Message, from: TopicConsumer): void {
    this.#queue.push(msg, from);
  }

  dropQueued(from: TopicConsumer): number {
    return this.#queue.drop(from);
  }

  failed(from: TopicConsumer, err: unknown): void {
    this.#log.error({ topic: from.topic, err: (err as Error).message }, 'consumer failed');
    this.#error = err;
    this.#queue.rejectWaiters(err);
  }

  // --- internals --------------------------------------------------------------------------------

  #taken(msg: Message, from: TopicConsumer): void {
    from.messageTaken(1);
    this.#metrics.received(msg.topic);
    this.#lastTaken.set(from, msg.id);
    this.#unacked.delivered(msg);
  }

  #childFor(m: Message | MessageId): TopicConsumer {
    if (!(m instanceof MessageId)) {
      const c = this.#children.get(m.topic);
      if (c !== undefined) return c;
    } else {
      const children = this.#children.all();
      if (children.length === 1) return children[0] as TopicConsumer;
      const c = children.find((ch) => ch.partition === m.partition && ch.partition >= 0);
      if (c !== undefined && children.every((ch) => parseTopicName(ch.topic).base === parseTopicName(c.topic).base)) return c;
    }
    throw new BeamlineError(
      PULSAR_ERROR_CODES.unknownMessage,
      'the message does not belong to this consumer (pass the Message for multi-topic consumers)',
    );
  }

  /** The topic (or partition) was deleted: close its consumer and drop what it queued. */
  async #removeTopic(topic: string): Promise<void> {
    const child = this.#children.remove(topic);
    if (child === undefined) return;
    this.#queue.drop(child);
    this.#lastTaken.delete(child);
    this.#log.info({ topic }, 'topic deleted; its consumer closed');
    await child.close();
  }

  #stopTimers(): void {
    this.#nacked.stop();
    this.#unacked.stop();
  }

  /** Redeliver, sending messages past maxRedeliverCount to the dead-letter topic instead. */
  async #redeliver(msgs: Message[]): Promise<void> {
    if (msgs.length === 0 || this.#state !== 'ready') return;
    const dlq = this.#dlq;
    const byChild = new Map<TopicConsumer, MessageId[]>();
    for (const m of msgs) {
      const child = this.#children.get(m.topic);
      if (child === undefined) continue;
      if (dlq !== undefined && dlq.exhausted(m)) {
        try {
          await dlq.send(m);
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
}

/** Is broker id `last` past the consumer's `seen` id (batch aware)? */
function afterId(last: MessageId, seen: MessageId): boolean {
  if (last.ledgerId !== seen.ledgerId) return last.ledgerId > seen.ledgerId;
  if (last.entryId !== seen.entryId) return last.entryId > seen.entryId;
  if (seen.batchIndex < 0) return false;
  if (last.batchIndex >= 0) return last.batchIndex > seen.batchIndex;
  return seen.batchSize > 0 && seen.batchIndex < seen.batchSize - 1;
}
