/** Beamline's Pulsar binary-protocol client. */
export { createClient, PulsarClient, type ClientDeps, type ClientState } from './client.ts';
export {
  BEAMLINE_CAPABILITIES,
  receiveUntilClosed,
  unsupportedFeatureError,
  type ClientCapabilities,
  type ClientImplementation,
  type ConsumerApi,
  type ProducerApi,
  type PulsarClientApi,
  type ReaderApi,
} from './client-api.ts';
export { Producer, type ProducerState, type SendOptions } from './producer.ts';
export { Consumer, type ConsumerState, type AckOptions } from './consumer.ts';
export {
  Transaction,
  compileTransactionOptions,
  type TransactionState,
  type TransactionOptions,
  type TransactionConfig,
  type TxnId,
} from './transaction.ts';
export {
  binarySchemaFetcher,
  getSchema,
  getOrCreateSchema,
  schemaInfoOf,
  toSchemaData,
  fromSchemaData,
  incompatibleSchemaError,
  type SchemaOption,
} from './schema-wire.ts';
export { TransactionCoordinatorClient, TC_ASSIGN_TOPIC, type TransactionCoordinatorState } from './transaction-coordinator.ts';
export { Reader } from './reader.ts';
export { TableView, type TableViewOptions, type TableChange, type TableViewState } from './table-view.ts';
export type { Message, OutgoingMessage } from './message.ts';
export {
  compileClientOptions,
  compileProducerOptions,
  compileConsumerOptions,
  compileReaderOptions,
  type ClientOptions,
  type ClientConfig,
  type ProducerOptions,
  type ProducerConfig,
  type ConsumerOptions,
  type ConsumerConfig,
  type ActiveConsumerChange,
  type ReaderOptions,
  type SubscriptionType,
  type InitialPositionName,
  type AccessMode,
  type RoutingMode,
  type BatchingType,
  type DeadLetterPolicy,
} from './options.ts';
export { boostHash, javaStringHash, murmur3Hash, keyPartition, type KeyHashing } from './routing.ts';
export { topicsHash, type TopicListWatcherState } from './topic-list-watcher.ts';
export { parseServiceUrl, parseBrokerUrl, type BrokerAddress } from './service-url.ts';
export { DeadlineTicker } from './deadline-ticker.ts';
export { alreadyClosedError, cumulativeAckNotAllowedError, timeoutError } from './errors.ts';
export { BatchAcks } from './batch-acks.ts';
export { Connection, CLIENT_VERSION, type TlsOptions, type ConnectionState } from './connection.ts';
export { ConnectionPool } from './connection-pool.ts';
export { authIdentity, type TokenSource } from './auth.ts';
export { MessageId } from '../wire/index.ts';
