/**
 * A consumer on one topic or partition: SUBSCRIBE (initial position, start id, Key_Shared meta),
 * FLOW permits counted per message, MESSAGE decoding (decompression, batches, ack_set filtering),
 * ACK grouping, REDELIVER, SEEK, GET_LAST_MESSAGE_ID, UNSUBSCRIBE and reconnect.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import {
  AckType,
  CommandType,
  MessageId,
  type BaseCommand,
  type DecodedPayload,
  type MessageIdData,
  type MessageMetadata,
} from '../../wire/index.ts';
import { cumulativeAckId, entryData, redeliverIds, txnAckIds } from './ack-ids.ts';
import { Backoff } from '../../../backoff.ts';
import { createWithRetry } from '../create-retry.ts';
import { BatchAcks } from './batch-acks.ts';
import { ChunkAssembler } from './chunk-assembler.ts';
import type { Connection } from '../connection/connection.ts';
import type { ConsumerHandler } from '../connection/connection-handlers.ts';
import type { ClientContext } from '../context.ts';
import { alreadyClosedError, connectionClosedError } from '../../api/index.ts';
import type { Message } from '../../api/index.ts';
import { decodeEntry } from './entry-decoder.ts';
import { ConsumerEpoch } from './consumer-epoch.ts';
import { FlowPermits } from './flow-permits.ts';
import { buildMessage } from '../produce/message-builder.ts';
import type { ConsumerConfig } from '../../api/index.ts';
import { PendingAcks } from './pending-acks.ts';
import { ReaderPosition } from './reader-position.ts';
import { reconnectLoop } from '../connection/reconnect-loop.ts';
import { incompatibleSchemaError } from '../schema-wire.ts';
import { subscribeCommand } from './subscribe-command.ts';
import type { TxnId } from '../../api/index.ts';

export type TopicConsumerState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

/** Where a TopicConsumer hands its messages (the public Consumer's queue). */
export interface MessageSink {
  deliver(msg: Message, from: TopicConsumer): void;
  /** Drop queued, not yet received messages of `from` (the broker will send them again). */
  dropQueued(from: TopicConsumer): number;
  /** A fatal error (e.g. the subscription was deleted). */
  failed(from: TopicConsumer, err: unknown): void;
}

export class TopicConsumer implements ConsumerHandler {
  readonly topic: string;
  readonly partition: number;
  readonly #cfg: ConsumerConfig;
  readonly #ctx: ClientContext;
  readonly #sink: MessageSink;
  readonly #log: Logger;
  readonly #id: number;
  readonly #backoff: Backoff;
  readonly batchAcks = new BatchAcks();
  #state: TopicConsumerState = 'idle';
  #conn: Connection | undefined;
  readonly #flow: FlowPermits;
  /** Permits granted to the broker's consumer on this connection and not yet used by a message. */
  #brokerPermits = 0;
  readonly #acks: PendingAcks;
  /** Acks with a receipt made in this turn: one ACK command with a request id at the next turn. */
  #receipts: { ids: MessageIdData[]; waiters: { resolve: () => void; reject: (err: unknown) => void }[] } | undefined;
  #reconnecting = false;
  #seeking = false;
  #seekDone: Promise<void> | undefined;
  readonly #position: ReaderPosition;
  #endOfTopic = false;
  /** Failover: whether the broker last said this consumer is the active one (on this connection). */
  #active = false;
  readonly #chunks: ChunkAssembler;
  readonly #epoch: ConsumerEpoch;

  constructor(ctx: ClientContext, cfg: ConsumerConfig, topic: string, partition: number, sink: MessageSink) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.topic = topic;
    this.partition = partition;
    this.#sink = sink;
    this.#id = ctx.nextId();
    this.#log = ctx.logger.child({ component: 'pulsar-consumer', topic, subscription: cfg.subscription });
    this.#backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs, ctx.reconnectSpreadMs);
    this.#position = new ReaderPosition(cfg.startMessageId, cfg.startMessageIdInclusive, cfg.startRollbackDurationSec);
    this.#flow = new FlowPermits(cfg.receiverQueueSize);
    if (cfg.startPaused) this.#flow.pause();
    this.#epoch = new ConsumerEpoch(cfg.subscriptionType);
    this.#chunks = new ChunkAssembler(cfg.maxPendingChunkedMessages, cfg.expireTimeOfIncompleteChunkedMessageMs);
    this.#acks = new PendingAcks((ids) => {
      const conn = this.#conn;
      if (conn === undefined) return false;
      conn.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.#id, ack_type: AckType.Individual, message_id: ids } });
      return true;
    });
  }

  static async create(
    ctx: ClientContext,
    cfg: ConsumerConfig,
    topic: string,
    partition: number,
    sink: MessageSink,
  ): Promise<TopicConsumer> {
    const c = new TopicConsumer(ctx, cfg, topic, partition, sink);
    c.#state = 'connecting';
    try {
      // 'lost': the subscription exists but the broker closed the consumer right after; the
      // reconnect loop #connectionLost started resubscribes it, so it is returned connecting.
      await createWithRetry(ctx, c.#log, { attempt: async () => void (await c.#subscribe()), reconnecting: () => c.#reconnecting });
    } catch (err) {
      c.#state = 'failed';
      throw err;
    }
    return c;
  }

  get state(): TopicConsumerState {
    return this.#state;
  }
  get connection(): Connection | undefined {
    return this.#conn;
  }
  get reachedEndOfTopic(): boolean {
    return this.#endOfTopic;
  }
  get lastReceived(): MessageId | undefined {
    return this.#position.lastReceived;
  }
  /** FLOW permits the broker still holds (granted minus messages received), as counted here. */
  get brokerPermits(): number {
    return this.#brokerPermits;
  }

  /** The application took `n` messages: return permits, refilling at half the queue. */
  messageTaken(n: number): void {
    this.#flow.add(n);
    this.#maybeFlow();
  }

  pause(): void {
    this.#flow.pause();
  }

  resume(): void {
    this.#flow.resume();
    this.#maybeFlow(true);
  }

  ack(id: MessageId): void {
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      const key = id.entryKey;
      const s = this.batchAcks.ack(key, id.batchSize, id.batchIndex);
      if (s.remaining === 0) this.#acks.add(entryData(id));
      else if (this.#cfg.batchIndexAckEnabled)
        this.#acks.addPartial(key, BigInt.asUintN(64, id.ledgerId), BigInt.asUintN(64, id.entryId), s);
      return;
    }
    const chunks = this.#chunks.chunkIdsOf(id);
    if (chunks !== undefined) {
      this.#chunks.forget(id);
      for (const c of chunks) this.#acks.add(entryData(c));
      return;
    }
    this.#acks.add(entryData(id));
  }

  /**
   * An individual ack the broker confirms (ACK with a request id -> ACK_RESPONSE): resolved once
   * the broker applied it to the subscription, so the message is not redelivered after a crash of
   * this process. For callers that act on the ack (the Pub/Sub sink's ledger, #24). Acks made in
   * one turn share one command and one response. A batch member whose entry is not complete needs
   * batch-index acks (batchIndexAckEnabled, and the broker's acknowledgmentAtBatchIndexLevelEnabled);
   * without them nothing the broker could confirm is sent, so the promise rejects.
   */
  ackWithReceipt(id: MessageId): Promise<void> {
    let data: MessageIdData[];
    if (id.batchIndex >= 0 && id.batchSize > 1 && this.batchAcks.get(id.entryKey) === undefined) {
      // An entry this consumer tracks no acks of (an id from an earlier session, or an entry
      // already acked whole): only this member, and no state that would wait for the others.
      if (!this.#cfg.batchIndexAckEnabled) return Promise.reject(batchReceiptError(this.topic, id));
      data = [
        {
          ledgerId: BigInt.asUintN(64, id.ledgerId),
          entryId: BigInt.asUintN(64, id.entryId),
          ack_set: BatchAcks.bitsExcept(id.batchSize, new Set([id.batchIndex])),
          batch_size: id.batchSize,
        },
      ];
    } else if (id.batchIndex >= 0 && id.batchSize > 1) {
      const s = this.batchAcks.ack(id.entryKey, id.batchSize, id.batchIndex);
      if (s.remaining === 0) data = [entryData(id)];
      else if (this.#cfg.batchIndexAckEnabled)
        data = [
          {
            ledgerId: BigInt.asUintN(64, id.ledgerId),
            entryId: BigInt.asUintN(64, id.entryId),
            ack_set: BatchAcks.unackedBits(s),
            batch_size: s.size,
          },
        ];
      else return Promise.reject(batchReceiptError(this.topic, id));
    } else {
      const chunks = this.#chunks.chunkIdsOf(id);
      if (chunks !== undefined) this.#chunks.forget(id);
      data = chunks === undefined ? [entryData(id)] : chunks.map((c) => entryData(c));
    }
    return new Promise<void>((resolve, reject) => {
      if (this.#receipts === undefined) {
        this.#receipts = { ids: [], waiters: [] };
        setImmediate(() => void this.#sendReceipts());
      }
      this.#receipts.ids.push(...data);
      this.#receipts.waiters.push({ resolve, reject });
    });
  }

  async #sendReceipts(): Promise<void> {
    const r = this.#receipts;
    this.#receipts = undefined;
    if (r === undefined) return;
    try {
      const conn = await this.#readyConnection();
      const requestId = conn.newRequestId();
      const ack: NonNullable<BaseCommand['ack']> = {
        consumer_id: this.#id,
        ack_type: AckType.Individual,
        message_id: r.ids,
        request_id: requestId,
      };
      await conn.request({ type: CommandType.ACK, ack }, requestId, 'ack with receipt');
      for (const w of r.waiters) w.resolve();
    } catch (err) {
      for (const w of r.waiters) w.reject(err);
    }
  }

  /** One individual ack inside a transaction, confirmed by the broker (ACK -> ACK_RESPONSE). */
  ackInTxn(id: MessageId, txn: TxnId): Promise<void> {
    return this.ackManyInTxn([id], txn);
  }

  /**
   * Many acks inside one transaction in ONE ACK command (one ACK_RESPONSE): the broker writes
   * each transactional ack command to its pending-ack log, so one command per message made a
   * 100-message commit wait on 100 sequential writes. Members of one batch share one entry
   * with an ack_set clearing all of them.
   */
  async ackManyInTxn(ids: readonly MessageId[], txn: TxnId): Promise<void> {
    if (ids.length === 0) return;
    const conn = await this.#readyConnection();
    const requestId = conn.newRequestId();
    const ack: NonNullable<BaseCommand['ack']> = {
      consumer_id: this.#id,
      ack_type: AckType.Individual,
      message_id: txnAckIds(ids, (id) => this.#chunks.chunkIdsOf(id)),
      txnid_most_bits: txn.mostBits,
      txnid_least_bits: txn.leastBits,
      request_id: requestId,
    };
    await conn.request({ type: CommandType.ACK, ack }, requestId, 'transactional ack');
  }

  ackCumulative(id: MessageId): void {
    const conn = this.#conn;
    const data = cumulativeAckId(id, this.batchAcks, this.#cfg.batchIndexAckEnabled);
    if (data === undefined || conn === undefined) return;
    this.#acks.flush();
    conn.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.#id, ack_type: AckType.Cumulative, message_id: [data] } });
  }

  /**
   * Ask the broker to redeliver. Shared/Key_Shared redeliver exactly `ids`; the other types
   * can only rewind to everything unacknowledged, so local queued messages are dropped too.
   */
  redeliver(ids: readonly MessageId[] | undefined): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    const shared = this.#cfg.subscriptionType === 'Shared' || this.#cfg.subscriptionType === 'Key_Shared';
    if (shared && ids !== undefined) {
      if (ids.length === 0) return;
      const list = redeliverIds(ids, (id) => this.#chunks.chunkIdsOf(id));
      conn.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumer_id: this.#id, message_ids: list },
      });
      return;
    }
    // Acks still grouped for the next turn must reach the broker before the rewind, or it
    // redelivers messages the application already acknowledged.
    this.#acks.flush();
    const dropped = this.#sink.dropQueued(this);
    const epoch = this.#epoch.rewind();
    conn.sendCommand({
      type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumer_id: this.#id, ...(epoch === undefined ? {} : { consumer_epoch: epoch }) },
    });
    if (dropped > 0) this.messageTaken(dropped);
  }

  async getLastMessageId(): Promise<{ last: MessageId; markDelete: MessageId | undefined }> {
    const conn = await this.#readyConnection();
    const requestId = conn.newRequestId();
    const resp = await conn.request(
      { type: CommandType.GET_LAST_MESSAGE_ID, getLastMessageId: { consumer_id: this.#id, request_id: requestId } },
      requestId,
      'get last message id',
    );
    const r = resp.getLastMessageIdResponse;
    if (r === undefined) throw new BeamlineError(PULSAR_ERROR_CODES.protocolDecode, 'empty GET_LAST_MESSAGE_ID response');
    return {
      last: MessageId.fromData(r.last_message_id, this.partition),
      markDelete:
        r.consumer_mark_delete_position === undefined ? undefined : MessageId.fromData(r.consumer_mark_delete_position, this.partition),
    };
  }

  /** SEEK to an id (inclusive) or a publish time. The broker then drops and re-adds the consumer. */
  async seek(target: MessageId | number): Promise<void> {
    const conn = await this.#readyConnection();
    const requestId = conn.newRequestId();
    const seek: NonNullable<BaseCommand['seek']> = { consumer_id: this.#id, request_id: requestId };
    if (typeof target === 'number') seek.message_publish_time = target;
    else {
      // A chunked message is sought from its first chunk (the Java client does the same).
      const at = target.startPosition;
      seek.message_id = { ledgerId: BigInt.asUintN(64, at.ledgerId), entryId: BigInt.asUintN(64, at.entryId) };
    }
    this.#seeking = true;
    const done = conn.request({ type: CommandType.SEEK, seek }, requestId, 'seek');
    // The broker disconnects the consumer while it resets the cursor; resubscribing before the
    // reset completes could attach to (or recreate) the cursor at its old position.
    this.#seekDone = done.then(
      () => undefined,
      () => undefined,
    );
    try {
      await done;
    } finally {
      this.#seeking = false;
      this.#seekDone = undefined;
    }
    this.#sink.dropQueued(this);
    this.batchAcks.clear();
    this.#chunks.clearIncomplete();
    this.#endOfTopic = false;
    this.#position.seeked(target);
  }

  async unsubscribe(): Promise<void> {
    const conn = await this.#readyConnection();
    this.#acks.flush();
    const requestId = conn.newRequestId();
    await conn.request(
      { type: CommandType.UNSUBSCRIBE, unsubscribe: { consumer_id: this.#id, request_id: requestId } },
      requestId,
      'unsubscribe',
    );
    this.#state = 'closed';
    conn.unregisterConsumer(this.#id);
    this.#conn = undefined;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasReady = this.#state === 'ready';
    this.#state = 'closing';
    this.#acks.flush();
    const conn = this.#conn;
    if (conn !== undefined && wasReady && conn.state === 'ready') {
      const requestId = conn.newRequestId();
      await conn
        .request(
          { type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: this.#id, request_id: requestId } },
          requestId,
          'close consumer',
        )
        .catch(() => undefined);
    }
    conn?.unregisterConsumer(this.#id);
    this.#conn = undefined;
    this.#state = 'closed';
  }

  #isShut(): boolean {
    return this.#state === 'closed' || this.#state === 'failed';
  }

  // --- ConsumerHandler -------------------------------------------------------------------------

  onMessage(cmd: NonNullable<BaseCommand['message']>, payload: DecodedPayload): void {
    const messages = payload.metadata.num_messages_in_batch ?? 1;
    // The broker took a permit per message of the entry, whatever happens to it here.
    this.#brokerPermits = Math.max(0, this.#brokerPermits - messages);
    if (this.#seeking || this.#state === 'closed' || this.#state === 'closing') return;
    if (this.#epoch.isStale(cmd.consumer_epoch)) {
      this.messageTaken(messages);
      return;
    }
    const d = decodeEntry(this.topic, this.partition, cmd, payload, {
      start: this.#position.start,
      startInclusive: this.#position.startInclusive,
      batchAcks: this.batchAcks,
    });
    if (d.kind === 'corrupt') {
      if (d.cause !== undefined) this.#log.warn({ err: (d.cause as Error).message }, 'dropping undecodable message');
      this.#discard(cmd.message_id, d.validationError, d.permits);
      return;
    }
    if (d.kind === 'chunk') {
      this.#onChunk(d.id, payload.metadata, payload.payload, cmd.redelivery_count ?? 0);
      return;
    }
    for (const m of d.messages) {
      this.#position.received(m.id);
      this.#sink.deliver(m, this);
    }
    if (d.skipped > 0) this.messageTaken(d.skipped);
  }

  onBrokerClose(): void {
    this.#connectionLost();
  }

  onConnectionClosed(conn: Connection): void {
    if (conn === this.#conn) this.#connectionLost();
  }

  onActiveConsumerChange(active: boolean): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    if (!active) {
      // The broker sends what this consumer had not acknowledged to the new active consumer:
      // copies still queued here must not be processed as well.
      const dropped = this.#sink.dropQueued(this);
      if (dropped > 0) this.messageTaken(dropped);
    }
    this.#setActive(active);
  }

  #setActive(active: boolean): void {
    if (this.#active === active) return;
    this.#active = active;
    this.#log.info({ active }, 'active consumer changed');
    this.#cfg.onActiveChange?.({ topic: this.topic, partition: this.partition, active });
  }

  onReachedEndOfTopic(): void {
    this.#endOfTopic = true;
  }

  // --- internals -------------------------------------------------------------------------------

  /** Collect the chunks of one large message (in order) and deliver it when complete. */
  #onChunk(id: MessageId, meta: MessageMetadata, part: Buffer, redeliveryCount: number): void {
    const now = this.#ctx.clock.monotonic();
    for (const expired of this.#chunks.expire(now)) {
      this.#log.warn({ uuid: expired.uuid, chunks: expired.ids.length }, 'incomplete chunked message expired');
      for (const cid of expired.ids) this.#acks.add(entryData(cid));
    }
    const out = this.#chunks.add(meta, id, part, now);
    if (out.kind === 'corrupt') {
      this.#log.warn({ err: (out.cause as Error).message }, 'dropping undecodable chunked message');
      for (const cid of out.ids) this.#acks.add(entryData(cid));
    }
    // Orphan chunks are skipped (the message comes again from its first chunk on redelivery);
    // partial ones return their permit at once: the application only takes the whole message.
    if (out.kind !== 'complete' || this.#position.isBeforeStart(id)) {
      this.messageTaken(1);
      return;
    }
    // The message's id is its last chunk's, carrying the first chunk's so readers and seeks can
    // start at the whole message (Java: ChunkMessageIdImpl).
    const full = MessageId.chunked(out.ids[0] ?? id, id);
    this.#chunks.delivered(full, out.ids);
    this.#position.received(full);
    this.#sink.deliver(buildMessage(this.topic, full, meta, out.body, redeliveryCount, undefined), this);
  }

  #discard(mid: MessageIdData, validationError: number, permits: number): void {
    this.#conn?.sendCommand({
      type: CommandType.ACK,
      ack: {
        consumer_id: this.#id,
        ack_type: AckType.Individual,
        message_id: [{ ledgerId: mid.ledgerId, entryId: mid.entryId }],
        validation_error: validationError,
      },
    });
    this.messageTaken(permits);
  }

  #maybeFlow(force = false): void {
    if (this.#state !== 'ready' || this.#conn === undefined) return;
    const n = this.#flow.due(force);
    if (n === 0) return;
    this.#brokerPermits += n;
    this.#conn.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.#id, messagePermits: n } });
  }

  async #readyConnection(): Promise<Connection> {
    if (this.#state === 'closed' || this.#state === 'closing' || this.#state === 'failed') throw alreadyClosedError('consumer');
    for (let i = 0; i < 100 && (this.#state !== 'ready' || this.#conn === undefined); i++) {
      await this.#ctx.clock.sleep(50);
      if (this.#isShut()) throw alreadyClosedError('consumer');
    }
    if (this.#conn === undefined) throw connectionClosedError('consumer not connected');
    return this.#conn;
  }

  /**
   * SUBSCRIBE on the topic's connection and send the first FLOW. 'lost' when the consumer was
   * closed (CLOSE_CONSUMER, or the socket) after the broker answered but before this resumed.
   */
  async #subscribe(): Promise<'ready' | 'lost' | 'closed'> {
    const { logicalUrl, physicalUrl } = await this.#ctx.lookup.lookup(this.topic);
    const conn = await this.#ctx.pool.get(logicalUrl, physicalUrl);
    conn.registerConsumer(this.#id, this);
    this.#conn = conn;
    const requestId = conn.newRequestId();
    const cfg = this.#cfg;
    if (!cfg.durable) this.#position.resume();
    const cmd = subscribeCommand(cfg, {
      topic: this.topic,
      consumerId: this.#id,
      requestId,
      start: this.#position.start,
      startInclusive: this.#position.startInclusive,
      rollbackSec: this.#position.rollbackSec,
      epoch: this.#epoch.current,
    });
    try {
      await conn.request(cmd, requestId, 'subscribe');
    } catch (err) {
      conn.unregisterConsumer(this.#id);
      if (this.#conn === conn) this.#conn = undefined;
      throw incompatibleSchemaError(err, this.topic, cfg.schema);
    }
    if (this.#state === 'closing' || this.#state === 'closed') return 'closed';
    // A CLOSE_CONSUMER in the same read as the SUCCESS (the broker unloading a topic it has just
    // loaded), or the socket closing, runs #connectionLost before this continuation: it cleared
    // #conn and went back to 'connecting'. Marking the consumer ready now would end the reconnect
    // loop and leave it with no connection and no FLOW: a partition that never delivers (#14).
    if (this.#conn !== conn) return 'lost';
    this.#state = 'ready';
    this.#backoff.reset();
    const permits = this.#flow.subscribed();
    // A new consumer on the broker: it holds only what this FLOW grants.
    this.#brokerPermits = permits;
    if (permits > 0) conn.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.#id, messagePermits: permits } });
    return 'ready';
  }

  #connectionLost(): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') return;
    this.#conn?.unregisterConsumer(this.#id);
    this.#conn = undefined;
    this.#state = 'connecting';
    this.#brokerPermits = 0;
    this.#acks.clear();
    // The broker redelivers everything unacknowledged to the new subscription; drop local copies
    // of durable subscriptions so they are not seen twice. Readers resume after the last received.
    if (this.#cfg.durable) this.#sink.dropQueued(this);
    // Activity belongs to the connection: the broker may have handed the partition to another
    // consumer meanwhile, and it tells the resubscribed consumer its state anew.
    this.#setActive(false);
    this.#chunks.clearIncomplete();
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    void this.#reconnectLoop();
  }

  async #reconnectLoop(): Promise<void> {
    try {
      await reconnectLoop({
        clock: this.#ctx.clock,
        backoff: this.#backoff,
        connecting: () => this.#state === 'connecting',
        beforeAttempt: () => this.#seekDone,
        attempt: async () => {
          if ((await this.#subscribe()) === 'lost') throw connectionClosedError('consumer closed by the broker while resubscribing');
        },
        isFatal: (err) => err instanceof BeamlineError && !err.retriable && err.code !== PULSAR_ERROR_CODES.consumerBusy,
        fatal: (err) => {
          this.#state = 'failed';
          this.#sink.failed(this, err);
        },
        reconnected: () => {
          this.#ctx.metrics.reconnected('consumer');
          this.#log.info({}, 'consumer reconnected');
        },
        failedAttempt: (err) => this.#log.debug({ err: (err as Error).message }, 'consumer reconnect failed'),
      });
    } finally {
      this.#reconnecting = false;
    }
  }
}

function batchReceiptError(topic: string, id: MessageId): BeamlineError {
  return new BeamlineError(
    PULSAR_ERROR_CODES.unsupportedFeature,
    'an ack receipt for one member of a batch needs batch-index acks; subscribe with batchIndexAckEnabled: true',
    { details: { topic, id: id.toString() } },
  );
}
