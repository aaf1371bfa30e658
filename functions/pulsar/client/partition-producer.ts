/**
 * A producer on one topic or one partition: PRODUCER/PRODUCER_SUCCESS, batching, compression,
 * sequence ids, the bounded pending queue, send timeouts, and in-order resend after reconnect.
 */
import { randomUUID } from 'node:crypto';
import { BeamlineError } from '../../errors.ts';
import type { Logger } from '../../telemetry.ts';
import type { TimerHandle } from '../../clock.ts';
import {
  COMPRESSION_BY_NAME,
  CommandType,
  compress,
  CompressionType,
  encodePayloadCommand,
  MessageId,
  ProducerAccessMode,
  serverError,
  ServerError,
  type BaseCommand,
  type MessageMetadata,
  type SingleMessageMetadata,
} from '../wire/index.ts';
import { Backoff } from './backoff.ts';
import { BatchBuilder, sealBatch, type BatchedMessage, type OpenBatch } from './batch-builder.ts';
import type { Connection, ProducerHandler } from './connection.ts';
import type { ClientContext } from './context.ts';
import type { DeadlineEntry } from './deadline-ticker.ts';
import { alreadyClosedError, timeoutError } from './errors.ts';
import { propertiesToList, type OutgoingMessage } from './message.ts';
import type { ProducerConfig } from './options.ts';
import type { TxnId } from './transaction-coordinator.ts';
import { incompatibleSchemaError, toSchemaData } from './schema-wire.ts';


const noop = (): void => undefined;

export type ProducerState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

interface OpSend {
  sequenceId: number;
  highestSequenceId: number;
  numMessages: number;
  metadata: MessageMetadata;
  payload: Buffer;
  frame: Buffer | undefined;
  /** Written to the current connection (reset on reconnect). */
  written: boolean;
  /** Resolved or failed already (timed out ops may still sit in the write queue). */
  settled?: boolean;
  /** One per message; index = batch index. */
  callbacks: { resolve: (id: MessageId) => void; reject: (err: unknown) => void }[];
  batch: boolean;
  /** One chunk of a message larger than the broker's max message size. */
  chunk?: boolean;
  deadline: number;
}

/** Room left in each chunk for the command and metadata (the broker allows 10 KiB of padding). */
const CHUNK_HEADROOM_BYTES = 16 * 1024;

const textEncoder = new TextEncoder();

function toBuffer(p: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(p)) return p;
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

function sameTxn(a: TxnId | undefined, b: TxnId | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.mostBits === b.mostBits && a.leastBits === b.leastBits);
}

export class PartitionProducer implements ProducerHandler {
  readonly topic: string;
  readonly partition: number;
  readonly #cfg: ProducerConfig;
  readonly #ctx: ClientContext;
  readonly #log: Logger;
  readonly #id: number;
  readonly #compression: number;
  readonly #batcher: BatchBuilder;
  readonly #backoff: Backoff;
  #state: ProducerState = 'idle';
  #conn: Connection | undefined;
  #name: string | undefined;
  #epoch = 0;
  #topicEpoch: number | undefined;
  #nextSequenceId: number;
  #lastSequenceIdPublished = -1;
  readonly #pending: OpSend[] = [];
  #pendingMessages = 0;
  #spaceWaiters: (() => void)[] = [];
  /** Index of the first waiter still waiting (a queue without O(n) shifts). */
  #spaceHead = 0;
  #batchTimer: TimerHandle | undefined;
  #timeoutEntry: DeadlineEntry | undefined;
  #reconnecting = false;
  #waitingForDrain = false;
  /** Ops not yet written to the current connection, in order. */
  #toWrite: OpSend[] = [];
  #maxMessageSize = 5 * 1024 * 1024;
  #closeWaiters: (() => void)[] = [];
  /** The registered version of the declared schema (PRODUCER_SUCCESS), stamped on every message. */
  #schemaVersion: Buffer | undefined;
  /** The transaction of the messages in the open batches (all share one). */
  #batchTxn: TxnId | undefined;

  constructor(ctx: ClientContext, cfg: ProducerConfig, topic: string, partition: number) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.topic = topic;
    this.partition = partition;
    this.#id = ctx.nextId();
    this.#log = ctx.logger.child({ component: 'pulsar-producer', topic });
    this.#compression = COMPRESSION_BY_NAME[cfg.compression];
    this.#batcher = new BatchBuilder(cfg.batchingType, cfg.batchingMaxMessages, cfg.batchingMaxBytes);
    this.#backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs);
    this.#name = cfg.name;
    this.#nextSequenceId = cfg.initialSequenceId;
  }

  static async create(ctx: ClientContext, cfg: ProducerConfig, topic: string, partition: number): Promise<PartitionProducer> {
    const p = new PartitionProducer(ctx, cfg, topic, partition);
    p.#state = 'connecting';
    try {
      await p.#connect();
    } catch (err) {
      p.#state = 'failed';
      throw err;
    }
    return p;
  }

  get state(): ProducerState {
    return this.#state;
  }
  get name(): string | undefined {
    return this.#name;
  }
  get pendingMessages(): number {
    return this.#pendingMessages;
  }
  get lastSequenceId(): number {
    return this.#lastSequenceIdPublished;
  }
  /** The connection in use (tests compare these to check pooling). */
  get connection(): Connection | undefined {
    return this.#conn;
  }

  /** `txn`: the transaction's id when sent in one (batched only with messages of the same txn). */
  async send(m: OutgoingMessage, txn?: TxnId): Promise<MessageId> {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') throw alreadyClosedError('producer');
    const payload = toBuffer(m.payload);
    const chunkLimit = this.#maxMessageSize - Math.min(CHUNK_HEADROOM_BYTES, Math.floor(this.#maxMessageSize / 4));
    if (payload.length > this.#maxMessageSize && !this.#cfg.chunking) {
      throw new BeamlineError('BL_PULSAR_MESSAGE_TOO_LARGE', 'payload exceeds the broker maximum message size (enable chunking)', {
        details: { size: payload.length, max: this.#maxMessageSize },
      });
    }
    if (this.#pendingMessages >= this.#cfg.maxPendingMessages || this.#spaceHead < this.#spaceWaiters.length) {
      // Wait in line (FIFO keeps send order): #release hands this send a slot it already counted.
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
      if (this.#isShut()) throw alreadyClosedError('producer');
    } else {
      this.#pendingMessages++;
    }
    return new Promise<MessageId>((resolve, reject) => {
      const batchable = this.#cfg.batching && m.deliverAtMs === undefined && m.sequenceId === undefined && payload.length <= chunkLimit;
      if (batchable) {
        const orderingKey = m.orderingKey === undefined ? undefined : typeof m.orderingKey === 'string' ? Buffer.from(textEncoder.encode(m.orderingKey)) : m.orderingKey;
        const single: SingleMessageMetadata = { payload_size: payload.length };
        if (m.properties !== undefined) single.properties = propertiesToList(m.properties);
        if (m.key !== undefined) single.partition_key = m.key;
        if (orderingKey !== undefined) single.ordering_key = orderingKey;
        if (m.eventTimeMs !== undefined) single.event_time = m.eventTimeMs;
        if (m.nullValue) single.null_value = true;
        const bm: BatchedMessage = { metadata: single, payload, key: m.key, orderingKey, resolve, reject };
        // A batch is one entry with one txn id: seal open batches when the txn changes. (Brokers
        // store transactional entries one at a time, so batching them matters for throughput.)
        if (this.#batcher.messageCount > 0 && !sameTxn(this.#batchTxn, txn)) this.#flushBatches();
        this.#batchTxn = txn;
        const full = this.#batcher.add(bm);
        if (full !== undefined) this.#sealBatch(full);
        if (this.#batcher.messageCount > 0 && this.#batchTimer === undefined) {
          this.#batchTimer = this.#ctx.clock.setTimeout(() => {
            this.#batchTimer = undefined;
            this.#flushBatches();
          }, this.#cfg.batchingMaxDelayMs);
        }
        return;
      }
      this.#flushBatches();
      const seq = m.sequenceId ?? this.#nextSequenceId;
      this.#nextSequenceId = Math.max(this.#nextSequenceId, seq + 1);
      const metadata: MessageMetadata = { producer_name: '', sequence_id: seq, publish_time: 0 };
      if (m.properties !== undefined) metadata.properties = propertiesToList(m.properties);
      if (m.key !== undefined) metadata.partition_key = m.key;
      if (m.orderingKey !== undefined) metadata.ordering_key = toBuffer(m.orderingKey);
      if (m.eventTimeMs !== undefined) metadata.event_time = m.eventTimeMs;
      if (m.deliverAtMs !== undefined) metadata.deliver_at_time = m.deliverAtMs;
      if (m.nullValue) metadata.null_value = true;
      if (txn !== undefined) {
        metadata.txnid_most_bits = txn.mostBits;
        metadata.txnid_least_bits = txn.leastBits;
      }
      if (this.#cfg.chunking && payload.length > chunkLimit) {
        this.#enqueueChunks(seq, metadata, payload, chunkLimit, resolve, reject);
        return;
      }
      this.#enqueue({
        sequenceId: seq,
        highestSequenceId: seq,
        numMessages: 1,
        metadata,
        payload,
        frame: undefined,
        written: false,
        callbacks: [{ resolve, reject }],
        batch: false,
        deadline: 0,
      });
    });
  }

  /** Seal open batches and wait until everything sent so far is acknowledged (or failed). */
  async flush(): Promise<void> {
    this.#flushBatches();
    const last = this.#pending[this.#pending.length - 1];
    if (last === undefined) return;
    await new Promise<void>((resolve) => {
      const cb = last.callbacks[last.callbacks.length - 1] as OpSend['callbacks'][number];
      const { resolve: r0, reject: j0 } = cb;
      cb.resolve = (id) => (r0(id), resolve());
      cb.reject = (e) => (j0(e), resolve());
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'closing') return new Promise((resolve) => this.#closeWaiters.push(resolve));
    // Flush only while connected: a producer that is reconnecting would otherwise hold close()
    // until its send timeout. Its pending messages fail with BL_PULSAR_ALREADY_CLOSED instead.
    if (this.#state === 'ready') await this.flush().catch(() => undefined);
    this.#state = 'closing';
    const conn = this.#conn;
    if (conn !== undefined && conn.state === 'ready') {
      const requestId = conn.newRequestId();
      await conn
        .request({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: this.#id, request_id: requestId } }, requestId, 'close producer')
        .catch(() => undefined);
      conn.unregisterProducer(this.#id);
    }
    this.#shutdown(alreadyClosedError('producer'));
    this.#state = 'closed';
    for (const w of this.#closeWaiters) w();
  }

  #isShut(): boolean {
    return this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed';
  }

  // --- ProducerHandler -------------------------------------------------------------------------

  onSendReceipt(r: NonNullable<BaseCommand['send_receipt']>): void {
    const head = this.#pending[0];
    if (head === undefined) return;
    if (r.sequence_id < head.sequenceId) return; // duplicate receipt of an op already settled
    if (r.sequence_id > head.sequenceId) {
      this.#log.warn({ expected: head.sequenceId, got: r.sequence_id }, 'receipt out of order, reconnecting');
      this.#conn?.close('out-of-order receipt');
      return;
    }
    this.#pending.shift();
    this.#lastSequenceIdPublished = Math.max(this.#lastSequenceIdPublished, head.highestSequenceId);
    this.#release(head.numMessages);
    const mid = r.message_id;
    const ledger = mid === undefined ? -1n : BigInt.asIntN(64, mid.ledgerId);
    const entry = mid === undefined ? -1n : BigInt.asIntN(64, mid.entryId);
    if (head.batch) {
      const n = head.callbacks.length;
      head.callbacks.forEach((cb, i) => cb.resolve(new MessageId(ledger, entry, this.partition, i, n)));
    } else {
      (head.callbacks[0] as OpSend['callbacks'][number]).resolve(new MessageId(ledger, entry, this.partition));
    }
    this.#rearmTimeout();
  }

  onSendError(e: NonNullable<BaseCommand['send_error']>): void {
    if (e.error === ServerError['TopicTerminatedError']) {
      this.#failAll(serverError(e.error, e.message, { topic: this.topic }));
      this.#state = 'failed';
      return;
    }
    // Anything else (checksum, persistence): the broker cannot have stored it; reconnect and resend.
    this.#log.warn({ error: e.error, message: e.message }, 'send error, reconnecting');
    this.#conn?.close('send error');
  }

  onBrokerClose(): void {
    this.#connectionLost();
  }

  onConnectionClosed(conn: Connection): void {
    if (conn === this.#conn) this.#connectionLost();
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * Frees slots and hands them to waiting senders in order, one slot each, counted here: waking
   * every waiter to re-check (and shifting a long array) made 50k outstanding sends quadratic.
   */
  #release(n: number): void {
    this.#pendingMessages -= n;
    const ws = this.#spaceWaiters;
    while (this.#spaceHead < ws.length && this.#pendingMessages < this.#cfg.maxPendingMessages) {
      const wake = ws[this.#spaceHead] as () => void;
      ws[this.#spaceHead] = noop;
      this.#spaceHead++;
      this.#pendingMessages++;
      wake();
    }
    if (this.#spaceHead === ws.length) {
      this.#spaceWaiters = [];
      this.#spaceHead = 0;
    } else if (this.#spaceHead > 4096) {
      this.#spaceWaiters = ws.slice(this.#spaceHead);
      this.#spaceHead = 0;
    }
  }

  #flushBatches(): void {
    if (this.#batchTimer !== undefined) {
      this.#ctx.clock.clearTimeout(this.#batchTimer);
      this.#batchTimer = undefined;
    }
    for (const b of this.#batcher.drain()) this.#sealBatch(b);
  }

  #sealBatch(b: OpenBatch): void {
    const n = b.messages.length;
    if (n === 0) return;
    const seq = this.#nextSequenceId;
    this.#nextSequenceId += n;
    const { metadata, payload: raw } = sealBatch(b, seq);
    if (this.#batchTxn !== undefined) {
      metadata.txnid_most_bits = this.#batchTxn.mostBits;
      metadata.txnid_least_bits = this.#batchTxn.leastBits;
    }
    this.#enqueue({
      sequenceId: seq,
      highestSequenceId: seq + n - 1,
      numMessages: n,
      metadata,
      payload: raw,
      frame: undefined,
      written: false,
      callbacks: b.messages.map((m) => ({ resolve: m.resolve, reject: m.reject })),
      batch: true,
      deadline: 0,
    });
  }

  /**
   * Split one large message into chunks (compressed as a whole first). Every chunk is its own
   * entry carrying uuid/chunk_id/num_chunks_from_msg and the same sequence id; the send resolves
   * with the last chunk's id once every chunk is stored.
   */
  #enqueueChunks(
    seq: number,
    metadata: MessageMetadata,
    payload: Buffer,
    chunkLimit: number,
    resolve: (id: MessageId) => void,
    reject: (err: unknown) => void,
  ): void {
    let body = payload;
    if (this.#compression !== CompressionType.NONE) {
      metadata.compression = this.#compression;
      metadata.uncompressed_size = payload.length;
      body = compress(this.#compression, payload);
    }
    const n = Math.max(1, Math.ceil(body.length / chunkLimit));
    const uuid = randomUUID();
    this.#pendingMessages += n - 1;
    const publishTime = this.#ctx.clock.now();
    for (let i = 0; i < n; i++) {
      const md: MessageMetadata = {
        ...metadata,
        publish_time: publishTime,
        uuid,
        chunk_id: i,
        num_chunks_from_msg: n,
        total_chunk_msg_size: body.length,
      };
      const last = i === n - 1;
      this.#enqueue(
        {
          sequenceId: seq,
          highestSequenceId: seq,
          numMessages: 1,
          metadata: md,
          payload: body.subarray(i * chunkLimit, Math.min(body.length, (i + 1) * chunkLimit)),
          frame: undefined,
          written: false,
          callbacks: [{ resolve: last ? resolve : () => undefined, reject }],
          batch: false,
          chunk: true,
          deadline: 0,
        },
        true,
      );
    }
  }

  #enqueue(op: OpSend, precompressed = false): void {
    if (!precompressed) op.metadata.publish_time = this.#ctx.clock.now();
    if (this.#schemaVersion !== undefined) op.metadata.schema_version = this.#schemaVersion;
    if (!precompressed && this.#compression !== CompressionType.NONE && op.payload.length > 0) {
      op.metadata.compression = this.#compression;
      op.metadata.uncompressed_size = op.payload.length;
      op.payload = compress(this.#compression, op.payload);
    }
    op.deadline = this.#ctx.clock.monotonic() + this.#cfg.sendTimeoutMs;
    this.#pending.push(op);
    this.#toWrite.push(op);
    if (this.#pending.length === 1) this.#rearmTimeout();
    if (this.#state === 'ready' && !this.#waitingForDrain) this.#writePending();
  }

  /**
   * Write unwritten ops in order until the socket buffer is full; then wait for 'drain'
   * instead of piling frames into Node's write buffer (backpressure).
   */
  #writePending(): void {
    const conn = this.#conn;
    if (conn === undefined || this.#state !== 'ready') return;
    while (this.#toWrite.length > 0) {
      const op = this.#toWrite[0] as OpSend;
      if (op.written || op.settled) {
        this.#toWrite.shift();
        continue;
      }
      if (conn.needsDrain) {
        if (!this.#waitingForDrain) {
          this.#waitingForDrain = true;
          void conn.drained().then(() => {
            this.#waitingForDrain = false;
            if (this.#conn === conn) this.#writePending();
          });
        }
        return;
      }
      if (op.frame === undefined) {
        op.metadata.producer_name = this.#name ?? '';
        const send: NonNullable<BaseCommand['send']> = { producer_id: this.#id, sequence_id: op.sequenceId, num_messages: op.numMessages };
        if (op.batch) send.highest_sequence_id = op.highestSequenceId;
        if (op.chunk === true) send.is_chunk = true;
        if (op.metadata.txnid_most_bits !== undefined) {
          send.txnid_most_bits = op.metadata.txnid_most_bits;
          send.txnid_least_bits = op.metadata.txnid_least_bits ?? 0n;
        }
        op.frame = encodePayloadCommand({ type: CommandType.SEND, send }, op.metadata, op.payload);
      }
      conn.write(op.frame);
      op.written = true;
      this.#toWrite.shift();
    }
  }

  #rearmTimeout(): void {
    this.#ctx.ticker.cancel(this.#timeoutEntry);
    this.#timeoutEntry = undefined;
    const head = this.#pending[0];
    if (head === undefined || this.#cfg.sendTimeoutMs === 0) return;
    const delay = Math.max(0, head.deadline - this.#ctx.clock.monotonic());
    this.#timeoutEntry = this.#ctx.ticker.add(delay, () => {
      this.#timeoutEntry = undefined;
      const now = this.#ctx.clock.monotonic();
      while (this.#pending.length > 0 && (this.#pending[0] as OpSend).deadline <= now) {
        const op = this.#pending.shift() as OpSend;
        op.settled = true;
        this.#release(op.numMessages);
        const err = timeoutError('send', this.#cfg.sendTimeoutMs, { topic: this.topic, sequenceId: op.sequenceId });
        for (const cb of op.callbacks) cb.reject(err);
      }
      this.#rearmTimeout();
    });
  }

  #failAll(err: unknown): void {
    this.#flushBatches();
    const ops = this.#pending.splice(0);
    for (const op of ops) {
      op.settled = true;
      this.#release(op.numMessages);
      for (const cb of op.callbacks) cb.reject(err);
    }
    this.#rearmTimeout();
  }

  #shutdown(err: unknown): void {
    if (this.#batchTimer !== undefined) this.#ctx.clock.clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    for (const b of this.#batcher.drain()) for (const m of b.messages) m.reject(err);
    this.#failAll(err);
    this.#ctx.ticker.cancel(this.#timeoutEntry);
    this.#timeoutEntry = undefined;
    const ws = this.#spaceWaiters.slice(this.#spaceHead);
    this.#spaceWaiters = [];
    this.#spaceHead = 0;
    for (const w of ws) w();
  }

  async #connect(): Promise<void> {
    const { logicalUrl, physicalUrl } = await this.#ctx.lookup.lookup(this.topic);
    const conn = await this.#ctx.pool.get(logicalUrl, physicalUrl);
    conn.registerProducer(this.#id, this);
    this.#conn = conn;
    const requestId = conn.newRequestId();
    const producer: NonNullable<BaseCommand['producer']> = {
      topic: this.topic,
      producer_id: this.#id,
      request_id: requestId,
      epoch: this.#epoch,
      user_provided_producer_name: this.#cfg.name !== undefined,
      producer_access_mode: ProducerAccessMode[this.#cfg.accessMode],
    };
    if (this.#name !== undefined) producer.producer_name = this.#name;
    if (this.#topicEpoch !== undefined) producer.topic_epoch = this.#topicEpoch;
    const md = propertiesToList(this.#cfg.properties);
    if (md !== undefined) producer.metadata = md;
    const schema = toSchemaData(this.#cfg.schema);
    if (schema !== undefined) producer.schema = schema;
    let resp: BaseCommand;
    try {
      resp = await conn.request({ type: CommandType.PRODUCER, producer }, requestId, 'create producer');
    } catch (err) {
      conn.unregisterProducer(this.#id);
      if (this.#conn === conn) this.#conn = undefined;
      throw incompatibleSchemaError(err, this.topic, this.#cfg.schema);
    }
    const ps = resp.producer_success;
    if (ps?.schema_version !== undefined && ps.schema_version.length > 0) this.#schemaVersion = ps.schema_version;
    this.#name = ps?.producer_name ?? this.#name;
    if (ps?.topic_epoch !== undefined) this.#topicEpoch = ps.topic_epoch;
    const last = ps?.last_sequence_id ?? -1;
    if (last >= 0) {
      this.#lastSequenceIdPublished = Math.max(this.#lastSequenceIdPublished, last);
      if (this.#pending.length === 0) this.#nextSequenceId = Math.max(this.#nextSequenceId, last + 1);
    }
    this.#maxMessageSize = conn.maxMessageSize;
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'ready';
    this.#backoff.reset();
    // Resend everything not yet acknowledged, in order (the broker de-duplicates by sequence id).
    for (const op of this.#pending) op.written = false;
    this.#toWrite = [...this.#pending];
    this.#waitingForDrain = false;
    this.#writePending();
  }

  #connectionLost(): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') return;
    this.#conn?.unregisterProducer(this.#id);
    this.#conn = undefined;
    this.#state = 'connecting';
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    void this.#reconnectLoop();
  }

  async #reconnectLoop(): Promise<void> {
    this.#epoch++;
    try {
      while (this.#state === 'connecting') {
        const delay = this.#backoff.next();
        await this.#ctx.clock.sleep(delay);
        if (this.#state !== 'connecting') return;
        try {
          await this.#connect();
          this.#log.info({ producer: this.#name }, 'producer reconnected');
          return;
        } catch (err) {
          if (err instanceof BeamlineError && !err.retriable && err.code !== 'BL_PULSAR_PRODUCER_BUSY') {
            this.#log.error({ code: err.code }, 'producer cannot reconnect');
            this.#state = 'failed';
            this.#shutdown(err);
            return;
          }
          this.#log.debug({ err: (err as Error).message }, 'producer reconnect failed');
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }
}
