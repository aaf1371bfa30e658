/**
 * The client contract both implementations share (our own binary-protocol client in client/ and
 * the native addon adapter in native/): the client, producer, consumer and reader interfaces,
 * messages, options and their compilers, transaction and table-view shapes, and the errors both
 * raise. It depends on wire/ and schema/ only, never on an implementation.
 */
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
export { listToProperties, propertiesToList, type Message, type OutgoingMessage } from './message.ts';
export {
  compileClientOptions,
  compileConsumerOptions,
  compileProducerOptions,
  compileReaderOptions,
  schemaInfoOf,
  type AccessMode,
  type ActiveConsumerChange,
  type BatchingType,
  type ClientConfig,
  type ClientOptions,
  type ConsumerConfig,
  type ConsumerOptions,
  type DeadLetterPolicy,
  type InitialPositionName,
  type KeyHashing,
  type ProducerConfig,
  type ProducerOptions,
  type ReaderOptions,
  type RoutingMode,
  type SchemaOption,
  type SubscriptionType,
  type TlsOptions,
  type TokenSource,
} from './options.ts';
export { type TransactionApi, type TransactionOptions, type TransactionState, type TxnId } from './transaction.ts';
export { type TableChange, type TableViewApi, type TableViewOptions, type TableViewState } from './table-view.ts';
export { alreadyClosedError, connectionClosedError, cumulativeAckNotAllowedError, invalidUrlError, timeoutError } from './errors.ts';
