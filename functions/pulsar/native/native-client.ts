/**
 * PulsarClientApi over the native `pulsar-client` addon, for users who already run it and want
 * Beamline on the same client. Our own client stays the default: the addon has no transactions
 * (so no effectively-once worker), no TableView and no last-message-id queries on consumers;
 * those calls fail with BL_PULSAR_UNSUPPORTED_FEATURE and `capabilities` says so up front.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../telemetry.ts';
import {
  alreadyClosedError,
  compileClientOptions,
  unsupportedFeatureError,
  type ClientCapabilities,
  type ClientOptions,
  type ConsumerApi,
  type ConsumerOptions,
  type ProducerApi,
  type ProducerOptions,
  type PulsarClientApi,
  type ReaderApi,
  type ReaderOptions,
  type TableViewApi,
  type TableViewOptions,
  type TransactionApi,
  type TransactionOptions,
} from '../api/index.ts';
import { parseTopicName } from '../topic/index.ts';
import { NativeConsumerAdapter } from './native-consumer.ts';
import { fromNativeError } from './native-errors.ts';
import { NativeIds } from './native-message.ts';
import { loadNativeModule, type NativeClient, type NativeLoadModule, type NativeModule } from './native-module.ts';
import { nativeClientConfig, nativeConsumerConfig, nativeProducerConfig, nativeReaderConfig } from './native-options.ts';
import { NativeProducerAdapter } from './native-producer.ts';
import { NativeReaderAdapter } from './native-reader.ts';

export const NATIVE_CAPABILITIES: ClientCapabilities = Object.freeze({
  transactions: false,
  tableView: false,
  lastMessageIds: false,
  schemaRegistry: false,
  topicsOfNamespace: false,
  binaryOrderingKeys: false,
});

export interface NativeClientDeps {
  /** How to load the addon. @default import('pulsar-client') */
  loadModule?: NativeLoadModule;
  /** @default silentLogger */
  logger?: Logger;
}

export type NativeClientState = 'open' | 'closing' | 'closed';

interface Closeable {
  close(): Promise<void>;
}

export class NativePulsarClient implements PulsarClientApi {
  readonly implementation = 'native' as const;
  readonly capabilities: ClientCapabilities = NATIVE_CAPABILITIES;
  readonly #client: NativeClient;
  readonly #ids: NativeIds;
  readonly #logger: Logger;
  readonly #tempDir: string | undefined;
  readonly #owned = new Set<Closeable>();
  #state: NativeClientState = 'open';
  #closing: Promise<void> | undefined;

  private constructor(client: NativeClient, mod: NativeModule, logger: Logger, tempDir: string | undefined) {
    this.#client = client;
    this.#ids = new NativeIds(mod);
    this.#logger = logger;
    this.#tempDir = tempDir;
  }

  /** Load the addon and construct its client (the addon connects lazily, like ours). */
  static async create(options: ClientOptions, deps: NativeClientDeps = {}): Promise<NativePulsarClient> {
    compileClientOptions(options);
    const mod = await loadNativeModule(deps.loadModule);
    const logger = (deps.logger ?? silentLogger).child({ component: 'pulsar-native-client' });
    // The addon reads trusted CAs from a file; ours takes PEM text. Bridge with a private file.
    let tempDir: string | undefined;
    let caFile: string | undefined;
    if (options.tls?.ca !== undefined) {
      tempDir = mkdtempSync(join(tmpdir(), 'beamline-native-tls-'));
      caFile = join(tempDir, 'ca.pem');
      const cas = Array.isArray(options.tls.ca) ? options.tls.ca : [options.tls.ca];
      writeFileSync(caFile, cas.map((c) => c.toString()).join('\n'), { mode: 0o600 });
    }
    try {
      const client = new mod.Client(nativeClientConfig(options, mod, { tlsTrustCertsFilePath: caFile }));
      return new NativePulsarClient(client, mod, logger, tempDir);
    } catch (err) {
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
      throw fromNativeError(err, 'create client');
    }
  }

  get state(): NativeClientState {
    return this.#state;
  }

  async createProducer(options: ProducerOptions): Promise<ProducerApi> {
    this.#checkOpen();
    const cfg = nativeProducerConfig(options);
    const p = await this.#call('create producer', () => this.#client.createProducer(cfg));
    const adapter: NativeProducerAdapter = new NativeProducerAdapter(p, parseTopicName(options.topic).full, this.#ids, () =>
      this.#owned.delete(adapter),
    );
    this.#owned.add(adapter);
    return adapter;
  }

  async subscribe(options: ConsumerOptions): Promise<ConsumerApi> {
    this.#checkOpen();
    const { config, compiled } = nativeConsumerConfig(options);
    const c = await this.#call('subscribe', () => this.#client.subscribe(config));
    const adapter: NativeConsumerAdapter = new NativeConsumerAdapter(c, this.#ids, compiled.subscriptionType, this.#logger, () =>
      this.#owned.delete(adapter),
    );
    this.#owned.add(adapter);
    return adapter;
  }

  async createReader(options: ReaderOptions): Promise<ReaderApi> {
    this.#checkOpen();
    const { config, start } = nativeReaderConfig(options);
    const startId = start.startMessageId;
    config.startMessageId = this.#ids.toNativeId(startId as NonNullable<typeof startId>);
    const r = await this.#call('create reader', () => this.#client.createReader(config));
    const adapter: NativeReaderAdapter = new NativeReaderAdapter(r, parseTopicName(options.topic).full, this.#ids, () =>
      this.#owned.delete(adapter),
    );
    if (start.startPublishTimeMs !== undefined) {
      try {
        await adapter.seek(start.startPublishTimeMs);
      } catch (err) {
        await adapter.close();
        throw err;
      }
    }
    this.#owned.add(adapter);
    return adapter;
  }

  createTableView(_options: TableViewOptions): Promise<TableViewApi> {
    return Promise.reject(
      unsupportedFeatureError(
        'native',
        'createTableView()',
        "read the compacted topic with a reader (readCompacted: true), or use implementation: 'beamline'",
      ),
    );
  }

  newTransaction(_options?: TransactionOptions): Promise<TransactionApi> {
    return Promise.reject(
      unsupportedFeatureError('native', 'newTransaction()', "use implementation: 'beamline' (the native addon has no transaction API)"),
    );
  }

  async getPartitions(topic: string): Promise<number> {
    this.#checkOpen();
    const full = parseTopicName(topic).full;
    const names = await this.#call('get partitions', () => this.#client.getPartitionsForTopic(full));
    // A non-partitioned topic comes back as itself; a partitioned one as its `-partition-N` names.
    return names.length === 1 && names[0] === full ? 0 : names.length;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      await Promise.allSettled([...this.#owned].map((o) => o.close()));
      this.#owned.clear();
      try {
        await this.#client.close();
      } catch (err) {
        this.#logger.warn({ err: fromNativeError(err, 'close client') }, 'native client close failed');
      } finally {
        if (this.#tempDir !== undefined) rmSync(this.#tempDir, { recursive: true, force: true });
        this.#state = 'closed';
      }
    })();
    return this.#closing;
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromNativeError(err, operation);
    }
  }

  #checkOpen(): void {
    if (this.#state !== 'open') throw alreadyClosedError('client');
  }
}

/** Load the addon and wrap it; see NativePulsarClient. */
export function createNativeClient(options: ClientOptions, deps: NativeClientDeps = {}): Promise<NativePulsarClient> {
  return NativePulsarClient.create(options, deps);
}
