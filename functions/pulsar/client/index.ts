/**
 * Beamline's Pulsar binary-protocol client: one implementation of the contract in ../api (its
 * interfaces, messages and options are exported there, not here).
 */
export { createClient, PulsarClient, type ClientDeps, type ClientState } from './client.ts';
export { Producer, type ProducerState, type SendOptions } from './produce/producer.ts';
export { Consumer, type ConsumerState, type AckOptions } from './consume/consumer.ts';
export {
  Transaction,
  compileTransactionOptions,
  type TransactionState,
  type TransactionOptions,
  type TransactionConfig,
  type TxnId,
} from './transactions/transaction.ts';
export { binarySchemaFetcher, getSchema, getOrCreateSchema, toSchemaData, fromSchemaData, incompatibleSchemaError } from './schema-wire.ts';
export { TransactionCoordinatorClient, TC_ASSIGN_TOPIC, type TransactionCoordinatorState } from './transactions/transaction-coordinator.ts';
export { type ForeignTxnEnd } from './transactions/foreign-abort.ts';
export { Reader } from './consume/reader.ts';
export { TableView, type TableViewOptions, type TableChange, type TableViewState } from './table-view/table-view.ts';
export { boostHash, javaStringHash, murmur3Hash, keyPartition } from './produce/routing.ts';
export { topicsHash, type TopicListWatcherState } from './consume/topic-list-watcher.ts';
export { parseServiceUrl, parseBrokerUrl, type BrokerAddress } from './connection/service-url.ts';
export { DeadlineTicker } from './connection/deadline-ticker.ts';
export { BatchAcks } from './consume/batch-acks.ts';
export { Connection, CLIENT_VERSION, type ConnectionState } from './connection/connection.ts';
export { ConnectionPool } from './connection/connection-pool.ts';
export { authIdentity } from './connection/auth.ts';
export { MessageId } from '../wire/index.ts';
