/**
 * The client surface Beamline codes against, whichever implementation sits behind it: our own
 * binary-protocol client (the default, everything) or the native `pulsar-client` addon when a
 * user has installed it (functions/pulsar/native; no transactions, no TableView).
 *
 * Callers that need a feature check `client.capabilities` first or catch
 * BL_PULSAR_UNSUPPORTED_FEATURE; the shared contract tests (test/support/client-contract.ts)
 * assert both halves: a supported feature works, an unsupported one fails with that code.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import type { MessageId } from '../wire/index.ts';
import type { Message, OutgoingMessage } from './message.ts';
import type { ConsumerOptions, ProducerOptions, ReaderOptions } from './options.ts';
import type { TableViewApi, TableViewOptions } from './table-view.ts';
import type { TransactionApi, TransactionOptions } from './transaction.ts';

/** Which implementation a client is. */
export type ClientImplementation = 'beamline' | 'native';

/** What an implementation can do beyond producing, consuming and reading. */
export interface ClientCapabilities {
  /** newTransaction(), `{ txn }` on send and ack. */
  readonly transactions: boolean;
  /** createTableView(). */
  readonly tableView: boolean;
  /** consumer.hasMessageAvailable() and getLastMessageIds() on consumers and readers. */
  readonly lastMessageIds: boolean;
  /** getSchema() / getOrCreateSchema() over the binary protocol. */
  readonly schemaRegistry: boolean;
  /** getTopicsOfNamespace(). */
  readonly topicsOfNamespace: boolean;
  /** Buffer ordering keys (the native addon takes strings only). */
  readonly binaryOrderingKeys: boolean;
}

export const BEAMLINE_CAPABILITIES: ClientCapabilities = Object.freeze({
  transactions: true,
  tableView: true,
  lastMessageIds: true,
  schemaRegistry: true,
  topicsOfNamespace: true,
  binaryOrderingKeys: true,
});

export interface ProducerApi {
  readonly topic: string;
  send(m: OutgoingMessage | Buffer | string, options?: { txn?: TransactionApi }): Promise<MessageId>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerApi extends AsyncIterable<Message> {
  receive(timeoutMs?: number): Promise<Message>;
  /**
   * Without options: fire and forget. With options: resolves when the ack is done; with
   * `receipt: true`, once the broker confirmed it (a crash after that cannot redeliver it).
   */
  ack(m: Message | MessageId): void;
  ack(m: Message | MessageId, options: { txn?: TransactionApi; receipt?: boolean }): Promise<void>;
  ackCumulative(m: Message | MessageId): void;
  nack(m: Message): void;
  pause(): void;
  resume(): void;
  seek(target: MessageId | number): Promise<void>;
  hasMessageAvailable(): Promise<boolean>;
  getLastMessageIds(): Promise<MessageId[]>;
  unsubscribe(): Promise<void>;
  close(): Promise<void>;
}

export interface ReaderApi extends AsyncIterable<Message> {
  readonly topic: string;
  readNext(timeoutMs?: number): Promise<Message>;
  hasMessageAvailable(): Promise<boolean>;
  seek(target: MessageId | number): Promise<void>;
  close(): Promise<void>;
}

export interface PulsarClientApi {
  readonly implementation: ClientImplementation;
  readonly capabilities: ClientCapabilities;
  createProducer(options: ProducerOptions): Promise<ProducerApi>;
  subscribe(options: ConsumerOptions): Promise<ConsumerApi>;
  createReader(options: ReaderOptions): Promise<ReaderApi>;
  createTableView(options: TableViewOptions): Promise<TableViewApi>;
  newTransaction(options?: TransactionOptions): Promise<TransactionApi>;
  /** Partitions of a topic (0 when not partitioned). */
  getPartitions(topic: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A feature the chosen implementation lacks. Not retriable: the fix is a different
 * implementation or not using the feature, and the message says which.
 */
export function unsupportedFeatureError(implementation: ClientImplementation, feature: string, fix: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.unsupportedFeature, `${feature} is not supported by the ${implementation} client; ${fix}`, {
    retriable: false,
    details: { implementation, feature },
  });
}

/**
 * Iterate over receive() until the consumer or reader is closed: a close ends the loop quietly,
 * any other error is thrown to the `for await`.
 */
export async function* receiveUntilClosed(receive: () => Promise<Message>): AsyncGenerator<Message, void, undefined> {
  for (;;) {
    let m: Message;
    try {
      m = await receive();
    } catch (err) {
      if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.alreadyClosed) return;
      throw err;
    }
    yield m;
  }
}
