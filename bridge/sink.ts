/**
 * `beamline bridge pubsub-sink`: a namespace topic (predictions or actions) out to a Pub/Sub
 * topic, in order per key, acked in Pulsar only after Pub/Sub accepted the publish.
 *
 * Scoring never waits on Pub/Sub: the worker only writes its topics; this sink is its own
 * process with its own subscription, so an outage grows the sink's backlog and nothing else.
 *
 * Ordering and retries. Publishes are pipelined with ordering keys (the Pulsar key). When one
 * fails, the Pub/Sub client pauses that key (later publishes of it fail too), so no later message
 * of the key is accepted before it. The sink then stops taking messages, lets the rest settle,
 * resumes the keys, closes its consumer (every unacked message returns to the subscription, in
 * order) and subscribes again after a backoff that doubles per consecutive failure. A breaker
 * (opossum) fails publishes fast while Pub/Sub is down, so the rewinds wait out its reset time.
 *
 * Exactly once into Pub/Sub, by default (the ledger). Pub/Sub has no idempotent publish: a
 * message it accepted whose Pulsar ack was lost (a crash in between) would be published again.
 * But the sink can read back what it published, as the source reads back Pulsar: it owns a
 * "ledger" subscription on the destination topic (ledger.ts; created if missing, named from the
 * sink's Pulsar subscription and topic), which receives a copy of every publish. Every publish
 * carries the Pulsar topic and message id (attributes.ts), so a copy proves "this Pulsar message
 * is in Pub/Sub". The rule (sink-ledger.ts): for each copy, remember its idempotency key, ack that
 * Pulsar message with a receipt (the broker confirmed it), and only then ack the copy. So at any
 * moment the unacked copies name every publish whose Pulsar ack may be lost. On start, before
 * publishing anything, the sink reads back every unacked copy (waiting out the ledger's ack
 * deadline, so copies a killed predecessor had pulled come back too), acks their Pulsar
 * messages, and subscribes again, so Pulsar redelivers only messages that are not in Pub/Sub.
 * While running, a redelivered message whose key is known (a rewind, a reconnect) is acked
 * without publishing; a rewind needs no new read-back because this run's publishes are in that
 * set (bounded by maxLedgerIds, newest kept; a forgotten key matters only if its Pulsar ack is
 * still unconfirmed after that many later publishes).
 * Ordering keys stay in order when messages are skipped: the Pub/Sub client sends one batch per
 * ordering key at a time and Pub/Sub accepts a key's batches in order, so what a crash left
 * accepted is, per key, a prefix of what was sent; the skipped messages are that prefix and
 * everything after it is published after it, in order.
 * The cost: one extra subscription delivery (pull and ack) per message, one confirmed Pulsar ack
 * per message (grouped), and a start that waits at least the ledger's ack deadline (10 s).
 * Limits: a publish that timed out here (publishTimeoutMs) but that Pub/Sub accepted later, and a
 * broker that loses acks it had confirmed, can still give a duplicate; one sink per ledger (the
 * copies of two would be split between them). With `ledger: false` the sink is at least once and
 * every copy carries the same `beamline.idempotency_key` (dedupe.ts, `PubsubDeduplicator`); the
 * ledger subscription is then not read, so delete it (the next ledger start creates it afresh).
 *
 * A message Pub/Sub would refuse (attribute limits, size, INVALID_ARGUMENT) goes to the
 * namespace's dead-letter topic with its reason and is acked.
 */
import type { PubSub, Topic } from '@google-cloud/pubsub';
import { BeamlineError, systemClock, type Clock, type CounterMetric, type Logger, type Metrics } from '../functions/index.ts';
import {
  avroSchema,
  noopMetrics,
  type BreakerState,
  silentLogger,
  type Consumer,
  type Message,
  type Producer,
  type PulsarAdmin,
  type PulsarClient,
  type Schema,
  type TenantKeyring,
} from '../functions/control-plane.ts';
import { deadLetterMessage, deadLetterRecord, type BridgeDeadLetterReason } from './dead-letter.ts';
import { EVENT_TIME_ATTRIBUTE, PULSAR_ID_ATTRIBUTE, PULSAR_ID_BYTES_ATTRIBUTE, PULSAR_TOPIC_ATTRIBUTE } from './attributes.ts';
import { IDEMPOTENCY_KEY_ATTRIBUTE, idempotencyKey } from './dedupe.ts';
import { PubsubLedger, type SinkLedger } from './ledger.ts';
import { publishBreaker, type PublishBreaker } from './publish-breaker.ts';
import { GRPC_INVALID_ARGUMENT, grpcCode, pubsubRefusal } from './pubsub-refusal.ts';
import { SinkLedgerKeeper } from './sink-ledger.ts';
import { BRIDGE_ERROR_CODES } from './errors.ts';
import { compilePubsubSinkOptions, type PubsubSinkConfig, type PubsubSinkOptions } from './options.ts';
import { PULSAR_ERROR_CODES } from '../functions/control-plane.ts';

export type PubsubSinkState = 'created' | 'running' | 'draining' | 'closed';

export interface PubsubSinkDeps {
  client: PulsarClient;
  admin: PulsarAdmin;
  pubsub: PubSub;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** The ledger's Pub/Sub side; @default a PubsubLedger on `pubsub` (unit tests give a fake). */
  ledger?: SinkLedger;
  /** #21: seals dead letters' content; without it the content is dropped. @default none */
  keyring?: TenantKeyring;
}

export interface PubsubSinkStats {
  received: number;
  published: number;
  deadLettered: number;
  failedPublishes: number;
  rewinds: number;
  /** Redelivered Pulsar messages already in Pub/Sub (per the ledger), acked without publishing. */
  duplicatesSkipped: number;
  /** Unacked ledger copies of this sink's messages found at start. */
  recoveredIds: number;
}

export class PubsubSink {
  readonly config: PubsubSinkConfig;
  readonly #deps: PubsubSinkDeps;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #inflight = new Set<Promise<void>>();
  readonly #failedKeys = new Set<string>();
  /** Idempotency keys of the publishes awaiting Pub/Sub. */
  readonly #publishing = new Set<string>();
  readonly #counters: {
    received: CounterMetric;
    published: CounterMetric;
    deadLettered: CounterMetric;
    failed: CounterMetric;
    duplicates: CounterMetric;
  };
  readonly #stats: PubsubSinkStats = {
    received: 0,
    published: 0,
    deadLettered: 0,
    failedPublishes: 0,
    rewinds: 0,
    duplicatesSkipped: 0,
    recoveredIds: 0,
  };
  readonly #keeper: SinkLedgerKeeper | undefined;
  #ledgerLoop: Promise<void> | undefined;
  #state: PubsubSinkState = 'created';
  #topic: Topic | undefined;
  #breaker: PublishBreaker | undefined;
  #consumer: Consumer | undefined;
  /** Created once, on the first dead letter; concurrent dead letters share the one creation. */
  #deadLetters: Promise<Producer> | undefined;
  #latest: Schema<unknown> | undefined;
  #rewind = false;
  #loop: Promise<void> | undefined;

  /** Does no I/O; start() connects. */
  constructor(options: PubsubSinkOptions, deps: PubsubSinkDeps) {
    this.config = compilePubsubSinkOptions(options);
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({
      component: 'pubsub-sink',
      from: this.config.from.fullName,
      topic: this.config.topic.path,
    });
    const m = deps.metrics ?? noopMetrics();
    this.#counters = {
      received: m.counter('beamline_bridge_sink_received_total', 'Pulsar messages received by the sink'),
      published: m.counter('beamline_bridge_sink_published_total', 'messages accepted by Pub/Sub and acked in Pulsar'),
      deadLettered: m.counter('beamline_bridge_sink_dead_lettered_total', 'messages sent to the dead-letter topic', ['reason']),
      failed: m.counter('beamline_bridge_sink_publish_failures_total', 'publishes Pub/Sub did not accept (retried after a rewind)'),
      duplicates: m.counter(
        'beamline_bridge_sink_duplicates_skipped_total',
        'redelivered Pulsar messages already in Pub/Sub (per the ledger), acked without publishing',
      ),
    };
    const ledger = this.config.ledger;
    this.#keeper =
      ledger === undefined
        ? undefined
        : new SinkLedgerKeeper({
            ledger: deps.ledger ?? new PubsubLedger(deps.pubsub, ledger, this.config.topic.path),
            from: this.config.from,
            maxIds: this.config.maxLedgerIds,
            recoveryTimeoutMs: this.config.ledgerRecoveryTimeoutMs,
            retryMs: this.config.initialBackoffMs,
            clock: this.#clock,
            log: this.#log,
            metrics: m,
          });
  }

  /** The ledger subscription's path; undefined when the sink runs without one (at least once). */
  get ledgerPath(): string | undefined {
    return this.#keeper?.path;
  }

  get state(): PubsubSinkState {
    return this.#state;
  }

  get stats(): PubsubSinkStats {
    return { ...this.#stats };
  }

  get breakerState(): BreakerState {
    const b = this.#breaker;
    return b === undefined || b.closed ? 'closed' : b.opened ? 'open' : 'halfOpen';
  }

  /** Reads the schema, subscribes, and starts publishing. Idempotent. */
  async start(): Promise<void> {
    if (this.#state !== 'created') return;
    const info = this.config.format === 'json' ? await this.#deps.admin.schemas.get(this.config.from.fullName) : null;
    if (info !== null && info.type === 'AVRO') this.#latest = avroSchema(info.data);
    this.#topic = this.#deps.pubsub.topic(this.config.topic.path, {
      messageOrdering: true,
      batching: { maxMessages: 500, maxMilliseconds: 5 },
    });
    const topic = this.#topic;
    this.#breaker = publishBreaker(topic, this.config);
    this.#breaker.on('open', () => this.#log.warn({}, 'pubsub breaker open; publishing paused'));
    this.#breaker.on('close', () => this.#log.info({}, 'pubsub breaker closed'));
    this.#consumer = await this.#subscribe();
    const keeper = this.#keeper;
    if (keeper !== undefined) {
      try {
        this.#stats.recoveredIds = await keeper.recover(this.#consumer);
      } catch (err) {
        await this.#consumer.close().catch(() => undefined);
        this.#breaker.shutdown();
        throw err;
      }
      // Subscribe again: what the consumer fetched during the read-back may include messages
      // acked since; the broker now redelivers only what is not in Pub/Sub.
      if (this.#stats.recoveredIds > 0) {
        await this.#consumer.close();
        this.#consumer = await this.#subscribe();
      }
    }
    this.#state = 'running';
    this.#loop = this.#run();
    if (keeper !== undefined)
      this.#ledgerLoop = keeper.run(
        () => (this.#rewind ? undefined : this.#consumer),
        () => this.#state === 'running',
      );
    this.#log.info(
      { maxInFlight: this.config.maxInFlight, ledger: keeper?.path ?? null, recoveredIds: this.#stats.recoveredIds },
      'pubsub sink running',
    );
  }

  /** Stops taking messages, lets publishes in flight finish (and ack), then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'created') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'draining';
    await this.#loop;
    await Promise.allSettled(this.#inflight);
    await this.#ledgerLoop;
    await this.#consumer?.close().catch(() => undefined);
    await this.#deadLetters?.then((p) => p.close()).catch(() => undefined);
    await this.#topic?.flush().catch(() => undefined);
    this.#breaker?.shutdown();
    this.#state = 'closed';
    this.#log.info(this.stats, 'pubsub sink closed');
  }

  #subscribe(): Promise<Consumer> {
    return this.#deps.client.subscribe({
      topic: this.config.from.fullName,
      subscription: this.config.subscription,
      subscriptionType: 'Failover',
      initialPosition: 'Earliest',
      receiverQueueSize: Math.min(1000, this.config.maxInFlight),
    });
  }

  async #run(): Promise<void> {
    let backoffMs = this.config.initialBackoffMs;
    let progressMark = 0;
    while (this.#state === 'running') {
      await this.#pump();
      await Promise.allSettled(this.#inflight);
      if (!this.#rewind) break; // draining
      // Rewind: every unacked message comes back, in order, to the next consumer.
      this.#stats.rewinds++;
      // Consecutive failures double the wait; any publish accepted since the last one resets it.
      if (this.#stats.published > progressMark) backoffMs = this.config.initialBackoffMs;
      progressMark = this.#stats.published;
      for (const key of this.#failedKeys) this.#topic!.resumePublishing(key);
      this.#failedKeys.clear();
      await this.#consumer!.close().catch(() => undefined);
      const waitMs = this.#breaker!.opened ? Math.max(backoffMs, this.config.breakerResetMs) : backoffMs;
      this.#log.warn({ waitMs, rewinds: this.#stats.rewinds }, 'pubsub publish failed; rewinding to the first unacked message');
      await this.#clock.sleep(waitMs);
      backoffMs = Math.min(this.config.maxBackoffMs, backoffMs * 2);
      this.#rewind = false;
      for (;;) {
        try {
          this.#consumer = await this.#subscribe();
          break;
        } catch (err) {
          if (this.#state !== 'running') return;
          this.#log.error({ err }, 'resubscribe failed; retrying');
          await this.#clock.sleep(backoffMs);
        }
      }
    }
  }

  async #pump(): Promise<void> {
    const consumer = this.#consumer!;
    while (this.#state === 'running' && !this.#rewind) {
      if (this.#inflight.size >= this.config.maxInFlight) {
        await Promise.race(this.#inflight);
        continue;
      }
      let m: Message;
      try {
        m = await consumer.receive(250);
      } catch (err) {
        if ((err as { code?: string }).code === PULSAR_ERROR_CODES.timeout) continue;
        if (this.#state !== 'running') return;
        this.#log.error({ err }, 'receive failed');
        await this.#clock.sleep(this.config.initialBackoffMs);
        continue;
      }
      this.#stats.received++;
      this.#counters.received.inc();
      this.#handle(consumer, m);
    }
  }

  #handle(consumer: Consumer, m: Message): void {
    const id = m.id.toString();
    const ikey = idempotencyKey(m.topic, id);
    if (this.#keeper?.has(ikey) === true) {
      consumer.ack(m);
      this.#stats.duplicatesSkipped++;
      this.#counters.duplicates.inc();
      return;
    }
    // Redelivered (a consumer reconnect) while its first copy is being published: that publish
    // acks the same id if Pub/Sub accepts it, and a failure rewinds, which brings it back.
    if (this.#publishing.has(ikey)) {
      this.#stats.duplicatesSkipped++;
      this.#counters.duplicates.inc();
      return;
    }
    const key = m.key === undefined || m.key === '' ? undefined : m.key;
    if (key === undefined && this.config.requireOrderingKey) {
      this.#deadLetter(
        consumer,
        m,
        'missing-ordering-key',
        new BeamlineError(
          BRIDGE_ERROR_CODES.missingOrderingKey,
          `Pulsar message ${m.id.toString()} has no key; produce with a key (the Pub/Sub ordering key), or run the sink with --allow-missing-ordering-key`,
        ),
      );
      return;
    }
    let data: Buffer;
    try {
      data = this.#data(m);
    } catch (err) {
      this.#deadLetter(consumer, m, 'decode-error', err);
      return;
    }
    const attributes: Record<string, string> = {
      ...m.properties,
      [PULSAR_ID_ATTRIBUTE]: id,
      [PULSAR_TOPIC_ATTRIBUTE]: m.topic,
      [IDEMPOTENCY_KEY_ATTRIBUTE]: ikey,
      [PULSAR_ID_BYTES_ATTRIBUTE]: m.id.toBytes().toString('base64'),
    };
    if (m.eventTimeMs !== undefined) attributes[EVENT_TIME_ATTRIBUTE] = String(m.eventTimeMs);
    const refusal = pubsubRefusal(data, attributes, key);
    if (refusal !== undefined) {
      this.#deadLetter(consumer, m, 'pubsub-refused', new BeamlineError(BRIDGE_ERROR_CODES.pubsubRefused, refusal));
      return;
    }
    this.#publishing.add(ikey);
    const p = this.#breaker!.fire(data, attributes, key).then(
      () => {
        this.#publishing.delete(ikey);
        this.#keeper?.published(ikey);
        consumer.ack(m);
        this.#stats.published++;
        this.#counters.published.inc();
      },
      (err: unknown) => {
        this.#publishing.delete(ikey);
        if (grpcCode(err) === GRPC_INVALID_ARGUMENT) {
          if (key !== undefined) this.#failedKeys.add(key);
          this.#deadLetter(consumer, m, 'pubsub-refused', err);
          return;
        }
        this.#stats.failedPublishes++;
        this.#counters.failed.inc();
        if (key !== undefined) this.#failedKeys.add(key);
        if (!this.#rewind) this.#log.warn({ err, messageId: m.id.toString() }, 'pubsub publish failed');
        this.#rewind = true;
      },
    );
    this.#track(p);
  }

  /**
   * The Pub/Sub data: JSON of the Avro record, or the payload as-is. Decoded with the schema the
   * topic had at start: a producer that registers a new version needs a sink restart (#24).
   */
  #data(m: Message): Buffer {
    if (this.config.format === 'raw' || this.#latest === undefined) return m.payload;
    const value = this.#latest.decode(m.payload);
    return Buffer.from(
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v)),
    );
  }

  #deadLetter(consumer: Consumer, m: Message, reason: BridgeDeadLetterReason, err: unknown): void {
    const record = deadLetterRecord(
      reason,
      err,
      {
        source: m.topic,
        messageId: m.id.toString(),
        key: m.key ?? null,
        // An output key: tokenized by the worker where it is personal data.
        keyInClear: true,
        publishTimeMs: m.publishTimeMs,
        properties: m.properties,
        payload: m.payload,
      },
      this.#clock.now(),
      this.#deps.keyring,
    );
    this.#log.warn({ messageId: record.messageId, reason, errorCode: record.errorCode }, 'pulsar message dead-lettered');
    const p = (async () => {
      this.#deadLetters ??= this.#deps.client.createProducer({ topic: this.config.from.deadLetter });
      await (await this.#deadLetters).send(deadLetterMessage(record));
    })().then(
      () => {
        consumer.ack(m);
        this.#stats.deadLettered++;
        this.#counters.deadLettered.inc({ reason });
      },
      (e: unknown) => {
        this.#log.error({ err: e }, 'dead-letter send failed; rewinding');
        this.#rewind = true;
      },
    );
    this.#track(p);
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }
}
