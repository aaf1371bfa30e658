/**
 * The optional native `pulsar-client` addon behind Beamline's client interface. Loaded lazily,
 * never a dependency; see native-client.ts for what it cannot do.
 */
export {
  createNativeClient,
  NativePulsarClient,
  NATIVE_CAPABILITIES,
  type NativeClientDeps,
  type NativeClientState,
} from './native-client.ts';
export { NativeConsumerAdapter, type NativeConsumerState } from './native-consumer.ts';
export { NativeProducerAdapter, type NativeProducerState } from './native-producer.ts';
export { NativeReaderAdapter } from './native-reader.ts';
export { fromNativeError } from './native-errors.ts';
export { NativeIds, toNativeMessage } from './native-message.ts';
export {
  NATIVE_MIN_ACK_TIMEOUT_MS,
  nativeClientConfig,
  nativeConsumerConfig,
  nativeProducerConfig,
  nativeReaderConfig,
} from './native-options.ts';
export {
  NATIVE_PACKAGE,
  loadNativeModule,
  type NativeClient,
  type NativeConsumer,
  type NativeLoadModule,
  type NativeMessage,
  type NativeMessageId,
  type NativeMessageIdStatic,
  type NativeModule,
  type NativeProducer,
  type NativeProducerMessage,
  type NativeReader,
} from './native-module.ts';
export { ReceiveGate, type ReceiveGateState } from './receive-gate.ts';
