/**
 * A producer on one topic or one partition: PRODUCER/PRODUCER_SUCCESS, batching, compression,
 * sequence ids, the bounded pending queue, send timeouts, and in-order resend after reconnect.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import {
  COMPRESSION_BY_NAME,
  CommandType,
  compress,
  CompressionType,
  MessageId,
  serverError,
  ServerError,
  type BaseCommand,
  type MessageMetadata,
} from '../../wire/index.ts';
import { Backoff } from '../../../backoff.ts';
import { sealBatch, type OpenBatch } from './batch-builder.ts';
import { createWithRetry } from '../create-retry.ts';
import type { Connection } from '../connection/connection.ts';
import type { ProducerHandler } from '../connection/connection-handlers.ts';
import type { ClientContext } from '../context.ts';
import type { DeadlineEntry } from '../connection/deadline-ticker.ts';
import { alreadyClosedError, connectionClosedError, timeoutError } from '../../api/index.ts';
import type { OutgoingMessage } from '../../api/index.ts';
import { batchMemberMetadata, chunkLimitFor, chunkOps, newOp, sendFrame, singleMessageMetadata, toBuffer, type OpSend } from './op-send.ts';
import type { ProducerConfig } from '../../api/index.ts';
import { ProducerBatches } from './producer-batches.ts';
import { producerCommand } from './producer-command.ts';
import { reconnectLoop } from '../connection/reconnect-loop.ts';
import { incompatibleSchemaError } from '../schema-wire.ts';
import { SendSlots } from './send-slots.ts';
import type { TxnId } from '../../api/index.ts';

export type ProducerState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

export class PartitionProducer implements ProducerHandler {
  readonly topic: string;
  readonly partition: number;
  readonly #cfg: ProducerConfig;
  readonly #ctx: ClientContext;
  readonly #log: Logger;
  readonly #id: number;
  readonly #compression: number;
  readonly #batches: ProducerBatches;
  readonly #backoff: Backoff;
  #state: ProducerState = 'idle';
  #conn: Connection | undefined;
  #name: string | undefined;
  #epoch = 0;
  #topicEpoch: number | undefined;
  #nextSequenceId: number;
  #lastSequenceIdPublished = -1;
  readonly #pending: OpSend[] = [];
  readonly #slots: SendSlots;
  #timeoutEntry: DeadlineEntry | undefined;
  #reconnecting = false;
  #waitingForDrain = false;
  /** Ops not yet written to the current connection, in order. */
  #toWrite: OpSend[] = [];
  #maxMessageSize = 5 * 1024 * 1024;
  #closeWaiters: (() => void)[] = [];
  /** The registered version of the declared schema (PRODUCER_SUCCESS), stamped on every message. */
  #schemaVersion: Buffer | undefined;

  constructor(ctx: ClientContext, cfg: ProducerConfig, topic: string, partition: number) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.topic = topic;
    this.partition = partition;
    this.#id = ctx.nextId();
    this.#log = ctx.logger.child({ component: 'pulsar-producer', topic });
    this.#compression = COMPRESSION_BY_NAME[cfg.compression];
    this.#batches = new ProducerBatches(cfg, ctx.clock, (b, txn) => this.#sealBatch(b, txn));
    this.#backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs, ctx.reconnectSpreadMs);
    this.#name = cfg.name;
    this.#nextSequenceId = cfg.initialSequenceId;
    this.#slots = new SendSlots(cfg.maxPendingMessages);
  }

  static async create(ctx: ClientContext, cfg: ProducerConfig, topic: string, partition: number): Promise<PartitionProducer> {
    const p = new PartitionProducer(ctx, cfg, topic, partition);
    p.#state = 'connecting';
    try {
      await createWithRetry(ctx, p.#log, { attempt: async () => void (await p.#connect()), reconnecting: () => p.#reconnecting });
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
    return this.#slots.used;
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
    const brokerLimit = chunkLimitFor(this.#maxMessageSize);
    const chunkLimit =
      this.#cfg.chunking && this.#cfg.chunkMaxMessageBytes > 0 ? Math.min(brokerLimit, this.#cfg.chunkMaxMessageBytes) : brokerLimit;
    if (payload.length > this.#maxMessageSize && !this.#cfg.chunking) {
      throw new BeamlineError(PULSAR_ERROR_CODES.messageTooLarge, 'payload exceeds the broker maximum message size (enable chunking)', {
        details: { size: payload.length, max: this.#maxMessageSize },
      });
    }
    const room = this.#slots.acquire();
    if (room !== undefined) {
      // Waited in line: the slot was handed over already counted.
      await room;
      if (this.#isShut()) throw alreadyClosedError('producer');
    }
    const startedAt = this.#ctx.clock.monotonic();
    return new Promise<MessageId>((settle, reject) => {
      const resolve = (id: MessageId): void => {
        this.#ctx.metrics.sent(this.topic, (this.#ctx.clock.monotonic() - startedAt) / 1000);
        settle(id);
      };
      const batchable = this.#cfg.batching && m.deliverAtMs === undefined && m.sequenceId === undefined && payload.length <= chunkLimit;
      if (batchable) {
        const { single, orderingKey } = batchMemberMetadata(m, payload);
        this.#batches.add({ metadata: single, payload, key: m.key, orderingKey, resolve, reject }, txn);
        return;
      }
      this.#batches.flush();
      const seq = m.sequenceId ?? this.#nextSequenceId;
      this.#nextSequenceId = Math.max(this.#nextSequenceId, seq + 1);
      const metadata = singleMessageMetadata(m, seq, txn);
      if (this.#cfg.chunking && payload.length > chunkLimit) {
        this.#enqueueChunks(seq, metadata, payload, chunkLimit, resolve, reject);
        return;
      }
      this.#enqueue(newOp(seq, metadata, payload, [{ resolve, reject }]));
    });
  }

  /** Seal open batches and wait until everything sent so far is acknowledged (or failed). */
  async flush(): Promise<void> {
    this.#batches.flush();
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
        .request(
          { type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: this.#id, request_id: requestId } },
          requestId,
          'close producer',
        )
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
    this.#slots.release(head.numMessages);
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

  #sealBatch(b: OpenBatch, txn: TxnId | undefined): void {
    const n = b.messages.length;
    if (n === 0) return;
    const seq = this.#nextSequenceId;
    this.#nextSequenceId += n;
    const { metadata, payload: raw } = sealBatch(b, seq);
    if (txn !== undefined) {
      metadata.txnid_most_bits = txn.mostBits;
      metadata.txnid_least_bits = txn.leastBits;
    }
    const callbacks = b.messages.map((m) => ({ resolve: m.resolve, reject: m.reject }));
    this.#enqueue(newOp(seq, metadata, raw, callbacks, { highestSequenceId: seq + n - 1, numMessages: n, batch: true }));
  }

  /** A message larger than the broker's max size, compressed as a whole, then sent in chunks. */
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
    const ops = chunkOps(seq, metadata, body, chunkLimit, this.#ctx.clock.now(), { resolve, reject });
    this.#slots.takeExtra(ops.length - 1);
    for (const op of ops) this.#enqueue(op, true);
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
      op.frame ??= sendFrame(op, this.#id, this.#name ?? '');
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
        this.#slots.release(op.numMessages);
        const err = timeoutError('send', this.#cfg.sendTimeoutMs, { topic: this.topic, sequenceId: op.sequenceId });
        for (const cb of op.callbacks) cb.reject(err);
      }
      this.#rearmTimeout();
    });
  }

  #failAll(err: unknown): void {
    this.#batches.flush();
    const ops = this.#pending.splice(0);
    for (const op of ops) {
      op.settled = true;
      this.#slots.release(op.numMessages);
      for (const cb of op.callbacks) cb.reject(err);
    }
    this.#rearmTimeout();
  }

  #shutdown(err: unknown): void {
    this.#batches.discard(err);
    this.#failAll(err);
    this.#ctx.ticker.cancel(this.#timeoutEntry);
    this.#timeoutEntry = undefined;
    this.#slots.wakeAll();
  }

  /**
   * PRODUCER on the topic's connection, then resend what is pending. 'lost' when the producer was
   * closed (CLOSE_PRODUCER, or the socket) after the broker answered but before this resumed.
   */
  async #connect(): Promise<'ready' | 'lost' | 'closed'> {
    const { logicalUrl, physicalUrl } = await this.#ctx.lookup.lookup(this.topic);
    const conn = await this.#ctx.pool.get(logicalUrl, physicalUrl);
    conn.registerProducer(this.#id, this);
    this.#conn = conn;
    const requestId = conn.newRequestId();
    const cmd = producerCommand(this.#cfg, {
      topic: this.topic,
      producerId: this.#id,
      requestId,
      epoch: this.#epoch,
      name: this.#name,
      topicEpoch: this.#topicEpoch,
    });
    let resp: BaseCommand;
    try {
      resp = await conn.request(cmd, requestId, 'create producer');
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
    if (this.#state === 'closing' || this.#state === 'closed') return 'closed';
    // #connectionLost ran meanwhile (see TopicConsumer#subscribe): the reconnect loop owns the
    // producer now; marking it ready would strand it with no connection (#14).
    if (this.#conn !== conn) return 'lost';
    this.#state = 'ready';
    this.#backoff.reset();
    // Resend everything not yet acknowledged, in order (the broker de-duplicates by sequence id).
    for (const op of this.#pending) op.written = false;
    this.#toWrite = [...this.#pending];
    this.#waitingForDrain = false;
    this.#writePending();
    return 'ready';
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
      await reconnectLoop({
        clock: this.#ctx.clock,
        backoff: this.#backoff,
        connecting: () => this.#state === 'connecting',
        attempt: async () => {
          if ((await this.#connect()) === 'lost') throw connectionClosedError('producer closed by the broker while reconnecting');
        },
        isFatal: (err) => err instanceof BeamlineError && !err.retriable && err.code !== PULSAR_ERROR_CODES.producerBusy,
        fatal: (err) => {
          this.#log.error({ code: (err as BeamlineError).code }, 'producer cannot reconnect');
          this.#state = 'failed';
          this.#shutdown(err);
        },
        reconnected: () => {
          this.#ctx.metrics.reconnected('producer');
          this.#log.info({ producer: this.#name }, 'producer reconnected');
        },
        failedAttempt: (err) => this.#log.debug({ err: (err as Error).message }, 'producer reconnect failed'),
      });
    } finally {
      this.#reconnecting = false;
    }
  }
}
