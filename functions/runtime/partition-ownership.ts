/**
 * One namespace, many replicas (#17): ownership by partition.
 *
 * The namespace's `events` topic and its `state` topic have the same number of partitions; the
 * state of a record read from input partition p lives in state partition p. A replica owns a set
 * of input partitions at a time, and for each one it runs its own NamespaceWorker: its own
 * keyed state, windows and watermark, restored from state partition p alone. A replica holds
 * only the state of the partitions it owns, so memory and restore time divide by the replicas.
 *
 * Assignment: a Failover subscription on each input partition, every replica a consumer of
 * every partition under its own consumer name. The broker makes exactly one consumer per
 * partition active (consumers sorted by priority and name, partition p to the (p mod n)-th),
 * so n replicas get ceil/floor(partitions / n) partitions each, and it tells each consumer when
 * it becomes or stops being active (ACTIVE_CONSUMER_CHANGE). Chosen over an explicit assignment
 * through a compacted coordination topic because the broker already has what that would have to
 * rebuild: membership (a replica's connection, with the broker's keep-alive as its failure
 * detector), one owner per partition at a time for delivery, and a rewind of the partition to
 * its first unacknowledged message for the new owner, in order. Our own protocol would need
 * leases, heartbeats and a fencing scheme of its own and still depend on the broker for the
 * hand-over of unacknowledged messages.
 *
 * Hand-over and zombies: see #gain() below.
 */
import { systemClock, type Clock } from '../clock.ts';
import type { ActiveConsumerChange, Consumer, Producer, PulsarClient, Schema } from '../pulsar/index.ts';
import { silentLogger, type Logger } from '../telemetry.ts';
import type { NamespaceWorker, WorkerState } from './namespace-worker.ts';
import { FirstSendGate } from './first-send-gate.ts';
import { awaitLeftoverPermits } from './leftover-permits.ts';
import { OwnershipJournal } from './ownership-journal.ts';
import { PulsarWorkerIo, type TopicStatsSource } from './pulsar-io.ts';
import { StandbySet } from './standby-set.ts';
import type { OutputTopic } from '../topics.ts';
import type { WorkerIo } from './worker-io.ts';
import { namespaceTopic, type WorkerConfig } from './worker-options.ts';

/** After a partition's worker failed to start (its restore), try again after this long. */
const RETRY_GAIN_MS = 1_000;
/**
 * Pause before a partition restarted after a failed commit is taken up again: a zombie's pending
 * transaction keeps failing the new owner's acks until it ends, and each round re-reads state.
 */
const RESTART_PAUSE_MS = 500;
/** Added to transactionTimeoutMs when a new owner without a journal waits out the previous owner. */
const FENCE_MARGIN_MS = 2_000;
/** How often a failed partition worker is looked for (and restarted). */
const WATCH_MS = 1_000;

/** What happened to a partition, for logs, the live view and the scale benchmark. */
export interface PartitionEvent {
  readonly partition: number;
  /** gained: restored and running; lost: drained and dropped; committed: first commit after a gain. */
  readonly kind: 'gained' | 'lost' | 'restarted' | 'committed';
  readonly atMs: number;
  /** gained: keys restored from the state partition and how long the restore took. */
  readonly restoredKeys?: number;
  readonly restoreMs?: number;
  /**
   * gained: time before the rewind: fencing the previous owner (ending its open transactions)
   * and, on a regain, waiting for the broker to use permits left from the earlier ownership.
   */
  readonly fenceMs?: number;
  /** gained: restored from this replica's standby of the partition (standbyState). */
  readonly fromStandby?: boolean;
}

export interface PartitionedWorkerDeps {
  client: PulsarClient;
  /** Input partitions (= state partitions). */
  partitions: number;
  /** This replica's consumer name: unique per replica (the broker orders replicas by it). */
  replicaId: string;
  /** Builds the worker of one owned partition over its port (no I/O). */
  newWorker(io: WorkerIo, partition: number): NamespaceWorker<unknown>;
  /** @default silentLogger */
  log?: Logger;
  /** @default systemClock */
  clock?: Clock;
  stats?: TopicStatsSource;
  schemas?: Partial<Record<OutputTopic, Schema<unknown>>>;
  /** Called on each partition event. @default none */
  onEvent?: (e: PartitionEvent) => void;
}

interface Owned {
  readonly worker: NamespaceWorker<unknown>;
  readonly io: PulsarWorkerIo;
  /** This ownership's records in the partition's ownership journal. */
  readonly journal: OwnershipJournal;
  readonly gen: number;
  committed: boolean;
}

interface Slot {
  readonly partition: number;
  consumer: Consumer | undefined;
  /** The broker's last word for this replica's consumer of the partition. */
  active: boolean;
  /** When the broker last made this consumer the active one (monotonic ms). */
  activeSinceMs: number;
  owned: Owned | undefined;
  /** A failed commit of this generation asks for a restart (re-read state, rewind). */
  restartGen: number | undefined;
  /** Gains, losses and restarts of one partition run one after another. */
  chain: Promise<void>;
}

/** A replica of a namespace worker that owns partitions (see the top of this file). */
export class PartitionedWorker {
  readonly config: WorkerConfig;
  readonly #deps: PartitionedWorkerDeps;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #slots: Slot[];
  /** Output producers shared by the partitions' workers (the state producer is per partition). */
  readonly #producers = new Map<OutputTopic, Promise<Producer>>();
  /** Each shared output topic's first transactional message goes alone (first-send-gate.ts). */
  readonly #firstSends = new FirstSendGate<OutputTopic>();
  /** standbyState: warm copies of the state partitions this replica does not own. */
  readonly #standbys: StandbySet;
  #state: WorkerState = 'created';
  #gen = 0;
  #processedBefore = 0;
  #starting: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  #failure: unknown;

  constructor(config: WorkerConfig, deps: PartitionedWorkerDeps) {
    this.config = config;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({ component: 'partitions', replica: deps.replicaId });
    this.#standbys = new StandbySet(config, { client: deps.client, log: this.#log, clock: this.#clock });
    this.#slots = Array.from({ length: deps.partitions }, (_, partition) => ({
      partition,
      consumer: undefined,
      active: false,
      activeSinceMs: 0,
      owned: undefined,
      restartGen: undefined,
      chain: Promise.resolve(),
    }));
  }

  get state(): WorkerState {
    return this.#state;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Inputs committed by this replica since start, over every partition it owned. */
  get processed(): number {
    let n = this.#processedBefore;
    for (const s of this.#slots) n += s.owned?.worker.processed ?? 0;
    return n;
  }

  /** The partitions this replica owns now (restoring or running), ascending. */
  get owned(): number[] {
    return this.#slots.filter((s) => s.owned !== undefined).map((s) => s.partition);
  }

  /** Subscribes to every input partition (Failover); owned partitions restore, then run. Idempotent. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /**
   * Finishes the batch in flight of every owned partition, then closes the consumers: the broker
   * hands the partitions to the other replicas. Idempotent.
   */
  drain(): Promise<void> {
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  close(): Promise<void> {
    return this.drain();
  }

  async #start(): Promise<void> {
    this.#state = 'restoring';
    const input = namespaceTopic(this.config, this.config.inputTopic);
    // standbyState: warm up before joining. The broker hands this replica partitions the moment
    // it subscribes, and the previous owners stop deciding them then: with every state partition
    // already read here, each of those gains restores only what was committed since (Kafka
    // Streams' warm-up replicas, KIP-441), and the joining replica pays the full read while the
    // namespace keeps running.
    if (this.config.standbyState) await this.#warmUp();
    try {
      await Promise.all(
        this.#slots.map(async (slot) => {
          slot.consumer = await this.#deps.client.subscribe({
            topic: `${input}-partition-${slot.partition}`,
            subscription: this.config.subscription,
            subscriptionType: 'Failover',
            consumerName: this.#deps.replicaId,
            initialPosition: 'Earliest',
            receiverQueueSize: Math.min(this.config.maxInFlight, 1000),
            // FLOW only once owned and rewound (leftover-permits.ts says why).
            startPaused: true,
            negativeAckRedeliveryDelayMs: 0,
            batchIndexAckEnabled: true,
            // Partitions are never added to the consumer: the partition count is fixed per slot.
            partitionsAutoUpdateIntervalMs: 0,
            onActiveChange: (c: ActiveConsumerChange) => this.#onActive(slot, c.active),
          });
        }),
      );
    } catch (err) {
      this.#state = 'failed';
      this.#failure = err;
      await Promise.allSettled(this.#slots.map((s) => s.consumer?.close()));
      throw err;
    }
    if (this.#state !== 'restoring') return;
    this.#state = 'running';
    this.#log.info({ partitions: this.#slots.length }, 'replica subscribed to every partition');
    // The broker may have said "active" while the subscription was still being set up.
    for (const s of this.#slots) void this.#schedule(s);
    this.#watch();
    this.#fillStandbys();
  }

  /** standbyState: a standby of every partition, each read to the end, before subscribing. */
  async #warmUp(): Promise<void> {
    const t0 = this.#clock.monotonic();
    const keys = await this.#standbys.warmUp(this.#slots.map((s) => s.partition));
    this.#log.info({ keys, ms: this.#clock.monotonic() - t0 }, 'standbys caught up; joining');
  }

  /** standbyState: a standby for each partition not owned here. */
  #fillStandbys(): void {
    if (!this.config.standbyState || this.#state !== 'running') return;
    this.#standbys.fill(this.#slots.filter((s) => !s.active && s.owned === undefined).map((s) => s.partition));
  }

  /** A partition worker whose loop failed is restarted (re-read state, rewind). */
  #watch(): void {
    if (this.#state !== 'running') return;
    for (const s of this.#slots) if (s.owned?.worker.state === 'failed') void this.#schedule(s);
    this.#clock.setTimeout(() => this.#watch(), WATCH_MS);
  }

  async #drain(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (this.#state !== 'failed') this.#state = 'draining';
    this.#log.info({ owned: this.owned }, 'replica draining');
    await Promise.all(this.#slots.map((s) => this.#schedule(s)));
    // Consumers first: the broker hands the partitions on as soon as they close.
    await Promise.allSettled(this.#slots.map((s) => s.consumer?.close()));
    await this.#standbys.close();
    const producers = await Promise.allSettled(this.#producers.values());
    await Promise.allSettled(producers.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
    if (this.#state !== 'failed') this.#state = 'closed';
    this.#log.info({ processed: this.processed }, 'replica closed');
  }

  #onActive(slot: Slot, active: boolean): void {
    slot.active = active;
    if (active) slot.activeSinceMs = this.#clock.monotonic();
    // At once, not after the queued steps: no transaction of this partition starts from here on.
    if (!active) {
      slot.owned?.io.revoke();
      slot.owned?.journal.revoke();
      slot.consumer?.pause();
    }
    this.#log.info({ partition: slot.partition, active }, 'partition active consumer changed');
    if (this.#state === 'running') void this.#schedule(slot);
  }

  /** Brings the partition's worker in line with the broker's word, after what is already queued. */
  #schedule(slot: Slot): Promise<void> {
    slot.chain = slot.chain
      .then(() => this.#reconcile(slot))
      .catch((err: unknown) => {
        this.#log.error({ partition: slot.partition, err }, 'partition hand-over step failed');
      });
    return slot.chain;
  }

  async #reconcile(slot: Slot): Promise<void> {
    const want = slot.active && this.#state === 'running' && slot.consumer !== undefined;
    const owned = slot.owned;
    if (owned !== undefined && (!want || slot.restartGen === owned.gen || owned.worker.state === 'failed')) {
      const restart = want;
      await this.#lose(slot, owned, restart ? 'restarted' : 'lost');
      if (restart) await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, RESTART_PAUSE_MS));
    }
    // Looked at again: the broker or a drain may have spoken during the pause.
    if (slot.active && this.#state === 'running' && slot.owned === undefined) await this.#gain(slot);
  }

  /**
   * Hand-over, the new owner's side. Runs when the broker made this replica's consumer the active
   * one for partition p (or to restart p after a failed commit).
   *
   * 1. Fence: through p's ownership journal (ownership-journal.ts), shut every earlier owner out
   *    of starting a transaction on p, and end the transactions they recorded as possibly open
   *    (abort, or learn that a commit won). Where the namespace has no journal (a tenant applied
   *    before it existed), wait transactionTimeoutMs (+ 2 s) instead: by then the coordinator has
   *    ended every transaction the previous owner could have opened on p.
   * 2. Rewind: everything unacknowledged on p is sent again, in partition order; nothing queued
   *    from an earlier ownership survives (the consumer epoch drops copies on the wire).
   * 3. Restore: keyed state, windows and watermark of p from state partition p. A reader sees
   *    only committed transactions, so this is exactly what every committed batch of p left.
   * 4. Run: only then is the first record of p decided.
   *
   * Why a batch is never applied twice, nor on stale state, with a zombie old owner (a paused
   * process, a slow network) still committing:
   * - A batch acknowledges its inputs in its own transaction, with its outputs and its state
   *   records for p. A second transactional ack of a message acknowledged by a committed (or
   *   still pending) transaction is refused (TransactionConflict): no input commits twice.
   * - Stale state would need a batch of the old owner to commit after the new owner read state
   *   partition p. The broker does not dispatch messages held by another transaction's pending
   *   ack (measured: without a fence the new owner decided later inputs of the same keys, and the
   *   held ones, redelivered after the zombie's transaction aborted, were taken for already
   *   committed), so the ack conflict alone does not catch it; step 1 does. The old owner records
   *   each transaction in the journal before the transaction's first send or ack, and after the
   *   fence the broker refuses its records, so it starts no transaction on p any more; every one
   *   it recorded is ended in step 1, before step 3 reads state. (Without a journal: every
   *   transaction of the old owner that can hold acks on p was opened before the broker dropped
   *   its consumer, and after transactionTimeoutMs the coordinator has ended them all.)
   * - Any failed commit restarts the partition here (onFailedCommit -> #lose -> #gain): state is
   *   re-read from state partition p, never undone in memory.
   * The zombie test (test/integration/worker-replicas.test.ts) checks the outcome end to end.
   */
  async #gain(slot: Slot): Promise<void> {
    const consumer = slot.consumer as Consumer;
    const gen = ++this.#gen;
    const partition = slot.partition;
    const claim = `${this.#deps.replicaId}/${gen}/${globalThis.crypto.randomUUID().slice(0, 8)}`;
    // A standby of p (standbyState) is handed to the first restore; it ends here either way.
    const standby = this.#standbys.take(partition);
    const journal = new OwnershipJournal(
      this.config,
      { client: this.#deps.client, log: this.#log, clock: this.#clock, replicaId: this.#deps.replicaId },
      partition,
      claim,
    );
    const io = PulsarWorkerIo.forPartition(
      this.config,
      {
        client: this.#deps.client,
        log: this.#log,
        producerId: this.#deps.replicaId,
        ...(this.#deps.stats === undefined ? {} : { stats: this.#deps.stats }),
        ...(this.#deps.schemas === undefined ? {} : { schemas: this.#deps.schemas }),
      },
      {
        consumer,
        partition,
        producers: this.#producers,
        firstSends: this.#firstSends,
        journal,
        standby,
        onFailedCommit: (err) => {
          if (slot.owned?.gen !== gen) return;
          this.#log.warn({ partition, err }, 'commit failed; partition restarts from its committed state');
          slot.restartGen = gen;
          void this.#schedule(slot);
        },
        onCommitted: () => {
          const o = slot.owned;
          if (o === undefined || o.gen !== gen || o.committed) return;
          o.committed = true;
          this.#emit({ partition, kind: 'committed', atMs: this.#clock.now() });
        },
      },
    );
    const worker = this.#deps.newWorker(io, partition);
    slot.owned = { worker, io, journal, gen, committed: false };
    let t0 = this.#clock.monotonic();
    let fenceMs: number;
    let leftover: { permits: number; ms: number };
    try {
      const fence = await journal.fence();
      if (fence.mode === 'unavailable') {
        const waitMs = this.config.transactionTimeoutMs + FENCE_MARGIN_MS;
        this.#log.warn(
          { partition, waitMs, reason: fence.reason, fix: "run `beamline tenant apply` again: it creates the namespace's owners topic" },
          "no ownership journal; waiting out the previous owner's transactions",
        );
        await this.#clock.sleep(waitMs);
      }
      fenceMs = this.#clock.monotonic() - t0;
      leftover = await awaitLeftoverPermits(consumer, slot.activeSinceMs, this.#clock);
      if (slot.owned?.gen !== gen || !slot.active) {
        // Lost again while fencing.
        if (slot.owned?.gen === gen) slot.owned = undefined;
        await standby?.close();
        await journal.close();
        await io.close();
        void this.#schedule(slot);
        return;
      }
      t0 = this.#clock.monotonic();
      consumer.redeliverUnacknowledged();
      // Reads start after the rewind: nothing was in flight to cross it.
      consumer.resume();
      await worker.start();
    } catch (err) {
      this.#log.error({ partition, err }, 'partition restore failed; trying again');
      // The retry rewinds again: no permits meanwhile (it may have resumed before the failure).
      consumer.pause();
      void standby?.close();
      slot.owned = undefined;
      await worker.drain(0).catch(() => undefined);
      await journal.close();
      this.#clock.setTimeout(() => void this.#schedule(slot), RETRY_GAIN_MS);
      return;
    }
    const restoreMs = this.#clock.monotonic() - t0;
    this.#log.info(
      { partition, fenceMs, restoreMs, leftoverPermits: leftover.permits, leftoverWaitMs: leftover.ms, owned: this.owned },
      'partition gained: state restored, running',
    );
    this.#emit({
      partition,
      kind: 'gained',
      atMs: this.#clock.now(),
      fenceMs: fenceMs + leftover.ms,
      restoreMs,
      restoredKeys: io.restoredKeys,
      fromStandby: io.restoredFromStandby,
    });
  }

  /** Finishes (or, past the deadline, abandons) the batch in flight, then drops p's state. */
  async #lose(slot: Slot, owned: Owned, kind: 'lost' | 'restarted'): Promise<void> {
    slot.owned = undefined;
    slot.restartGen = undefined;
    // A restart keeps the partition: no more permits until its next rewind.
    slot.consumer?.pause();
    owned.io.revoke();
    owned.journal.revoke();
    await owned.worker.drain(this.config.drainDeadlineMs);
    // A batch past the deadline may still be committing: the next owner's fence ends it.
    await owned.journal.close();
    this.#processedBefore += owned.worker.processed;
    this.#log.info({ partition: slot.partition, kind, owned: this.owned }, 'partition released: state dropped');
    this.#emit({ partition: slot.partition, kind, atMs: this.#clock.now() });
    if (kind === 'lost') this.#fillStandbys();
  }

  #emit(e: PartitionEvent): void {
    try {
      this.#deps.onEvent?.(e);
    } catch (err) {
      this.#log.warn({ err }, 'partition event listener failed');
    }
  }
}
