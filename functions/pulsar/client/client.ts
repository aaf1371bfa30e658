/**
 * createClient(): the entry point. Owns the connection pool, lookup, the shared deadline ticker
 * and every producer/consumer/reader/table view it created (closed with it).
 */
import { systemClock, type Clock } from '../../clock.ts';
import { silentLogger, type Logger, type Metrics } from '../../telemetry.ts';
import { BEAMLINE_CAPABILITIES, type ClientCapabilities, type PulsarClientApi } from '../api/index.ts';
import { clientMetrics, NOOP_CLIENT_METRICS } from './client-metrics.ts';
import { ConnectionPool } from './connection/connection-pool.ts';
import { Consumer } from './consume/consumer.ts';
import type { ClientContext } from './context.ts';
import { DeadlineTicker } from './connection/deadline-ticker.ts';
import { alreadyClosedError } from '../api/index.ts';
import { LookupService } from './connection/lookup.ts';
import {
  compileClientOptions,
  compileConsumerOptions,
  type ClientConfig,
  type ClientOptions,
  type ConsumerOptions,
  type ProducerOptions,
  type ReaderOptions,
} from '../api/index.ts';
import { Producer } from './produce/producer.ts';
import { Reader } from './consume/reader.ts';
import { parseServiceUrl } from './connection/service-url.ts';
import { TableView, type TableViewOptions } from './table-view/table-view.ts';
import { compileTransactionOptions, Transaction, type TransactionOptions } from './transactions/transaction.ts';
import { TransactionCoordinatorClient } from './transactions/transaction-coordinator.ts';
import { abortForeignTransaction, type ForeignTxnEnd } from './transactions/foreign-abort.ts';
import type { TxnId } from '../api/index.ts';
import type { SchemaFetcher, SchemaInfo } from '../schema/index.ts';
import { binarySchemaFetcher, getOrCreateSchema, getSchema } from './schema-wire.ts';
import { schemaInfoOf, type SchemaOption } from '../api/index.ts';
import { parseTopicName } from '../topic/index.ts';

export type ClientState = 'open' | 'closing' | 'closed';

export interface ClientDeps {
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Where the pulsar_client_* metrics go. @default none (not recorded) */
  metrics?: Metrics;
}

interface Closeable {
  close(): Promise<void>;
}

export class PulsarClient implements PulsarClientApi {
  readonly implementation = 'beamline' as const;
  readonly capabilities: ClientCapabilities = BEAMLINE_CAPABILITIES;
  readonly config: ClientConfig;
  readonly #ctx: ClientContext;
  readonly #pool: ConnectionPool;
  readonly #ticker: DeadlineTicker;
  readonly #owned = new Set<Closeable>();
  #state: ClientState = 'open';
  #tc: TransactionCoordinatorClient | undefined;

  constructor(options: ClientOptions, deps: ClientDeps = {}) {
    this.config = compileClientOptions(options);
    const clock = deps.clock ?? systemClock;
    const logger = (deps.logger ?? silentLogger).child({ component: 'pulsar-client' });
    this.#ticker = new DeadlineTicker(clock);
    this.#pool = new ConnectionPool({
      token: this.config.token,
      tls: this.config.tls,
      clock,
      ticker: this.#ticker,
      operationTimeoutMs: this.config.operationTimeoutMs,
      connectTimeoutMs: this.config.connectTimeoutMs,
      keepAliveIntervalMs: this.config.keepAliveIntervalMs,
      logger,
    });
    const lookup = new LookupService(this.#pool, parseServiceUrl(this.config.serviceUrl));
    let nextId = 1;
    this.#ctx = {
      pool: this.#pool,
      lookup,
      ticker: this.#ticker,
      clock,
      logger,
      metrics: deps.metrics === undefined ? NOOP_CLIENT_METRICS : clientMetrics(deps.metrics),
      operationTimeoutMs: this.config.operationTimeoutMs,
      initialBackoffMs: this.config.initialBackoffMs,
      maxBackoffMs: this.config.maxBackoffMs,
      reconnectSpreadMs: this.config.reconnectSpreadMs,
      nextId: () => nextId++,
    };
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The pool (tests check connection sharing). */
  get pool(): ConnectionPool {
    return this.#pool;
  }

  /** Deadlines waiting in the shared ticker (tests check nothing leaks). */
  get pendingDeadlines(): number {
    return this.#ticker.size;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    this.#checkOpen();
    const holder: { p?: Producer } = {};
    const p = await Producer.create(this.#ctx, options, () => {
      if (holder.p !== undefined) this.#owned.delete(holder.p);
    });
    holder.p = p;
    this.#owned.add(p);
    return p;
  }

  async subscribe(options: ConsumerOptions): Promise<Consumer> {
    this.#checkOpen();
    const cfg = compileConsumerOptions(options);
    const holder: { v?: Consumer } = {};
    const c = await Consumer.create(
      this.#ctx,
      cfg,
      this.#consumerDeps(() => holder.v),
    );
    holder.v = c;
    this.#owned.add(c);
    return c;
  }

  async createReader(options: ReaderOptions): Promise<Reader> {
    this.#checkOpen();
    const holder: { v?: Reader } = {};
    const r = await Reader.create(
      this.#ctx,
      options,
      this.#consumerDeps(() => holder.v),
    );
    holder.v = r;
    this.#owned.add(r);
    return r;
  }

  async createTableView(options: TableViewOptions): Promise<TableView> {
    this.#checkOpen();
    const holder: { v?: TableView } = {};
    const t = await TableView.create(
      this.#ctx,
      options,
      this.#consumerDeps(() => holder.v),
    );
    holder.v = t;
    this.#owned.add(t);
    return t;
  }

  /**
   * Open a transaction (NEW_TXN on a coordinator; the first call discovers the coordinators).
   * Pass it to `producer.send(m, { txn })` and `consumer.ack(m, { txn })`, then commit or abort.
   */
  async newTransaction(options: TransactionOptions = {}): Promise<Transaction> {
    this.#checkOpen();
    const cfg = compileTransactionOptions(options);
    this.#tc ??= new TransactionCoordinatorClient(this.#ctx);
    const id = await this.#tc.newTxn(cfg.timeoutMs);
    return new Transaction(this.#tc, id, cfg, this.#ctx.clock);
  }

  /**
   * #17: aborts a transaction another client opened (same role, or a superuser), and resolves
   * once the coordinator has finished with it: see transactions/foreign-abort.ts.
   * @param deadlineMs how long to keep asking. @default the client's operationTimeoutMs
   */
  abortTransaction(id: TxnId, deadlineMs?: number): Promise<ForeignTxnEnd> {
    this.#checkOpen();
    this.#tc ??= new TransactionCoordinatorClient(this.#ctx);
    return abortForeignTransaction(this.#tc, id, this.#ctx.clock, deadlineMs ?? this.#ctx.operationTimeoutMs);
  }

  /** A SchemaFetcher over GET_SCHEMA (writer schemas by version) for a SchemaRegistry. */
  schemaFetcher(): SchemaFetcher {
    return binarySchemaFetcher(this.#ctx);
  }

  /** GET_SCHEMA: a topic's schema at `version` (latest when undefined), or undefined when it has none. */
  getSchema(topic: string, version?: Buffer): Promise<{ info: SchemaInfo; version: Buffer | undefined } | undefined> {
    return getSchema(this.#ctx, parseTopicName(topic).full, version);
  }

  /** GET_OR_CREATE_SCHEMA: register a schema on a topic (if compatible); resolves with its version. */
  getOrCreateSchema(topic: string, schema: SchemaOption): Promise<Buffer> {
    return getOrCreateSchema(this.#ctx, parseTopicName(topic).full, schemaInfoOf(schema) as SchemaInfo);
  }

  /** Topics of a namespace (GET_TOPICS_OF_NAMESPACE), e.g. 'public/default'. */
  getTopicsOfNamespace(namespace: string): Promise<string[]> {
    return this.#ctx.lookup.topicsOfNamespace(namespace);
  }

  /** Partitions of a topic (0 when not partitioned). */
  getPartitions(topic: string): Promise<number> {
    return this.#ctx.lookup.partitions(topic);
  }

  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    await Promise.allSettled([...this.#owned].map((o) => o.close()));
    this.#owned.clear();
    this.#tc?.close();
    await this.#pool.close();
    this.#ticker.close();
    this.#state = 'closed';
  }

  #consumerDeps(self: () => Closeable | undefined): { createProducer: (o: ProducerOptions) => Promise<Producer>; onClose: () => void } {
    return {
      createProducer: (o) => this.createProducer(o),
      onClose: () => {
        const s = self();
        if (s !== undefined) this.#owned.delete(s);
      },
    };
  }

  #checkOpen(): void {
    if (this.#state !== 'open') throw alreadyClosedError('client');
  }
}

/** Create a client. No I/O happens until the first producer, consumer or lookup. */
export function createClient(options: ClientOptions, deps: ClientDeps = {}): PulsarClient {
  return new PulsarClient(options, deps);
}
