/**
 * `beamline bridge pubsub-source`: a Pub/Sub subscription into a namespace's events topic.
 *
 * Each Pub/Sub message becomes one Pulsar message (ordering key -> key, attributes ->
 * properties, publish time -> event time, JSON data -> Avro by the topic's registered schema)
 * and is acked in Pub/Sub only once Pulsar has persisted it (send resolved). A message that
 * cannot be carried goes to the namespace's dead-letter topic with its reason, then is acked.
 *
 * No duplicates after a crash. Pulsar de-duplicates by (producer name, sequence id) and needs
 * sequence ids that only grow per producer name. Pub/Sub message ids carry no order (pstest's
 * happen to be increasing integers; Google's are opaque), and after a crash the messages in
 * flight come back interleaved with newer ones, so an id-derived sequence id would make the
 * broker drop new messages as "duplicates" (loss). Instead:
 * - one fixed producer name per subscription, with broker de-duplication on for the topic: the
 *   producer continues from the broker's last sequence id, and its own resends after a
 *   reconnect are dropped by the broker (so batching stays on);
 * - the mapping Pub/Sub id -> persisted lives in Pulsar itself: every message carries its
 *   Pub/Sub id in the `pubsub.message_id` property. At start the bridge reads back what its
 *   producer wrote in the last `recoveryWindowMs` and keeps those ids (bounded by
 *   `maxTrackedIds`, newest kept), before it opens the subscription; while running it adds each
 *   id it persists. A Pub/Sub message whose id is known is acked without producing.
 * Limits (stated, not hidden): a message persisted more than `recoveryWindowMs` before the
 * restart and redelivered after it is produced again (so keep the window above the ack deadline
 * plus the longest outage you restart from without a duplicate); past `maxTrackedIds` ids the
 * oldest are forgotten. A Pulsar send that fails stops the bridge (exit, restart): with
 * pipelined sends a later message of the same key may already be persisted, so a failed send
 * (not a crash) can reorder that key once.
 */
import type { Message as PubsubMessage, PubSub, Subscription } from '@google-cloud/pubsub';
import { BeamlineError, systemClock, type Clock, type CounterMetric, type Logger, type Metrics } from '../functions/index.ts';
import {
  avroSchema,
  noopMetrics,
  silentLogger,
  type Message,
  type Producer,
  type PulsarAdmin,
  type PulsarClient,
  type Schema,
  type TenantKeyring,
} from '../functions/control-plane.ts';
import { deadLetterMessage, deadLetterRecord, type BridgeDeadLetterReason } from './dead-letter.ts';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.ts';
import { compilePubsubSourceOptions, type PubsubSourceConfig, type PubsubSourceOptions } from './options.ts';
import { RecentIds } from './recent-ids.ts';
import { PULSAR_ERROR_CODES } from '../functions/control-plane.ts';

/** The property that carries the Pub/Sub message id into Pulsar (the persisted mapping). */
export const PUBSUB_ID_PROPERTY = 'pubsub.message_id';
export const PUBSUB_PUBLISH_TIME_PROPERTY = 'pubsub.publish_time';

export type PubsubSourceState = 'created' | 'starting' | 'running' | 'draining' | 'closed' | 'failed';

export interface PubsubSourceDeps {
  client: PulsarClient;
  admin: PulsarAdmin;
  pubsub: PubSub;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** #21: seals dead letters' content; without it the content is dropped. @default none */
  keyring?: TenantKeyring;
}

export interface PubsubSourceStats {
  received: number;
  produced: number;
  duplicatesSkipped: number;
  deadLettered: number;
  recoveredIds: number;
  /** Of those, ids that appeared only after the first read-back: a predecessor's sends still landing. */
  recoveredLate: number;
}

export class PubsubSource {
  readonly config: PubsubSourceConfig;
  readonly #deps: PubsubSourceDeps;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #recent: RecentIds;
  readonly #inflight = new Set<Promise<void>>();
  /** Pub/Sub ids being sent -> redelivered copies of them waiting for that send. */
  readonly #pendingIds = new Map<string, PubsubMessage[]>();
  readonly #counters: { received: CounterMetric; produced: CounterMetric; duplicates: CounterMetric; deadLettered: CounterMetric };
  #state: PubsubSourceState = 'created';
  #producer: Producer | undefined;
  /** Created once, on the first dead letter; concurrent dead letters share the one creation. */
  #deadLetters: Promise<Producer> | undefined;
  #subscription: Subscription | undefined;
  #codec: Schema<unknown> | undefined;
  #failure: unknown;
  #onFailed: ((err: unknown) => void) | undefined;
  readonly #stats: PubsubSourceStats = {
    received: 0,
    produced: 0,
    duplicatesSkipped: 0,
    deadLettered: 0,
    recoveredIds: 0,
    recoveredLate: 0,
  };

  /** Does no I/O; start() connects. */
  constructor(options: PubsubSourceOptions, deps: PubsubSourceDeps) {
    this.config = compilePubsubSourceOptions(options);
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({
      component: 'pubsub-source',
      subscription: this.config.subscription.path,
      to: this.config.to.fullName,
    });
    this.#recent = new RecentIds(this.config.maxTrackedIds);
    const m = deps.metrics ?? noopMetrics();
    this.#counters = {
      received: m.counter('beamline_bridge_source_received_total', 'Pub/Sub messages received by the source'),
      produced: m.counter('beamline_bridge_source_produced_total', 'messages persisted in Pulsar and acked in Pub/Sub'),
      duplicates: m.counter(
        'beamline_bridge_source_duplicates_total',
        'redelivered Pub/Sub messages already in Pulsar, acked without producing',
      ),
      deadLettered: m.counter('beamline_bridge_source_dead_lettered_total', 'messages sent to the dead-letter topic', ['reason']),
    };
  }

  get state(): PubsubSourceState {
    return this.#state;
  }

  get stats(): PubsubSourceStats {
    return { ...this.#stats };
  }

  /** The error that stopped the source, when state is 'failed'. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Called once if the source fails (the CLI exits so the orchestrator restarts it). */
  onFailed(cb: (err: unknown) => void): void {
    this.#onFailed = cb;
  }

  /** Reads the schema, turns on de-duplication, recovers recent ids, then pulls. Idempotent. */
  async start(): Promise<void> {
    if (this.#state !== 'created') return;
    this.#state = 'starting';
    const { client, admin } = this.#deps;
    const to = this.config.to.fullName;
    const info = await admin.schemas.get(to);
    if (info !== null && info.type !== 'AVRO') {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.schemaUnsupported,
        `topic ${to} has a ${info.type} schema; the source writes Avro (register an Avro schema, or none for raw bytes)`,
        { details: { topic: to, type: info.type } },
      );
    }
    this.#codec =
      info === null ? undefined : avroSchema(info.data, { ...(info.properties === undefined ? {} : { properties: info.properties }) });
    if (this.config.enableDeduplication) await admin.topics.setDeduplication(to, true);
    this.#producer = await client.createProducer({
      topic: to,
      name: this.config.producerName,
      ...(this.#codec === undefined ? {} : { schema: this.#codec }),
      maxPendingMessages: this.config.maxMessages,
      batchingMaxDelayMs: this.config.batchingMaxDelayMs,
      sendTimeoutMs: this.config.sendTimeoutMs,
    });
    await this.#recover();
    const sub = this.#deps.pubsub.subscription(this.config.subscription.path, {
      flowControl: { maxMessages: this.config.maxMessages, maxBytes: this.config.maxBytes, allowExcessMessages: false },
      // Pub/Sub keeps one message per ordering key outstanding, so order holds on any number of
      // streams: a key's next message comes only after this one is acked (after Pulsar has it).
      streamingOptions: { maxStreams: this.config.streams },
      batching: { maxMessages: 1000, maxMilliseconds: 50 },
    });
    sub.on('message', (m: PubsubMessage) => this.#handle(m));
    sub.on('error', (err: unknown) =>
      this.#fail(new BridgeError(BRIDGE_ERROR_CODES.pubsubPullFailed, 'Pub/Sub streaming pull failed', { cause: err, retriable: true })),
    );
    this.#subscription = sub;
    this.#state = 'running';
    this.#log.info(
      {
        recoveredIds: this.#stats.recoveredIds,
        recoveredLate: this.#stats.recoveredLate,
        maxMessages: this.config.maxMessages,
        maxBytes: this.config.maxBytes,
      },
      'pubsub source running',
    );
  }

  /** Stops pulling, lets sends in flight finish and ack, then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const failed = this.#state === 'failed';
    if (!failed) this.#state = 'draining';
    // Closing the subscription first: nothing new arrives, unacked messages go back to Pub/Sub.
    await this.#subscription?.close().catch(() => undefined);
    await Promise.allSettled(this.#inflight);
    await this.#producer?.close().catch(() => undefined);
    await this.#deadLetters?.then((p) => p.close()).catch(() => undefined);
    if (!failed) this.#state = 'closed';
    this.#log.info(this.stats, 'pubsub source closed');
  }

  /**
   * Ids our producer wrote in the recovery window: persisted, maybe not acked before a crash.
   *
   * A killed predecessor's last sends can still be on their way to the ledger when this
   * producer is created: the broker read them off the dead connection (so its last sequence id,
   * which our producer continues from, counts them) but has not yet persisted them, so a reader
   * that stops at the last persisted entry would miss them and their Pub/Sub messages, never
   * acked, would be produced a second time. So the read-back goes on, per partition, until it
   * has seen our producer's message with the last sequence id the broker reported at create.
   */
  async #recover(): Promise<void> {
    if (this.config.recoveryWindowMs === 0) return;
    const since = Math.max(0, this.#clock.now() - this.config.recoveryWindowMs);
    // topic (partition) -> the highest sequence id the broker had from this producer name
    const awaited = new Map<string, number>();
    for (const p of this.#producer!.partitionProducers) if (p.lastSequenceId >= 0) awaited.set(p.topic, p.lastSequenceId);
    const seenOwn = new Set<string>();
    try {
      const reader = await this.#deps.client.createReader({
        topic: this.config.to.fullName,
        startPublishTimeMs: since,
        receiverQueueSize: 1000,
      });
      let late = false;
      const take = (m: Message): void => {
        if (m.producerName !== this.config.producerName) return;
        const id = m.properties[PUBSUB_ID_PROPERTY];
        if (id !== undefined) this.#recent.add(id);
        seenOwn.add(m.topic);
        if (late) this.#stats.recoveredLate++;
        const last = awaited.get(m.topic);
        if (last !== undefined && m.sequenceId >= last) awaited.delete(m.topic);
      };
      try {
        while (await reader.hasMessageAvailable()) take(await reader.readNext(30_000));
        late = true;
        const settleEnd = this.#clock.now() + this.config.recoverySettleMs;
        // A partition where this window holds none of our messages: its last sequence id may be
        // older than the window (a restart after a quiet spell), so it is not waited for long.
        const quietEnd = this.#clock.now() + Math.min(this.config.recoverySettleMs, 2_000);
        while (awaited.size > 0) {
          const waitingOnSeen = [...awaited.keys()].some((t) => seenOwn.has(t));
          const end = waitingOnSeen ? settleEnd : quietEnd;
          const left = end - this.#clock.now();
          if (left <= 0) break;
          let m: Message;
          try {
            m = await reader.readNext(Math.min(left, 1_000));
          } catch (err) {
            if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.timeout) continue;
            throw err;
          }
          take(m);
        }
      } finally {
        await reader.close();
      }
    } catch (err) {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.recoveryFailed,
        `could not read back the bridge's recent messages on ${this.config.to.fullName}`,
        { cause: err, retriable: true },
      );
    }
    const unseen = [...awaited.entries()].filter(([t]) => seenOwn.has(t));
    if (unseen.length > 0) {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.recoveryFailed,
        `the bridge's last sends on ${unseen.map(([t]) => t).join(', ')} (sequence ids ${unseen.map(([, s]) => s).join(', ')}) did not appear within recoverySettleMs ${this.config.recoverySettleMs}; restart the source (it retries) or raise recoverySettleMs`,
        { retriable: true, details: { topics: unseen.map(([t]) => t), recoverySettleMs: this.config.recoverySettleMs } },
      );
    }
    if (awaited.size > 0) this.#log.info({ topics: [...awaited.keys()] }, 'pubsub source last sends older than the recovery window');
    this.#stats.recoveredIds = this.#recent.size;
  }

  #handle(m: PubsubMessage): void {
    if (this.#state !== 'running') return; // not acked: Pub/Sub redelivers it
    this.#stats.received++;
    this.#counters.received.inc();
    if (this.#recent.has(m.id)) {
      this.#stats.duplicatesSkipped++;
      this.#counters.duplicates.inc();
      m.ack();
      return;
    }
    // Redelivered while its first copy is still being sent (a send slower than the ack
    // deadline): ack it with that send, never send it twice.
    const waiting = this.#pendingIds.get(m.id);
    if (waiting !== undefined) {
      waiting.push(m);
      return;
    }
    this.#pendingIds.set(m.id, []);
    const key = m.orderingKey === undefined || m.orderingKey === '' ? undefined : m.orderingKey;
    if (key === undefined && this.config.requireOrderingKey) {
      this.#deadLetter(
        m,
        'missing-ordering-key',
        new BeamlineError(
          BRIDGE_ERROR_CODES.missingOrderingKey,
          `Pub/Sub message ${m.id} has no ordering key; publish with orderingKey (the Pulsar key), or run the source with --allow-missing-ordering-key`,
        ),
      );
      return;
    }
    const attributes = m.attributes;
    let attributeBytes = 0;
    for (const [k, v] of Object.entries(attributes)) attributeBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (attributeBytes > this.config.maxAttributeBytes) {
      this.#deadLetter(
        m,
        'attributes-too-large',
        new BeamlineError(
          BRIDGE_ERROR_CODES.attributesTooLarge,
          `attributes of Pub/Sub message ${m.id} take ${attributeBytes} bytes, over maxAttributeBytes ${this.config.maxAttributeBytes}; move large values into the data`,
        ),
      );
      return;
    }
    let payload: Buffer;
    if (this.#codec === undefined) {
      payload = m.data;
    } else {
      let value: unknown;
      try {
        value = JSON.parse(m.data.toString('utf8'));
      } catch (err) {
        this.#deadLetter(
          m,
          'decode-error',
          new BeamlineError(BRIDGE_ERROR_CODES.decodeError, `data of Pub/Sub message ${m.id} is not JSON: ${(err as Error).message}`, {
            cause: err,
          }),
        );
        return;
      }
      try {
        payload = this.#codec.encode(value);
      } catch (err) {
        this.#deadLetter(m, 'schema-mismatch', err);
        return;
      }
    }
    const publishTimeMs = m.publishTime.getTime();
    const sent = this.#producer!.send({
      payload,
      ...(key === undefined ? {} : { key }),
      properties: { ...attributes, [PUBSUB_ID_PROPERTY]: m.id, [PUBSUB_PUBLISH_TIME_PROPERTY]: m.publishTime.toISOString() },
      eventTimeMs: publishTimeMs,
    });
    this.#track(
      sent.then(
        () => {
          this.#recent.add(m.id);
          m.ack();
          this.#settleCopies(m.id);
          this.#stats.produced++;
          this.#counters.produced.inc();
        },
        (err: unknown) =>
          this.#fail(
            new BridgeError(BRIDGE_ERROR_CODES.pulsarSendFailed, `Pulsar did not persist Pub/Sub message ${m.id}`, {
              cause: err,
              retriable: true,
            }),
          ),
      ),
    );
  }

  #deadLetter(m: PubsubMessage, reason: BridgeDeadLetterReason, err: unknown): void {
    const record = deadLetterRecord(
      reason,
      err,
      {
        source: this.config.subscription.path,
        messageId: m.id,
        key: m.orderingKey === undefined || m.orderingKey === '' ? null : m.orderingKey,
        // Raw input, possibly personal data (a card or rider id): sealed, never in the clear.
        keyInClear: false,
        publishTimeMs: m.publishTime.getTime(),
        properties: m.attributes,
        payload: m.data,
      },
      this.#clock.now(),
      this.#deps.keyring,
    );
    this.#log.warn({ messageId: m.id, reason, errorCode: record.errorCode }, 'pubsub message dead-lettered');
    const p = (async () => {
      this.#deadLetters ??= this.#deps.client.createProducer({
        topic: this.config.to.deadLetter,
        name: `${this.config.producerName}-dlq`,
      });
      await (await this.#deadLetters).send(deadLetterMessage(record));
    })();
    this.#track(
      p.then(
        () => {
          this.#recent.add(m.id);
          m.ack();
          this.#settleCopies(m.id);
          this.#stats.deadLettered++;
          this.#counters.deadLettered.inc({ reason });
        },
        (e: unknown) =>
          this.#fail(
            new BridgeError(BRIDGE_ERROR_CODES.pulsarSendFailed, `could not dead-letter Pub/Sub message ${m.id}`, {
              cause: e,
              retriable: true,
            }),
          ),
      ),
    );
  }

  /** Acks the redelivered copies that arrived while the first one was being sent. */
  #settleCopies(id: string): void {
    const copies = this.#pendingIds.get(id) ?? [];
    this.#pendingIds.delete(id);
    for (const c of copies) {
      this.#stats.duplicatesSkipped++;
      this.#counters.duplicates.inc();
      c.ack();
    }
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #fail(err: unknown): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#failure = err;
    this.#log.error({ err }, 'pubsub source failed; unacked messages return to Pub/Sub');
    // Stop acking at once: nothing after a failed send may be acked out of order.
    void this.#subscription?.close().catch(() => undefined);
    this.#onFailed?.(err);
  }
}
