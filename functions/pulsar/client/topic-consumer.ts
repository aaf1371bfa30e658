/**
 * A consumer on one topic or partition: SUBSCRIBE (initial position, start id, Key_Shared meta),
 * FLOW permits counted per message, MESSAGE decoding (decompression, batches, ack_set filtering),
 * ACK grouping, REDELIVER, SEEK, GET_LAST_MESSAGE_ID, UNSUBSCRIBE and reconnect.
 */
import { BeamlineError } from '../../errors.ts';
import type { Logger } from '../../telemetry.ts';
import {
  AckType,
  CommandType,
  decodeBatch,
  decompress,
  InitialPosition,
  KeySharedMode,
  MessageId,
  SubType,
  type BaseCommand,
  type DecodedPayload,
  type MessageIdData,
  type MessageMetadata,
} from '../wire/index.ts';
import { Backoff } from './backoff.ts';
import { BatchAcks, type BatchAckState } from './batch-acks.ts';
import type { Connection, ConsumerHandler } from './connection.ts';
import type { ClientContext } from './context.ts';
import { alreadyClosedError, connectionClosedError } from './errors.ts';
import type { Message } from './message.ts';
import { buildMessage, isBeforeStart } from './message-builder.ts';
import type { ConsumerConfig } from './options.ts';
import type { TxnId } from './transaction-coordinator.ts';
import { incompatibleSchemaError, toSchemaData } from './schema-wire.ts';

export type TopicConsumerState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

/** Where a TopicConsumer hands its messages (the public Consumer's queue). */
export interface MessageSink {
  deliver(msg: Message, from: TopicConsumer): void;
  /** Drop queued, not yet received messages of `from` (the broker will send them again). */
  dropQueued(from: TopicConsumer): number;
  /** A fatal error (e.g. the subscription was deleted). */
  failed(from: TopicConsumer, err: unknown): void;
}

const VALIDATION_DECOMPRESSION = 1;
const VALIDATION_CHECKSUM = 2;
const VALIDATION_BATCH = 3;

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
  #permits = 0;
  #paused = false;
  #ackQueue: MessageIdData[] = [];
  /** Partly acked batches (batch-index acks) waiting for the next flush: one ack_set per entry. */
  readonly #partialAcks = new Map<string, { ledgerId: bigint; entryId: bigint; state: BatchAckState }>();
  #ackFlushScheduled = false;
  #reconnecting = false;
  #seeking = false;
  #seekDone: Promise<void> | undefined;
  /** Reader start position; after delivery, the last received id (for resubscribing). */
  #start: MessageId | undefined;
  #startInclusive: boolean;
  #lastReceived: MessageId | undefined;
  #endOfTopic = false;
  /** Chunked messages being assembled, by uuid (insertion order = age). */
  readonly #chunks = new Map<string, { parts: Buffer[]; ids: MessageId[]; startedAt: number }>();
  /** Chunk entry ids of delivered chunked messages, by the message id, until acked. */
  readonly #chunkIds = new Map<string, MessageId[]>();

  constructor(ctx: ClientContext, cfg: ConsumerConfig, topic: string, partition: number, sink: MessageSink) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.topic = topic;
    this.partition = partition;
    this.#sink = sink;
    this.#id = ctx.nextId();
    this.#log = ctx.logger.child({ component: 'pulsar-consumer', topic, subscription: cfg.subscription });
    this.#backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs);
    this.#start = cfg.startMessageId;
    this.#startInclusive = cfg.startMessageIdInclusive;
  }

  static async create(ctx: ClientContext, cfg: ConsumerConfig, topic: string, partition: number, sink: MessageSink): Promise<TopicConsumer> {
    const c = new TopicConsumer(ctx, cfg, topic, partition, sink);
    c.#state = 'connecting';
    try {
      await c.#subscribe();
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
    return this.#lastReceived;
  }

  /** The application took `n` messages: return permits, refilling at half the queue. */
  messageTaken(n: number): void {
    this.#permits += n;
    this.#maybeFlow();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#maybeFlow(true);
  }

  ack(id: MessageId): void {
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      const key = BatchAcks.key(id.ledgerId, id.entryId);
      const s = this.batchAcks.ack(key, id.batchSize, id.batchIndex);
      if (s.remaining === 0) this.#queueAck({ ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId) });
      else if (this.#cfg.batchIndexAckEnabled) {
        // The bitset is built at flush time, once per entry: acking a big batch member by member
        // would otherwise build and send one bitset per message.
        this.#partialAcks.set(key, { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId), state: s });
        this.#scheduleAckFlush();
      }
      return;
    }
    const chunks = this.#chunkIds.get(id.toString());
    if (chunks !== undefined) {
      this.#chunkIds.delete(id.toString());
      for (const c of chunks) this.#queueAck({ ledgerId: BigInt.asUintN(64, c.ledgerId), entryId: BigInt.asUintN(64, c.entryId) });
      return;
    }
    this.#queueAck({ ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId) });
  }

  /** One individual ack inside a transaction, confirmed by the broker (ACK -> ACK_RESPONSE). */
  async ackInTxn(id: MessageId, txn: TxnId): Promise<void> {
    const conn = await this.#readyConnection();
    const ledgerId = BigInt.asUintN(64, id.ledgerId);
    const entryId = BigInt.asUintN(64, id.entryId);
    let ids: MessageIdData[];
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      // Only this member of the batch: every bit set except its own (set = still unacked).
      const words: bigint[] = [];
      for (let w = 0; w * 64 < id.batchSize; w++) {
        let v = 0n;
        for (let b = 0; b < 64 && w * 64 + b < id.batchSize; b++) if (w * 64 + b !== id.batchIndex) v |= 1n << BigInt(b);
        words.push(BigInt.asIntN(64, v));
      }
      ids = [{ ledgerId, entryId, ack_set: words, batch_size: id.batchSize }];
    } else {
      const chunks = this.#chunkIds.get(id.toString());
      ids = (chunks ?? [id]).map((c) => ({ ledgerId: BigInt.asUintN(64, c.ledgerId), entryId: BigInt.asUintN(64, c.entryId) }));
    }
    const requestId = conn.newRequestId();
    await conn.request(
      {
        type: CommandType.ACK,
        ack: {
          consumer_id: this.#id,
          ack_type: AckType.Individual,
          message_id: ids,
          txnid_most_bits: txn.mostBits,
          txnid_least_bits: txn.leastBits,
          request_id: requestId,
        },
      },
      requestId,
      'transactional ack',
    );
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
    const entries = new Map<string, { ledgerId: bigint; entryId: bigint; batchSize: number; members: Set<number> }>();
    const data: MessageIdData[] = [];
    for (const id of ids) {
      const ledgerId = BigInt.asUintN(64, id.ledgerId);
      const entryId = BigInt.asUintN(64, id.entryId);
      if (id.batchIndex >= 0 && id.batchSize > 1) {
        const k = `${ledgerId}:${entryId}`;
        let e = entries.get(k);
        if (e === undefined) {
          e = { ledgerId, entryId, batchSize: id.batchSize, members: new Set() };
          entries.set(k, e);
        }
        e.members.add(id.batchIndex);
        continue;
      }
      const chunks = this.#chunkIds.get(id.toString());
      for (const c of chunks ?? [id]) data.push({ ledgerId: BigInt.asUintN(64, c.ledgerId), entryId: BigInt.asUintN(64, c.entryId) });
    }
    for (const e of entries.values()) {
      const words: bigint[] = [];
      for (let w = 0; w * 64 < e.batchSize; w++) {
        let v = 0n;
        // A set bit = still unacked.
        for (let b = 0; b < 64 && w * 64 + b < e.batchSize; b++) if (!e.members.has(w * 64 + b)) v |= 1n << BigInt(b);
        words.push(BigInt.asIntN(64, v));
      }
      data.push({ ledgerId: e.ledgerId, entryId: e.entryId, ack_set: words, batch_size: e.batchSize });
    }
    const requestId = conn.newRequestId();
    await conn.request(
      {
        type: CommandType.ACK,
        ack: {
          consumer_id: this.#id,
          ack_type: AckType.Individual,
          message_id: data,
          txnid_most_bits: txn.mostBits,
          txnid_least_bits: txn.leastBits,
          request_id: requestId,
        },
      },
      requestId,
      'transactional ack',
    );
  }

  ackCumulative(id: MessageId): void {
    const conn = this.#conn;
    let data: MessageIdData | undefined;
    if (id.batchIndex >= 0 && id.batchSize > 1 && id.batchIndex < id.batchSize - 1) {
      const key = BatchAcks.key(id.ledgerId, id.entryId);
      const s = this.batchAcks.ackUpTo(key, id.batchSize, id.batchIndex);
      if (this.#cfg.batchIndexAckEnabled) {
        data = { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId), ack_set: BatchAcks.unackedBits(s), batch_size: id.batchSize };
      } else if (id.entryId > 0n) {
        // Without batch-index acks the broker would ack the whole entry: stop at the previous one.
        data = { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId - 1n) };
      }
    } else {
      data = { ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId) };
    }
    if (data === undefined || conn === undefined) return;
    this.#flushAcks();
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
      const seen = new Set<string>();
      const list: MessageIdData[] = [];
      for (const id of ids.flatMap((i) => this.#chunkIds.get(i.toString()) ?? [i])) {
        const k = BatchAcks.key(id.ledgerId, id.entryId);
        if (seen.has(k)) continue;
        seen.add(k);
        list.push({ ledgerId: BigInt.asUintN(64, id.ledgerId), entryId: BigInt.asUintN(64, id.entryId) });
      }
      conn.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumer_id: this.#id, message_ids: list },
      });
      return;
    }
    const dropped = this.#sink.dropQueued(this);
    conn.sendCommand({ type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES, redeliverUnacknowledgedMessages: { consumer_id: this.#id } });
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
    if (r === undefined) throw new BeamlineError('BL_PULSAR_PROTOCOL_DECODE', 'empty GET_LAST_MESSAGE_ID response');
    return {
      last: MessageId.fromData(r.last_message_id, this.partition),
      markDelete: r.consumer_mark_delete_position === undefined ? undefined : MessageId.fromData(r.consumer_mark_delete_position, this.partition),
    };
  }

  /** SEEK to an id (inclusive) or a publish time. The broker then drops and re-adds the consumer. */
  async seek(target: MessageId | number): Promise<void> {
    const conn = await this.#readyConnection();
    const requestId = conn.newRequestId();
    const seek: NonNullable<BaseCommand['seek']> = { consumer_id: this.#id, request_id: requestId };
    if (typeof target === 'number') seek.message_publish_time = target;
    else seek.message_id = { ledgerId: BigInt.asUintN(64, target.ledgerId), entryId: BigInt.asUintN(64, target.entryId) };
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
    this.#chunks.clear();
    this.#endOfTopic = false;
    if (typeof target === 'number') {
      // The reset cursor is reused on resubscribe; `earliest` only matters if it was dropped.
      this.#start = MessageId.earliest;
      this.#startInclusive = false;
      this.#lastReceived = undefined;
    } else {
      this.#start = target;
      this.#startInclusive = true;
      this.#lastReceived = undefined;
    }
  }

  async unsubscribe(): Promise<void> {
    const conn = await this.#readyConnection();
    this.#flushAcks();
    const requestId = conn.newRequestId();
    await conn.request({ type: CommandType.UNSUBSCRIBE, unsubscribe: { consumer_id: this.#id, request_id: requestId } }, requestId, 'unsubscribe');
    this.#state = 'closed';
    conn.unregisterConsumer(this.#id);
    this.#conn = undefined;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasReady = this.#state === 'ready';
    this.#state = 'closing';
    this.#flushAcks();
    const conn = this.#conn;
    if (conn !== undefined && wasReady && conn.state === 'ready') {
      const requestId = conn.newRequestId();
      await conn
        .request({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: this.#id, request_id: requestId } }, requestId, 'close consumer')
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
    if (this.#seeking || this.#state === 'closed' || this.#state === 'closing') return;
    const mid = cmd.message_id;
    const ledgerId = BigInt.asIntN(64, mid.ledgerId);
    const entryId = BigInt.asIntN(64, mid.entryId);
    if (!payload.checksumValid) {
      this.#discard(mid, VALIDATION_CHECKSUM, 1);
      return;
    }
    const meta = payload.metadata;
    if ((meta.num_chunks_from_msg ?? 0) > 1 && meta.uuid !== undefined) {
      this.#onChunk(new MessageId(ledgerId, entryId, this.partition), meta, payload.payload, cmd.redelivery_count ?? 0);
      return;
    }
    let body: Buffer;
    try {
      body = decompress(meta.compression ?? 0, payload.payload, meta.uncompressed_size ?? payload.payload.length);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'dropping undecodable message');
      this.#discard(mid, VALIDATION_DECOMPRESSION, meta.num_messages_in_batch ?? 1);
      return;
    }
    const redeliveryCount = cmd.redelivery_count ?? 0;
    if (meta.num_messages_in_batch === undefined) {
      const id = new MessageId(ledgerId, entryId, this.partition);
      if (isBeforeStart(id, this.#start, this.#startInclusive)) {
        this.messageTaken(1);
        return;
      }
      this.#lastReceived = id;
      this.#sink.deliver(buildMessage(this.topic, id, meta, body, redeliveryCount, undefined), this);
      return;
    }
    const n = meta.num_messages_in_batch;
    let entries;
    try {
      entries = decodeBatch(body, n);
    } catch {
      this.#discard(mid, VALIDATION_BATCH, n);
      return;
    }
    const key = BatchAcks.key(ledgerId, entryId);
    const local = this.batchAcks.get(key);
    const ackSet = cmd.ack_set !== undefined && cmd.ack_set.length > 0 ? cmd.ack_set : undefined;
    let skipped = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as (typeof entries)[number];
      const id = new MessageId(ledgerId, entryId, this.partition, i, n);
      if (
        e.metadata.compacted_out === true ||
        (ackSet !== undefined && !BatchAcks.bitSet(ackSet, i)) ||
        (local !== undefined && local.acked[i] === 1) ||
        isBeforeStart(id, this.#start, this.#startInclusive)
      ) {
        skipped++;
        continue;
      }
      this.#lastReceived = id;
      this.#sink.deliver(buildMessage(this.topic, id, meta, e.payload, redeliveryCount, e.metadata), this);
    }
    if (skipped > 0) this.messageTaken(skipped);
  }

  onBrokerClose(): void {
    this.#connectionLost();
  }

  onConnectionClosed(conn: Connection): void {
    if (conn === this.#conn) this.#connectionLost();
  }

  onReachedEndOfTopic(): void {
    this.#endOfTopic = true;
  }

  // --- internals -------------------------------------------------------------------------------

  /** Collect the chunks of one large message (in order) and deliver it when complete. */
  #onChunk(id: MessageId, meta: MessageMetadata, part: Buffer, redeliveryCount: number): void {
    const uuid = meta.uuid as string;
    const n = meta.num_chunks_from_msg as number;
    this.#expireIncompleteChunks();
    let ctx = this.#chunks.get(uuid);
    if (meta.chunk_id === 0) {
      ctx = { parts: [], ids: [], startedAt: this.#ctx.clock.monotonic() };
      this.#chunks.set(uuid, ctx);
      if (this.#chunks.size > this.#cfg.maxPendingChunkedMessages) {
        // Too many half-received messages: forget the oldest (it is redelivered, never acked).
        const oldest = this.#chunks.keys().next().value as string;
        this.#chunks.delete(oldest);
      }
    }
    if (ctx === undefined || meta.chunk_id !== ctx.parts.length) {
      // A chunk without its predecessors (e.g. after a reconnect mid-message): skip it; the
      // message comes again from its first chunk on redelivery.
      this.messageTaken(1);
      return;
    }
    ctx.parts.push(part);
    ctx.ids.push(id);
    if (ctx.parts.length < n) {
      this.messageTaken(1); // the application only ever takes the whole message
      return;
    }
    this.#chunks.delete(uuid);
    let body: Buffer;
    try {
      const joined = Buffer.concat(ctx.parts);
      body = decompress(meta.compression ?? 0, joined, meta.uncompressed_size ?? joined.length);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'dropping undecodable chunked message');
      for (const cid of ctx.ids) this.#queueAck({ ledgerId: BigInt.asUintN(64, cid.ledgerId), entryId: BigInt.asUintN(64, cid.entryId) });
      this.messageTaken(1);
      return;
    }
    if (isBeforeStart(id, this.#start, this.#startInclusive)) {
      this.messageTaken(1);
      return;
    }
    this.#chunkIds.set(id.toString(), ctx.ids);
    this.#lastReceived = id;
    this.#sink.deliver(buildMessage(this.topic, id, meta, body, redeliveryCount, undefined), this);
  }

  /**
   * Discard chunked messages whose remaining chunks never came (e.g. the producer died mid-way):
   * their chunks are acked so they do not sit in the backlog forever.
   */
  #expireIncompleteChunks(): void {
    const ttl = this.#cfg.expireTimeOfIncompleteChunkedMessageMs;
    if (ttl <= 0 || this.#chunks.size === 0) return;
    const now = this.#ctx.clock.monotonic();
    for (const [uuid, c] of this.#chunks) {
      // Insertion order is age order: stop at the first one still fresh.
      if (now - c.startedAt < ttl) break;
      this.#chunks.delete(uuid);
      this.#log.warn({ uuid, chunks: c.ids.length }, 'incomplete chunked message expired');
      for (const cid of c.ids) this.#queueAck({ ledgerId: BigInt.asUintN(64, cid.ledgerId), entryId: BigInt.asUintN(64, cid.entryId) });
    }
  }

  #discard(mid: MessageIdData, validationError: number, permits: number): void {
    this.#conn?.sendCommand({
      type: CommandType.ACK,
      ack: { consumer_id: this.#id, ack_type: AckType.Individual, message_id: [{ ledgerId: mid.ledgerId, entryId: mid.entryId }], validation_error: validationError },
    });
    this.messageTaken(permits);
  }

  #queueAck(d: MessageIdData): void {
    this.#ackQueue.push(d);
    this.#scheduleAckFlush();
  }

  #scheduleAckFlush(): void {
    if (this.#ackFlushScheduled) return;
    this.#ackFlushScheduled = true;
    // Acks made in one turn of the event loop go out as ONE ACK command with many ids.
    setImmediate(() => this.#flushAcks());
  }

  #flushAcks(): void {
    this.#ackFlushScheduled = false;
    for (const p of this.#partialAcks.values()) {
      // remaining 0: the whole entry was acked meanwhile and is already queued.
      if (p.state.remaining > 0) this.#ackQueue.push({ ledgerId: p.ledgerId, entryId: p.entryId, ack_set: BatchAcks.unackedBits(p.state), batch_size: p.state.size });
    }
    this.#partialAcks.clear();
    if (this.#ackQueue.length === 0) return;
    const conn = this.#conn;
    if (conn === undefined) return; // acks of a lost connection are moot: the broker redelivers
    const ids = this.#ackQueue;
    this.#ackQueue = [];
    conn.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.#id, ack_type: AckType.Individual, message_id: ids } });
  }

  #maybeFlow(force = false): void {
    if (this.#paused || this.#state !== 'ready' || this.#conn === undefined) return;
    const threshold = Math.max(1, Math.floor(this.#cfg.receiverQueueSize / 2));
    if (this.#permits >= threshold || (force && this.#permits > 0)) {
      const n = this.#permits;
      this.#permits = 0;
      this.#conn.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.#id, messagePermits: n } });
    }
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

  async #subscribe(): Promise<void> {
    const { logicalUrl, physicalUrl } = await this.#ctx.lookup.lookup(this.topic);
    const conn = await this.#ctx.pool.get(logicalUrl, physicalUrl);
    conn.registerConsumer(this.#id, this);
    this.#conn = conn;
    const requestId = conn.newRequestId();
    const cfg = this.#cfg;
    const sub: NonNullable<BaseCommand['subscribe']> = {
      topic: this.topic,
      subscription: cfg.subscription,
      subType: SubType[cfg.subscriptionType],
      consumer_id: this.#id,
      request_id: requestId,
      consumer_name: cfg.consumerName,
      durable: cfg.durable,
      read_compacted: cfg.readCompacted,
      initialPosition: InitialPosition[cfg.initialPosition],
      force_topic_creation: true,
    };
    if (cfg.priorityLevel > 0) sub.priority_level = cfg.priorityLevel;
    if (cfg.replicateSubscriptionState) sub.replicate_subscription_state = true;
    if (cfg.subscriptionType === 'Key_Shared') sub.keySharedMeta = { keySharedMode: KeySharedMode.AUTO_SPLIT };
    const schema = toSchemaData(cfg.schema);
    if (schema !== undefined) sub.schema = schema;
    if (!cfg.durable) {
      // Non-durable (reader): resume after the last message received, else at the start id.
      if (this.#lastReceived !== undefined) {
        this.#start = this.#lastReceived;
        this.#startInclusive = false;
      }
      const start = this.#start;
      if (start !== undefined) {
        let d = start.toData();
        delete d.partition;
        if (this.#startInclusive && start.batchIndex < 0 && start !== MessageId.earliest && start !== MessageId.latest) {
          // The broker starts after the id it is given: step back one entry to include it.
          d = { ledgerId: d.ledgerId, entryId: BigInt.asUintN(64, start.entryId - 1n) };
        }
        sub.start_message_id = d;
      }
    }
    try {
      await conn.request({ type: CommandType.SUBSCRIBE, subscribe: sub }, requestId, 'subscribe');
    } catch (err) {
      conn.unregisterConsumer(this.#id);
      if (this.#conn === conn) this.#conn = undefined;
      throw incompatibleSchemaError(err, this.topic, cfg.schema);
    }
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'ready';
    this.#backoff.reset();
    if (this.#paused) {
      // Hand the whole queue's worth of permits out on resume().
      this.#permits = cfg.receiverQueueSize;
      return;
    }
    this.#permits = 0;
    conn.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.#id, messagePermits: cfg.receiverQueueSize } });
  }

  #connectionLost(): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') return;
    this.#conn?.unregisterConsumer(this.#id);
    this.#conn = undefined;
    this.#state = 'connecting';
    this.#ackQueue = [];
    this.#partialAcks.clear();
    // The broker redelivers everything unacknowledged to the new subscription; drop local copies
    // of durable subscriptions so they are not seen twice. Readers resume after the last received.
    if (this.#cfg.durable) this.#sink.dropQueued(this);
    this.#chunks.clear();
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    void this.#reconnectLoop();
  }

  async #reconnectLoop(): Promise<void> {
    try {
      while (this.#state === 'connecting') {
        await this.#ctx.clock.sleep(this.#backoff.next());
        if (this.#seekDone !== undefined) await this.#seekDone;
        if (this.#state !== 'connecting') return;
        try {
          await this.#subscribe();
          this.#log.info({}, 'consumer reconnected');
          return;
        } catch (err) {
          if (err instanceof BeamlineError && !err.retriable && err.code !== 'BL_PULSAR_CONSUMER_BUSY') {
            this.#state = 'failed';
            this.#sink.failed(this, err);
            return;
          }
          this.#log.debug({ err: (err as Error).message }, 'consumer reconnect failed');
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }
}
