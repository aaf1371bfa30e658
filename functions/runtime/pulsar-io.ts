/**
 * `WorkerIo` on the Pulsar client: a Key_Shared subscription on the namespace's input topic,
 * one producer per output topic, and the compacted `state` topic read back for restores.
 *
 * Guarantees:
 * - effectively-once: outputs, state changes and input acks of a batch go in one transaction.
 *   commit() learns the transaction's outcome before it returns (#27): committed (resolves),
 *   aborted (the abort is confirmed, retried until the coordinator answers, so the inputs can
 *   be redelivered), or unknown (BL_WORKER_COMMIT_OUTCOME_UNKNOWN: the coordinator no longer
 *   knows a transaction whose commit may have landed; the worker reads its marker back). A
 *   coordinator that does not answer is asked again (END_TXN) for as long as the worker runs.
 * - at-least-once: outputs (with producer de-duplication on the output topics), then acks. A
 *   crash between the two redelivers the batch; outputs may then appear twice.
 *
 * #17: `forPartition()` builds the port for one input partition a replica owns (see
 * partition-ownership.ts): the caller's Failover consumer on that partition, the `state` topic's
 * partition with the same index for restores and state records, and output producers shared by
 * the replica's partitions. It leaves the consumer and the shared producers open on close().
 */
import { hostname } from 'node:os';
import type { Logger } from '../telemetry.ts';
import { systemClock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import type {
  Consumer,
  Message,
  OutgoingMessage,
  PartitionedTopicStats,
  Producer,
  PulsarClient,
  Schema,
  TopicStats,
  Transaction,
} from '../pulsar/index.ts';
import { RUNTIME_ERROR_CODES } from './errors.ts';
import type { InputMessage, OutputMessage } from './records.ts';
import type { OutputTopic } from '../topics.ts';
import type { FirstSendGate } from './first-send-gate.ts';
import { COMMIT_OUTCOME_UNKNOWN, type ChangelogSnapshot, type WorkerIo } from './worker-io.ts';
import { ChangelogAccumulator, readToEnd } from './changelog-accumulator.ts';
import type { StateStandby } from './state-standby.ts';
import { namespaceTopic, type WorkerConfig } from './worker-options.ts';
import { DEFAULT_FILL_GAP_MS, receiveBatch, type BatchSource } from './batch-receive.ts';
import { priorityFirst, type LaneInput } from './lane-source.ts';
import { PULSAR_ERROR_CODES } from '../pulsar/index.ts';

/** #17: a commit refused because the partition moved to another replica (nothing was sent). */
export const PARTITION_REVOKED = RUNTIME_ERROR_CODES.partitionRevoked;
/** Pause between abort() rounds (each round retries END_TXN for outcomeTimeoutMs itself). */
const ABORT_RETRY_MS = 200;

/** The admin calls the backlog gauge needs (`PulsarAdmin.topics` fits). */
export interface TopicStatsSource {
  getStats(topic: string): Promise<TopicStats>;
  getPartitionedStats(topic: string): Promise<PartitionedTopicStats>;
}

export interface PulsarWorkerIoDeps {
  client: PulsarClient;
  log: Logger;
  /** Topic stats for the subscription backlog gauge. @default none: backlog() is undefined */
  stats?: TopicStatsSource;
  /**
   * The schema each output topic's producer declares (topics with schema validation enforced
   * refuse producers without one). @default none: raw bytes
   */
  schemas?: Partial<Record<OutputTopic, Schema<unknown>>>;
  /**
   * This replica's part of its producers' names, unique per replica: two replicas of a namespace
   * in one process (each its own `startWorker`) must not claim the same producer name (the
   * broker refuses the second with ProducerBusy). @default `<hostname>-<pid>`
   */
  producerId?: string;
}

/** #17: one input partition's port (PulsarWorkerIo.forPartition). */
export interface PartitionIoDeps {
  /** Failover consumer on the input partition; the caller owns (and closes) it. */
  consumer: Consumer;
  /** The partition index: state lives in the `state` topic's partition with this index. */
  partition: number;
  /** Output producers shared by the replica's partitions (the caller closes them). */
  producers: Map<OutputTopic, Promise<Producer>>;
  /** Called when a commit failed (before commit() rejects): the owner restarts the partition. */
  onFailedCommit: (err: unknown) => void;
  /** Called after each committed batch. */
  onCommitted: () => void;
  /**
   * The ownership's journal (ownership-journal.ts): each transaction is recorded there before it
   * touches the partition. @default none (no other replica ends this one's transactions)
   */
  journal?: TxnJournal;
  /**
   * A warm copy of the state partition (state-standby.ts), taken by the first restore instead of
   * reading the partition from its start. @default none
   */
  standby?: StateStandby | undefined;
  /**
   * Shared by the replica's partitions: each shared output topic's first transactional message
   * from this process goes alone (first-send-gate.ts says why). @default none
   */
  firstSends?: FirstSendGate<OutputTopic>;
}

/** What a partition port needs of its OwnershipJournal. */
export interface TxnJournal {
  opened(txn: Transaction): Promise<void>;
  ended(txn: Transaction): void;
}

export class PulsarWorkerIo implements WorkerIo {
  readonly #config: WorkerConfig;
  readonly #client: PulsarClient;
  readonly #log: Logger;
  readonly #consumer: Consumer;
  /** #26: the priority lane's consumer (`priorityTopic`), taken from first. */
  readonly #lane: Consumer | undefined;
  /** #26: messages received from the lane (their acks and nacks go to its consumer). */
  readonly #fromLane = new WeakSet<Message>();
  readonly #stats: TopicStatsSource | undefined;
  readonly #producerId: string;
  readonly #schemas: Partial<Record<OutputTopic, Schema<unknown>>>;
  readonly #producers: Map<OutputTopic, Promise<Producer>>;
  readonly #part: PartitionIoDeps | undefined;
  /** #17: the partition's standby, until the first restore takes it. */
  #standby: StateStandby | undefined;
  /** Partition mode: the state partition's producer (not shared). */
  #stateProducer: Promise<Producer> | undefined;
  #paused = false;
  /** Partition mode: the partition was lost; no new commit may start (see revoke()). */
  #revoked = false;
  #restoredKeys = 0;
  #restoredFromStandby = false;
  #closed = false;

  private constructor(config: WorkerConfig, deps: PulsarWorkerIoDeps, consumer: Consumer, part?: PartitionIoDeps, lane?: Consumer) {
    this.#config = config;
    this.#client = deps.client;
    this.#log = deps.log.child({ component: 'worker-io', ...(part === undefined ? {} : { partition: part.partition }) });
    this.#consumer = consumer;
    this.#lane = lane;
    this.#stats = deps.stats;
    this.#producerId = deps.producerId ?? `${hostname()}-${process.pid}`;
    this.#schemas = deps.schemas ?? {};
    this.#part = part;
    this.#standby = part?.standby;
    this.#producers = part?.producers ?? new Map();
  }

  /** #17: the port for one owned input partition (no I/O until used). */
  static forPartition(config: WorkerConfig, deps: PulsarWorkerIoDeps, part: PartitionIoDeps): PulsarWorkerIo {
    return new PulsarWorkerIo(config, deps, part.consumer, part);
  }

  /** The `state` topic, or in partition mode its partition with the input partition's index. */
  #stateTopic(): string {
    const t = namespaceTopic(this.#config, 'state');
    return this.#part === undefined ? t : `${t}-partition-${this.#part.partition}`;
  }

  static async create(config: WorkerConfig, deps: PulsarWorkerIoDeps): Promise<PulsarWorkerIo> {
    const subscribe = (topic: string): Promise<Consumer> =>
      deps.client.subscribe({
        topic: namespaceTopic(config, topic),
        subscription: config.subscription,
        subscriptionType: 'Key_Shared',
        initialPosition: 'Earliest',
        receiverQueueSize: Math.min(config.maxInFlight, 1000),
        // A committed batch is acked explicitly; a failed one is handed back with nack, at once:
        // the worker holds newer inputs of its keys until they are back (#27).
        negativeAckRedeliveryDelayMs: 0,
        batchIndexAckEnabled: true,
      });
    const consumer = await subscribe(config.inputTopic);
    let lane: Consumer | undefined;
    if (config.priorityTopic !== undefined) {
      try {
        lane = await subscribe(config.priorityTopic);
      } catch (err) {
        await consumer.close().catch(() => undefined);
        throw err;
      }
    }
    return new PulsarWorkerIo(config, deps, consumer, undefined, lane);
  }

  /** The consumer a received input came from (the priority lane's or the input topic's). */
  #consumerOf(m: Message): Consumer {
    return this.#lane !== undefined && this.#fromLane.has(m) ? this.#lane : this.#consumer;
  }

  async readChangelog(): Promise<ChangelogSnapshot> {
    // #17: the first restore of a gained partition takes a standby's warm copy when there is one
    // (it reads only what was committed since); later ones (after a failed commit) read it all.
    const standby = this.#standby;
    if (standby !== undefined) {
      this.#standby = undefined;
      const warm = await standby.take();
      if (warm !== undefined) {
        this.#restoredKeys = warm.snapshot.state.length + warm.snapshot.windows.length;
        this.#restoredFromStandby = true;
        return warm.snapshot;
      }
    }
    this.#restoredFromStandby = false;
    const reader = await this.#client.createReader({
      topic: this.#stateTopic(),
      startMessageId: 'earliest',
      readCompacted: true,
      receiverQueueSize: 1000,
    });
    const acc = new ChangelogAccumulator();
    try {
      await readToEnd(reader, acc, this.#config.transactionTimeoutMs);
    } finally {
      await reader.close();
    }
    this.#restoredKeys = acc.keys;
    return acc.snapshot();
  }

  receive(max: number, firstWaitMs: number, fillWaitMs: number): Promise<InputMessage[]> {
    // #17: a partition being handed over takes no new input.
    if (this.#paused && this.#part !== undefined) return Promise.resolve([]);
    // Adaptive fill (#18): no wait when input is already buffered, short gaps when it is slow.
    const consumer = this.#consumer;
    const lane = this.#lane;
    const source: BatchSource<InputMessage> =
      lane === undefined
        ? {
            get queued() {
              return consumer.queued;
            },
            receive: (ms) => this.#receiveOne(ms),
          }
        : priorityFirst(
            laneInput(lane, (m) => this.#fromLane.add(m)),
            laneInput(consumer, () => undefined),
            systemClock,
          );
    return receiveBatch(source, systemClock, { max, firstWaitMs, fillWaitMs, fillGapMs: DEFAULT_FILL_GAP_MS });
  }

  async commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void> {
    if (this.#part === undefined) return this.#commit(outputs, inputs);
    try {
      await this.#commit(outputs, inputs);
    } catch (err) {
      this.#part.onFailedCommit(err);
      throw err;
    }
    this.#part.onCommitted();
  }

  /**
   * #17: the partition was lost (its consumer is no longer the active one, or lost its
   * connection): from now on commit() starts no transaction; one already started finishes.
   */
  revoke(): void {
    this.#revoked = true;
  }

  /** Keys (state and windows) the last readChangelog() returned. */
  get restoredKeys(): number {
    return this.#restoredKeys;
  }

  /** The last restore took a standby's warm copy (#17) rather than reading the partition. */
  get restoredFromStandby(): boolean {
    return this.#restoredFromStandby;
  }

  async #commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void> {
    if (this.#revoked)
      throw new BeamlineError(PARTITION_REVOKED, 'the partition moved to another replica; the batch is abandoned', { retriable: true });
    const producers = new Map<OutputTopic, Producer>();
    for (const o of outputs) if (!producers.has(o.topic)) producers.set(o.topic, await this.#producer(o.topic));
    if (this.#config.guarantee === 'at-least-once') {
      await Promise.all(outputs.map((o) => (producers.get(o.topic) as Producer).send(toOutgoing(o))));
      for (const i of inputs) this.#consumerOf(i.ref as Message).ack(i.ref as Message);
      return;
    }
    // effectively-once: outputs, state changelog and input acks commit or abort together.
    await this.#firstSends(producers);
    const txn = await this.#client.newTransaction({ timeoutMs: this.#config.transactionTimeoutMs });
    const journal = this.#part?.journal;
    if (journal !== undefined) {
      // #17: recorded before it touches the partition, so a new owner can end it (see the journal).
      try {
        await journal.opened(txn);
      } catch (err) {
        await this.#confirmAbort(txn);
        throw err;
      }
    }
    try {
      const sends = outputs.map((o) => (producers.get(o.topic) as Producer).send(toOutgoing(o), { txn }));
      // All input acks in one ACK command per partition (one pending-ack write each).
      const acks = this.#ackAll(inputs, txn);
      // Settle every operation before ending the transaction (commit() waits for them too).
      const ops = await Promise.allSettled([...sends, acks]);
      const failed = ops.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } catch (err) {
      // Never committed: the abort is certain once the coordinator confirms it.
      await this.#confirmAbort(txn);
      if (txn.state === 'aborted') journal?.ended(txn);
      throw err;
    }
    try {
      await this.#resolveCommit(txn);
    } finally {
      // An outcome still unknown stays listed: a new owner must end it.
      if (txn.state === 'committed' || txn.state === 'aborted') journal?.ended(txn);
    }
  }

  /**
   * commit() until the coordinator says committed or aborted. Returns when committed; throws
   * when aborted (abort confirmed) or when the coordinator no longer knows a transaction whose
   * commit may have landed (COMMIT_OUTCOME_UNKNOWN).
   */
  async #resolveCommit(txn: Transaction): Promise<void> {
    for (;;) {
      try {
        await txn.commit();
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (txn.state === 'error') {
          await this.#confirmAbort(txn);
          throw err;
        }
        if (code !== PULSAR_ERROR_CODES.txnOutcomeUnknown) throw err;
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        // Forgotten by the coordinator, or the client closed: asking again cannot tell.
        const forgotten =
          cause === PULSAR_ERROR_CODES.txnNotFound ||
          cause === PULSAR_ERROR_CODES.txnInvalidStatus ||
          cause === PULSAR_ERROR_CODES.alreadyClosed;
        if (forgotten || this.#closed) {
          throw new BeamlineError(COMMIT_OUTCOME_UNKNOWN, 'the transaction may or may not have committed', {
            retriable: true,
            cause: err,
            details: { txn: txn.toString() },
          });
        }
        this.#log.warn({ txn: txn.toString(), err }, 'transaction coordinator did not answer; asking again');
      }
    }
  }

  /** abort() until the coordinator confirms it (a never-committed transaction can only abort). */
  async #confirmAbort(txn: Transaction): Promise<void> {
    while (txn.state !== 'aborted') {
      try {
        await txn.abort();
      } catch (err) {
        const closed = (err as { code?: string }).code === PULSAR_ERROR_CODES.alreadyClosed;
        if (this.#closed || closed || (txn.state !== 'error' && txn.state !== 'open')) return;
        this.#log.warn({ txn: txn.toString(), err }, 'transaction abort not confirmed; asking again');
        await new Promise((resolve) => setTimeout(resolve, ABORT_RETRY_MS));
      }
    }
  }

  /** The inputs' acks in the transaction: one ACK command per partition of each lane. */
  #ackAll(inputs: readonly InputMessage[], txn: Transaction): Promise<void> {
    const lane = this.#lane;
    if (lane === undefined)
      return this.#consumer.ackAll(
        inputs.map((i) => i.ref as Message),
        { txn },
      );
    const mine: Message[] = [];
    const lanes: Message[] = [];
    for (const i of inputs) (this.#consumerOf(i.ref as Message) === lane ? lanes : mine).push(i.ref as Message);
    return Promise.all([
      mine.length === 0 ? undefined : this.#consumer.ackAll(mine, { txn }),
      lanes.length === 0 ? undefined : lane.ackAll(lanes, { txn }),
    ]).then(() => undefined);
  }

  release(inputs: readonly InputMessage[]): void {
    for (const i of inputs) this.#consumerOf(i.ref as Message).nack(i.ref as Message);
  }

  ackCommitted(inputs: readonly InputMessage[]): void {
    for (const i of inputs) this.#consumerOf(i.ref as Message).ack(i.ref as Message);
  }

  /**
   * The subscription's backlog from the broker's topic stats. The broker counts entries: a batch
   * of messages is one, so with batching producers this is a lower bound on messages.
   */
  async backlog(): Promise<number | undefined> {
    if (this.#stats === undefined) return undefined;
    if (this.#part !== undefined) {
      const stats = await this.#stats.getStats(
        `${namespaceTopic(this.#config, this.#config.inputTopic)}-partition-${this.#part.partition}`,
      );
      return stats.subscriptions?.[this.#config.subscription]?.msgBacklog;
    }
    const backlog = await this.#subscriptionBacklog(this.#stats, this.#config.inputTopic, this.#consumer);
    if (this.#lane === undefined || this.#config.priorityTopic === undefined || backlog === undefined) return backlog;
    // The lane's backlog counts too (it is input waiting for this worker).
    return backlog + ((await this.#subscriptionBacklog(this.#stats, this.#config.priorityTopic, this.#lane)) ?? 0);
  }

  /**
   * The subscription's backlog on one input topic. The consumer knows whether it subscribed to
   * partitions; a partitioned topic's stats add up its partitions' backlogs under the same
   * subscription name.
   */
  async #subscriptionBacklog(stats: TopicStatsSource, name: string, consumer: Consumer): Promise<number | undefined> {
    const topic = namespaceTopic(this.#config, name);
    const partitioned = consumer.topics.some((t) => /-partition-\d+$/.test(t));
    const s = partitioned ? await stats.getPartitionedStats(topic) : await stats.getStats(topic);
    return s.subscriptions?.[this.#config.subscription]?.msgBacklog;
  }

  pause(): void {
    // Partition mode: the consumer stays with the replica (its Failover membership); receive()
    // just stops returning batches.
    if (this.#part !== undefined) this.#paused = true;
    else {
      this.#consumer.pause();
      this.#lane?.pause();
    }
  }

  resume(): void {
    if (this.#part !== undefined) this.#paused = false;
    else {
      this.#consumer.resume();
      this.#lane?.resume();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#part !== undefined) {
      const state = await this.#stateProducer?.catch(() => undefined);
      await state?.close().catch(() => undefined);
      return;
    }
    const producers = await Promise.allSettled(this.#producers.values());
    await Promise.allSettled(producers.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
    await this.#lane?.close().catch(() => undefined);
    await this.#consumer.close();
  }

  async #receiveOne(timeoutMs: number): Promise<InputMessage | undefined> {
    try {
      const m = await this.#consumer.receive(Math.max(0, timeoutMs));
      return toInput(m);
    } catch (err) {
      if ((err as { code?: string }).code === PULSAR_ERROR_CODES.timeout) return undefined;
      throw err;
    }
  }

  /** Partition mode: waits until each shared output topic had its first transactional message alone. */
  async #firstSends(producers: ReadonlyMap<OutputTopic, Producer>): Promise<void> {
    const gate = this.#part?.firstSends;
    if (gate === undefined) return;
    const shared = [...producers].filter(([topic]) => topic !== 'state');
    await Promise.all(
      shared.map(([topic, producer]) =>
        gate
          .pass(topic, () => this.#abortedSend(producer))
          .catch((err: unknown) => {
            // Only a guard against a broker race: the batch goes on either way.
            this.#log.warn({ err, topic }, 'first transactional message failed; committing anyway');
          }),
      ),
    );
  }

  /** One empty message in a transaction that is then aborted: no consumer or reader ever sees it. */
  async #abortedSend(producer: Producer): Promise<void> {
    const txn = await this.#client.newTransaction({ timeoutMs: this.#config.transactionTimeoutMs });
    try {
      await producer.send({ payload: Buffer.alloc(0) }, { txn });
    } finally {
      await txn.abort();
    }
  }

  #producer(topic: OutputTopic): Promise<Producer> {
    if (this.#part !== undefined && topic === 'state') {
      // One producer per owned partition, named per partition ownership (a regained partition
      // gets a new one), writing into the state partition of the input partition's index.
      if (this.#stateProducer === undefined) {
        const p = this.#newProducer(topic, this.#stateTopic(), `-p${this.#part.partition}-${globalThis.crypto.randomUUID().slice(0, 8)}`);
        p.catch(() => {
          this.#stateProducer = undefined;
        });
        this.#stateProducer = p;
      }
      return this.#stateProducer;
    }
    let p = this.#producers.get(topic);
    if (p === undefined) {
      p = this.#newProducer(topic, namespaceTopic(this.#config, topic), '');
      p.catch(() => {
        this.#producers.delete(topic);
      });
      this.#producers.set(topic, p);
    }
    return p;
  }

  #newProducer(topic: OutputTopic, fullTopic: string, nameSuffix: string): Promise<Producer> {
    const p = this.#client.createProducer({
      topic: fullTopic,
      // Stable names let the broker de-duplicate resends after a reconnect.
      name: `beamline-${this.#config.subscription}-${topic}-${this.#producerId}${nameSuffix}`,
      batching: true,
      batchingMaxDelayMs: 1,
      // Mixed-key batches: a batch commits as one entry, and inside a transaction every entry is
      // a separate broker write (~3 ms here), so one-key batches made a 100-record commit take
      // ~1 s. The cost: a Key_Shared reader of an output topic is dispatched per batch, not per
      // key. TODO(#6): a per-topic option for outputs whose readers need per-key dispatch.
      batchingType: 'default',
      // Pulsar 4.0.7's compactor fails on compressed batches whose messages mostly survive
      // (IndexOutOfBoundsException dstIndex; the Java client's batches too), and the topic then
      // cannot be deleted until unloaded: the compacted `state` topic stays uncompressed.
      compression: topic === 'state' ? 'none' : 'lz4',
      ...(this.#schemas[topic] === undefined ? {} : { schema: this.#schemas[topic] }),
    });
    p.catch((err: unknown) => {
      this.#log.error({ err, topic }, 'producer failed');
    });
    return p;
  }
}

/** A consumer as one lane of priorityFirst(); `taken` sees each message it hands out. */
function laneInput(c: Consumer, taken: (m: Message) => void): LaneInput<InputMessage> {
  return {
    get queued() {
      return c.queued;
    },
    take: () => {
      const m = c.takeQueued();
      if (m === undefined) return undefined;
      taken(m);
      return toInput(m);
    },
    whenQueued: (ms) => c.whenQueued(ms),
  };
}

function toInput(m: Message): InputMessage {
  return {
    ref: m,
    topic: m.topic,
    messageId: m.id.toString(),
    key: m.key,
    payload: m.payload,
    properties: m.properties,
    eventTimeMs: m.eventTimeMs,
    publishTimeMs: m.publishTimeMs,
    schemaVersion: m.schemaVersion,
    redeliveryCount: m.redeliveryCount,
  };
}

function toOutgoing(o: OutputMessage): OutgoingMessage {
  return {
    payload: o.payload,
    ...(o.key === undefined ? {} : { key: o.key }),
    ...(o.properties === undefined ? {} : { properties: o.properties }),
    ...(o.eventTimeMs === undefined ? {} : { eventTimeMs: o.eventTimeMs }),
    ...(o.nullValue ? { nullValue: true } : {}),
  };
}
