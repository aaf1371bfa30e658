/** Pulsar wire protocol: frames, protocol tables, checksums, codecs, batches and message ids. */
export { crc32c } from './crc32c.ts';
export { compress, decompress, COMPRESSION_BY_NAME, type CompressionName } from './compression.ts';
export { encodeBatch, decodeBatch, type BatchEntry } from './batch.ts';
export {
  encodeCommand,
  encodePayloadCommand,
  decodeFrame,
  decodePayloadSection,
  FrameDecoder,
  MAGIC_CRC32C,
  MAGIC_BROKER_ENTRY_METADATA,
  DEFAULT_MAX_MESSAGE_SIZE,
  FRAME_OVERHEAD_BYTES,
  type Frame,
  type DecodedPayload,
} from './frame.ts';
export { MessageId } from './message-id.ts';
export { encodeMessage, ProtoWriter } from './proto-writer.ts';
export { decodeMessage, ProtoReader } from './proto-reader.ts';
export {
  CommandType,
  CompressionType,
  SubType,
  InitialPosition,
  AckType,
  ProducerAccessMode,
  LookupResponseType,
  PartitionedMetadataResponseType,
  KeySharedMode,
  TopicDomainMode,
  TxnAction,
  CLIENT_PROTOCOL_VERSION,
  type CommandTypeValue,
  type CompressionTypeValue,
} from './protocol-enums.ts';
export { BaseCommandDef, type BaseCommand } from './base-command.ts';
export {
  MessageMetadataDef,
  SingleMessageMetadataDef,
  MessageIdDataDef,
  BrokerEntryMetadataDef,
  type MessageMetadata,
  type SingleMessageMetadata,
  type MessageIdData,
  type BrokerEntryMetadata,
  type KeyValue,
  type FeatureFlags,
  type SchemaData,
  type TxnIdFields,
  type TxnResponse,
} from './common-messages.ts';
export { serverError, serverErrorInfo, ServerError, SERVER_ERRORS } from './server-error.ts';
