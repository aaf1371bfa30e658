/**
 * One TCP/TLS connection to a broker (or a proxy): handshake, request/response correlation,
 * keep-alive, write backpressure, and routing of producer/consumer commands by id.
 */
import type net from 'node:net';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { BeamlineError } from '../../errors.ts';
import type { Logger } from '../../telemetry.ts';
import {
  CLIENT_PROTOCOL_VERSION,
  CommandType,
  decodeFrame,
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeCommand,
  FrameDecoder,
  LookupResponseType,
  PartitionedMetadataResponseType,
  serverError,
  type BaseCommand,
  type DecodedPayload,
} from '../wire/index.ts';
import { resolveToken, type TokenSource } from './auth.ts';
import type { DeadlineEntry, DeadlineTicker } from './deadline-ticker.ts';
import { connectionClosedError, timeoutError } from './errors.ts';
import type { BrokerAddress } from './service-url.ts';
import { openSocket, type TlsOptions } from './socket.ts';

export type { TlsOptions } from './socket.ts';

export const CLIENT_VERSION = 'beamline-ts-0.1.0';

export interface ConnectionOptions {
  readonly physical: BrokerAddress;
  /** The broker this connection speaks for (differs from `physical` through a proxy). */
  readonly logicalUrl: string;
  readonly proxyToBrokerUrl: string | undefined;
  readonly token: TokenSource | undefined;
  readonly tls: TlsOptions | undefined;
  readonly clock: Clock;
  readonly ticker: DeadlineTicker;
  readonly operationTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveIntervalMs: number;
  readonly logger: Logger;
}

/** What producers register to receive. */
export interface ProducerHandler {
  onSendReceipt(cmd: NonNullable<BaseCommand['send_receipt']>): void;
  onSendError(cmd: NonNullable<BaseCommand['send_error']>): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: Connection): void;
}

/** What consumers register to receive. */
export interface ConsumerHandler {
  onMessage(cmd: NonNullable<BaseCommand['message']>, payload: DecodedPayload): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: Connection): void;
  onActiveConsumerChange?(active: boolean): void;
  onReachedEndOfTopic?(): void;
}

interface PendingRequest {
  resolve: (cmd: BaseCommand) => void;
  reject: (err: unknown) => void;
  deadline: DeadlineEntry | undefined;
  what: string;
}

export type ConnectionState = 'connecting' | 'ready' | 'closed';

let nextRequestId = 1;

export class Connection {
  readonly #o: ConnectionOptions;
  readonly #log: Logger;
  #socket: net.Socket | undefined;
  #state: ConnectionState = 'connecting';
  readonly #decoder: FrameDecoder;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #producers = new Map<number, ProducerHandler>();
  readonly #consumers = new Map<number, ConsumerHandler>();
  readonly #closeListeners = new Set<(conn: Connection) => void>();
  #drainWaiters: (() => void)[] = [];
  #needsDrain = false;
  #corked = false;
  #keepAlive: TimerHandle | undefined;
  #lastReceivedAt = 0;
  #pingOutstanding = false;
  #handshake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  serverVersion = '';
  protocolVersion = 0;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;

  private constructor(o: ConnectionOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'pulsar-connection', broker: o.logicalUrl });
    this.#decoder = new FrameDecoder(64 * 1024 * 1024);
  }

  /** Open the socket and complete CONNECT/CONNECTED. */
  static async create(o: ConnectionOptions): Promise<Connection> {
    const c = new Connection(o);
    await c.#open();
    return c;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get logicalUrl(): string {
    return this.#o.logicalUrl;
  }

  /** True while the socket buffer is over its high-water mark; await `drained()` before writing more. */
  get needsDrain(): boolean {
    return this.#needsDrain;
  }

  /** Bytes queued in Node's socket buffer, not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  get pendingRequests(): number {
    return this.#pending.size;
  }

  drained(): Promise<void> {
    if (!this.#needsDrain || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  onClose(listener: (conn: Connection) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  newRequestId(): number {
    return nextRequestId++;
  }

  registerProducer(id: number, h: ProducerHandler): void {
    this.#producers.set(id, h);
  }
  unregisterProducer(id: number): void {
    this.#producers.delete(id);
  }
  registerConsumer(id: number, h: ConsumerHandler): void {
    this.#consumers.set(id, h);
  }
  unregisterConsumer(id: number): void {
    this.#consumers.delete(id);
  }

  /** Write a ready-made frame. Returns false when the caller should await `drained()`. */
  write(frame: Buffer): boolean {
    const s = this.#socket;
    if (s === undefined || this.#state === 'closed') return false;
    // Cork for the rest of this tick so bursts of small frames (acks, flows) go out in one write.
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    const ok = s.write(frame);
    if (!ok) this.#needsDrain = true;
    return ok;
  }

  sendCommand(cmd: BaseCommand): boolean {
    return this.write(encodeCommand(cmd));
  }

  /**
   * Send a command carrying `requestId` and resolve with the broker's reply. ERROR replies and
   * failed lookups reject with the mapped BeamlineError.
   */
  request(cmd: BaseCommand, requestId: number, what: string, timeoutMs = this.#o.operationTimeoutMs): Promise<BaseCommand> {
    if (this.#state === 'closed') return Promise.reject(connectionClosedError('not connected'));
    return new Promise((resolve, reject) => {
      const p: PendingRequest = { resolve, reject, deadline: undefined, what };
      if (timeoutMs > 0) {
        p.deadline = this.#o.ticker.add(timeoutMs, () => {
          if (this.#pending.get(requestId) === p) {
            this.#pending.delete(requestId);
            reject(timeoutError(what, timeoutMs, { broker: this.#o.logicalUrl }));
          }
        });
      }
      this.#pending.set(requestId, p);
      this.sendCommand(cmd);
    });
  }

  close(reason = 'closed by client'): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#log.debug({ reason }, 'connection closed');
    if (this.#keepAlive !== undefined) this.#o.clock.clearTimeout(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#socket?.destroy();
    const err = connectionClosedError(reason);
    this.#handshake?.reject(err);
    this.#handshake = undefined;
    for (const [, p] of this.#pending) {
      this.#o.ticker.cancel(p.deadline);
      p.reject(err);
    }
    this.#pending.clear();
    for (const w of this.#drainWaiters) w();
    this.#drainWaiters = [];
    const producers = [...this.#producers.values()];
    const consumers = [...this.#consumers.values()];
    this.#producers.clear();
    this.#consumers.clear();
    for (const l of this.#closeListeners) l(this);
    for (const p of producers) p.onConnectionClosed(this);
    for (const c of consumers) c.onConnectionClosed(this);
  }

  async #open(): Promise<void> {
    const { clock } = this.#o;
    this.#socket = await openSocket(this.#o.physical, this.#o.tls, clock, this.#o.connectTimeoutMs);
    const socket = this.#socket as net.Socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.close('socket closed'));
    socket.on('drain', () => {
      this.#needsDrain = false;
      const ws = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of ws) w();
    });
    this.#lastReceivedAt = clock.monotonic();

    const connect: NonNullable<BaseCommand['connect']> = {
      client_version: CLIENT_VERSION,
      protocol_version: CLIENT_PROTOCOL_VERSION,
      feature_flags: { supports_auth_refresh: true, supports_broker_entry_metadata: true },
    };
    if (this.#o.token !== undefined) {
      connect.auth_method_name = 'token';
      connect.auth_data = Buffer.from(await resolveToken(this.#o.token), 'utf8');
    }
    if (this.#o.proxyToBrokerUrl !== undefined) connect.proxy_to_broker_url = this.#o.proxyToBrokerUrl;
    await new Promise<void>((resolve, reject) => {
      this.#handshake = { resolve, reject };
      const deadline = this.#o.ticker.add(this.#o.operationTimeoutMs, () => {
        if (this.#handshake !== undefined) this.close('handshake timeout');
      });
      const done = (): void => this.#o.ticker.cancel(deadline);
      this.#handshake = {
        resolve: () => (done(), resolve()),
        reject: (e) => (done(), reject(e)),
      };
      this.sendCommand({ type: CommandType.CONNECT, connect });
    });
    this.#state = 'ready';
    this.#scheduleKeepAlive();
  }

  #scheduleKeepAlive(): void {
    const interval = this.#o.keepAliveIntervalMs;
    if (interval <= 0 || this.#state === 'closed') return;
    this.#keepAlive = this.#o.clock.setTimeout(() => {
      if (this.#state === 'closed') return;
      const idle = this.#o.clock.monotonic() - this.#lastReceivedAt;
      if (this.#pingOutstanding && idle >= interval) {
        this.close('keep-alive timeout');
        return;
      }
      if (idle >= interval) {
        this.#pingOutstanding = true;
        this.sendCommand({ type: CommandType.PING, ping: {} });
      }
      this.#scheduleKeepAlive();
    }, interval);
  }

  #onData(chunk: Buffer): void {
    this.#lastReceivedAt = this.#o.clock.monotonic();
    this.#pingOutstanding = false;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'undecodable stream');
      this.close('protocol error');
      return;
    }
    for (const raw of frames) {
      try {
        const f = decodeFrame(raw);
        this.#dispatch(f.command, f.payload);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'bad frame');
        this.close('protocol error');
        return;
      }
      if (this.#state === 'closed') return;
    }
  }

  #resolveRequest(requestId: number | undefined, cmd: BaseCommand, error?: BeamlineError): void {
    if (requestId === undefined) return;
    const p = this.#pending.get(requestId);
    if (p === undefined) return;
    this.#pending.delete(requestId);
    this.#o.ticker.cancel(p.deadline);
    if (error !== undefined) p.reject(error);
    else p.resolve(cmd);
  }

  #dispatch(cmd: BaseCommand, payload: DecodedPayload | undefined): void {
    switch (cmd.type) {
      case CommandType.MESSAGE: {
        const m = cmd.message;
        if (m === undefined || payload === undefined) return;
        this.#consumers.get(m.consumer_id)?.onMessage(m, payload);
        return;
      }
      case CommandType.SEND_RECEIPT:
        if (cmd.send_receipt) this.#producers.get(cmd.send_receipt.producer_id)?.onSendReceipt(cmd.send_receipt);
        return;
      case CommandType.SEND_ERROR:
        if (cmd.send_error) this.#producers.get(cmd.send_error.producer_id)?.onSendError(cmd.send_error);
        return;
      case CommandType.PING:
        this.sendCommand({ type: CommandType.PONG, pong: {} });
        return;
      case CommandType.PONG:
        return;
      case CommandType.CONNECTED: {
        const c = cmd.connected;
        this.serverVersion = c?.server_version ?? '';
        this.protocolVersion = Math.min(CLIENT_PROTOCOL_VERSION, c?.protocol_version ?? 0);
        if (c?.max_message_size !== undefined && c.max_message_size > 0) this.maxMessageSize = c.max_message_size;
        this.#handshake?.resolve();
        this.#handshake = undefined;
        return;
      }
      case CommandType.AUTH_CHALLENGE:
        void this.#answerChallenge();
        return;
      case CommandType.SUCCESS:
        this.#resolveRequest(cmd.success?.request_id, cmd);
        return;
      case CommandType.ERROR: {
        const e = cmd.error;
        if (this.#handshake !== undefined) {
          this.#handshake.reject(serverError(e?.error, e?.message, { broker: this.#o.logicalUrl }));
          this.#handshake = undefined;
          return;
        }
        this.#resolveRequest(e?.request_id, cmd, serverError(e?.error, e?.message, { broker: this.#o.logicalUrl }));
        return;
      }
      case CommandType.PRODUCER_SUCCESS: {
        const ps = cmd.producer_success;
        if (ps?.producer_ready === false) {
          // WaitForExclusive: the producer is queued; the final PRODUCER_SUCCESS comes later, so
          // stop the timeout and keep waiting.
          const p = this.#pending.get(ps.request_id);
          if (p !== undefined) {
            this.#o.ticker.cancel(p.deadline);
            p.deadline = undefined;
          }
          return;
        }
        this.#resolveRequest(ps?.request_id, cmd);
        return;
      }
      case CommandType.LOOKUP_RESPONSE: {
        const r = cmd.lookupTopicResponse;
        const failed = r?.response === LookupResponseType.Failed;
        this.#resolveRequest(r?.request_id, cmd, failed ? serverError(r?.error, r?.message) : undefined);
        return;
      }
      case CommandType.PARTITIONED_METADATA_RESPONSE: {
        const r = cmd.partitionMetadataResponse;
        const failed = r?.response === PartitionedMetadataResponseType.Failed;
        this.#resolveRequest(r?.request_id, cmd, failed ? serverError(r?.error, r?.message) : undefined);
        return;
      }
      case CommandType.GET_LAST_MESSAGE_ID_RESPONSE:
        this.#resolveRequest(cmd.getLastMessageIdResponse?.request_id, cmd);
        return;
      case CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE:
        this.#resolveRequest(cmd.getTopicsOfNamespaceResponse?.request_id, cmd);
        return;
      case CommandType.ACK_RESPONSE: {
        const r = cmd.ackResponse;
        this.#resolveRequest(r?.request_id, cmd, r?.error !== undefined ? serverError(r.error, r.message) : undefined);
        return;
      }
      case CommandType.NEW_TXN_RESPONSE:
      case CommandType.ADD_PARTITION_TO_TXN_RESPONSE:
      case CommandType.ADD_SUBSCRIPTION_TO_TXN_RESPONSE:
      case CommandType.END_TXN_RESPONSE:
      case CommandType.TC_CLIENT_CONNECT_RESPONSE: {
        // Transaction coordinator replies share one layout (request_id, error, message).
        const r = cmd.newTxnResponse ?? cmd.addPartitionToTxnResponse ?? cmd.addSubscriptionToTxnResponse ?? cmd.endTxnResponse ?? cmd.tcClientConnectResponse;
        this.#resolveRequest(r?.request_id, cmd, r?.error !== undefined ? serverError(r.error, r.message, { broker: this.#o.logicalUrl }) : undefined);
        return;
      }
      case CommandType.GET_SCHEMA_RESPONSE:
      case CommandType.GET_OR_CREATE_SCHEMA_RESPONSE: {
        const r = cmd.getSchemaResponse ?? cmd.getOrCreateSchemaResponse;
        this.#resolveRequest(r?.request_id, cmd, r?.error_code !== undefined ? serverError(r.error_code, r.error_message, { broker: this.#o.logicalUrl }) : undefined);
        return;
      }
      case CommandType.CLOSE_PRODUCER: {
        const id = cmd.close_producer?.producer_id ?? -1;
        const h = this.#producers.get(id);
        this.#producers.delete(id);
        h?.onBrokerClose();
        return;
      }
      case CommandType.CLOSE_CONSUMER: {
        const id = cmd.close_consumer?.consumer_id ?? -1;
        const h = this.#consumers.get(id);
        this.#consumers.delete(id);
        h?.onBrokerClose();
        return;
      }
      case CommandType.TOPIC_MIGRATED: {
        const t = cmd.topicMigrated;
        if (t === undefined) return;
        if (t.resource_type === 0) {
          const h = this.#producers.get(t.resource_id);
          this.#producers.delete(t.resource_id);
          h?.onBrokerClose();
        } else {
          const h = this.#consumers.get(t.resource_id);
          this.#consumers.delete(t.resource_id);
          h?.onBrokerClose();
        }
        return;
      }
      case CommandType.ACTIVE_CONSUMER_CHANGE: {
        const a = cmd.active_consumer_change;
        if (a) this.#consumers.get(a.consumer_id)?.onActiveConsumerChange?.(a.is_active ?? false);
        return;
      }
      case CommandType.REACHED_END_OF_TOPIC: {
        const r = cmd.reachedEndOfTopic;
        if (r) this.#consumers.get(r.consumer_id)?.onReachedEndOfTopic?.();
        return;
      }
      default:
        this.#log.debug({ type: cmd.type }, 'ignored command');
    }
  }

  async #answerChallenge(): Promise<void> {
    if (this.#o.token === undefined) return;
    try {
      const token = await resolveToken(this.#o.token);
      this.sendCommand({
        type: CommandType.AUTH_RESPONSE,
        authResponse: {
          client_version: CLIENT_VERSION,
          protocol_version: CLIENT_PROTOCOL_VERSION,
          response: { auth_method_name: 'token', auth_data: Buffer.from(token, 'utf8') },
        },
      });
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'token provider failed during auth refresh');
      this.close('auth refresh failed');
    }
  }
}
