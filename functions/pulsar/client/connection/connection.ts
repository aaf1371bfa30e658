/**
 * One TCP/TLS connection to a broker (or a proxy): handshake, request/response correlation,
 * keep-alive, write backpressure, and routing of producer/consumer commands by id.
 */
import type net from 'node:net';
import type { Clock } from '../../../clock.ts';
import type { Logger } from '../../../telemetry.ts';
import {
  CLIENT_PROTOCOL_VERSION,
  CommandType,
  decodeFrame,
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeCommand,
  FrameDecoder,
  serverError,
  type BaseCommand,
  type DecodedPayload,
} from '../../wire/index.ts';
import type { TokenSource } from './auth.ts';
import { replyOf } from './command-replies.ts';
import type { ConsumerHandler, ProducerHandler, TopicListWatcherHandler } from './connection-handlers.ts';
import type { DeadlineTicker } from './deadline-ticker.ts';
import { connectionClosedError } from '../../api/index.ts';
import { authResponseCommand, connectCommand } from './handshake.ts';
import { KeepAlive } from './keep-alive.ts';
import { newRequestId, RequestTracker } from './request-tracker.ts';
import type { BrokerAddress } from './service-url.ts';
import { openSocket, type TlsOptions } from './socket.ts';

export type { TlsOptions } from './socket.ts';
export type { ConsumerHandler, ProducerHandler, TopicListWatcherHandler } from './connection-handlers.ts';
export { CLIENT_VERSION } from './handshake.ts';

/** What every connection of one client shares (the pool hands it to each one it opens). */
export interface ConnectionSettings {
  readonly token: TokenSource | undefined;
  readonly tls: TlsOptions | undefined;
  readonly clock: Clock;
  readonly ticker: DeadlineTicker;
  readonly operationTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveIntervalMs: number;
  readonly logger: Logger;
}

export interface ConnectionOptions extends ConnectionSettings {
  readonly physical: BrokerAddress;
  /** The broker this connection speaks for (differs from `physical` through a proxy). */
  readonly logicalUrl: string;
  readonly proxyToBrokerUrl: string | undefined;
}

export type ConnectionState = 'connecting' | 'ready' | 'closed';

export class Connection {
  readonly #o: ConnectionOptions;
  readonly #log: Logger;
  #socket: net.Socket | undefined;
  #state: ConnectionState = 'connecting';
  readonly #decoder: FrameDecoder;
  readonly #requests: RequestTracker;
  readonly #producers = new Map<number, ProducerHandler>();
  readonly #consumers = new Map<number, ConsumerHandler>();
  readonly #watchers = new Map<number, TopicListWatcherHandler>();
  readonly #closeListeners = new Set<(conn: Connection) => void>();
  #drainWaiters: (() => void)[] = [];
  #needsDrain = false;
  #corked = false;
  #keepAlive: KeepAlive | undefined;
  #handshake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  serverVersion = '';
  protocolVersion = 0;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  /** The broker announced topic list watchers (PIP-145) in CONNECTED. */
  supportsTopicWatchers = false;

  private constructor(o: ConnectionOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'pulsar-connection', broker: o.logicalUrl });
    this.#decoder = new FrameDecoder(64 * 1024 * 1024);
    this.#requests = new RequestTracker(o.ticker, o.logicalUrl);
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
    return this.#requests.size;
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
    return newRequestId();
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
  registerTopicListWatcher(id: number, h: TopicListWatcherHandler): void {
    this.#watchers.set(id, h);
  }
  unregisterTopicListWatcher(id: number): void {
    this.#watchers.delete(id);
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
    const reply = this.#requests.track(requestId, what, timeoutMs);
    this.sendCommand(cmd);
    return reply;
  }

  close(reason = 'closed by client'): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#log.debug({ reason }, 'connection closed');
    this.#keepAlive?.stop();
    this.#socket?.destroy();
    const err = connectionClosedError(reason);
    this.#handshake?.reject(err);
    this.#handshake = undefined;
    this.#requests.rejectAll(err);
    for (const w of this.#drainWaiters) w();
    this.#drainWaiters = [];
    const producers = [...this.#producers.values()];
    const consumers = [...this.#consumers.values()];
    const watchers = [...this.#watchers.values()];
    this.#producers.clear();
    this.#consumers.clear();
    this.#watchers.clear();
    for (const l of this.#closeListeners) l(this);
    for (const p of producers) p.onConnectionClosed(this);
    for (const c of consumers) c.onConnectionClosed(this);
    for (const w of watchers) w.onConnectionClosed(this);
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
    this.#keepAlive = new KeepAlive(clock, this.#o.keepAliveIntervalMs, {
      ping: () => this.sendCommand({ type: CommandType.PING, ping: {} }),
      timedOut: () => this.close('keep-alive timeout'),
    });

    const connect = await connectCommand(this.#o.token, this.#o.proxyToBrokerUrl);
    await new Promise<void>((resolve, reject) => {
      const deadline = this.#o.ticker.add(this.#o.operationTimeoutMs, () => {
        if (this.#handshake !== undefined) this.close('handshake timeout');
      });
      const done = (): void => this.#o.ticker.cancel(deadline);
      this.#handshake = {
        resolve: () => (done(), resolve()),
        reject: (e) => (done(), reject(e)),
      };
      this.sendCommand(connect);
    });
    this.#state = 'ready';
    this.#keepAlive.start();
  }

  #onData(chunk: Buffer): void {
    this.#keepAlive?.received();
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
        this.supportsTopicWatchers = c?.feature_flags?.supports_topic_watchers === true;
        this.#handshake?.resolve();
        this.#handshake = undefined;
        return;
      }
      case CommandType.AUTH_CHALLENGE:
        void this.#answerChallenge();
        return;
      case CommandType.ERROR:
        if (this.#handshake !== undefined) {
          this.#handshake.reject(serverError(cmd.error?.error, cmd.error?.message, { broker: this.#o.logicalUrl }));
          this.#handshake = undefined;
          return;
        }
        break;
      case CommandType.PRODUCER_SUCCESS: {
        const ps = cmd.producer_success;
        if (ps?.producer_ready === false) {
          // WaitForExclusive: the producer is queued; the final PRODUCER_SUCCESS comes later, so
          // stop the timeout and keep waiting.
          this.#requests.holdWithoutDeadline(ps.request_id);
          return;
        }
        this.#requests.settle(ps?.request_id, cmd);
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
      case CommandType.WATCH_TOPIC_UPDATE: {
        const u = cmd.watchTopicUpdate;
        if (u) this.#watchers.get(u.watcher_id)?.onTopicListUpdate(u);
        return;
      }
      case CommandType.REACHED_END_OF_TOPIC: {
        const r = cmd.reachedEndOfTopic;
        if (r) this.#consumers.get(r.consumer_id)?.onReachedEndOfTopic?.();
        return;
      }
    }
    const reply = replyOf(cmd, this.#o.logicalUrl);
    if (reply !== undefined) this.#requests.settle(reply.requestId, cmd, reply.error);
    else this.#log.debug({ type: cmd.type }, 'ignored command');
  }

  async #answerChallenge(): Promise<void> {
    if (this.#o.token === undefined) return;
    try {
      this.sendCommand(await authResponseCommand(this.#o.token));
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'token provider failed during auth refresh');
      this.close('auth refresh failed');
    }
  }
}
