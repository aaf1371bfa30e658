/**
 * Messages shared by many commands (ids, metadata, schema, feature flags), as shapes and codec
 * tables. Only the fields this client speaks are described; unknown fields are skipped on decode.
 * Field names keep the spec's snake_case spelling so they can be checked against PulsarApi.proto.
 *
 * Kinds: `u64` = exact bigint (ledger/entry ids, txn ids); `u64n` = number (ids and times this
 * client produces, all far below 2^53).
 */
import { defineMessage, type MessageDef } from './proto-message.ts';

/** One BaseCommand sub-command: its BaseCommand field name, number (= its Type) and table. */
export type CommandEntry = readonly [field: string, no: number, def: MessageDef];

export interface KeyValue {
  key: string;
  value: string;
}

export interface MessageIdData {
  ledgerId: bigint;
  entryId: bigint;
  partition?: number;
  batch_index?: number;
  ack_set?: bigint[];
  batch_size?: number;
  first_chunk_message_id?: MessageIdData;
}

export interface MessageMetadata {
  producer_name: string;
  sequence_id: number;
  publish_time: number;
  properties?: KeyValue[];
  replicated_from?: string;
  partition_key?: string;
  replicate_to?: string[];
  compression?: number;
  uncompressed_size?: number;
  num_messages_in_batch?: number;
  event_time?: number;
  schema_version?: Buffer;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  deliver_at_time?: number;
  marker_type?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  highest_sequence_id?: number;
  null_value?: boolean;
  uuid?: string;
  num_chunks_from_msg?: number;
  total_chunk_msg_size?: number;
  chunk_id?: number;
  null_partition_key?: boolean;
}

export interface SingleMessageMetadata {
  properties?: KeyValue[];
  partition_key?: string;
  payload_size: number;
  compacted_out?: boolean;
  event_time?: number;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  sequence_id?: number;
  null_value?: boolean;
  null_partition_key?: boolean;
}

export interface BrokerEntryMetadata {
  broker_timestamp?: number;
  index?: bigint;
}

export interface FeatureFlags {
  supports_auth_refresh?: boolean;
  supports_broker_entry_metadata?: boolean;
  supports_partial_producer?: boolean;
  supports_topic_watchers?: boolean;
  supports_get_partitioned_metadata_without_auto_creation?: boolean;
}

export interface AuthData {
  auth_method_name?: string;
  auth_data?: Buffer;
}

export interface SchemaData {
  name: string;
  schema_data: Buffer;
  type: number;
  properties?: KeyValue[];
}

export interface TxnIdFields {
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
}

/** The shared shape of the transaction coordinator's replies. */
export interface TxnResponse extends TxnIdFields {
  request_id: number;
  error?: number;
  message?: string;
}

export const KeyValueDef: MessageDef = defineMessage('KeyValue', [
  ['key', 1, 'string'],
  ['value', 2, 'string'],
]);

export const MessageIdDataDef: MessageDef = defineMessage('MessageIdData', [
  ['ledgerId', 1, 'u64'],
  ['entryId', 2, 'u64'],
  ['partition', 3, 'int32'],
  ['batch_index', 4, 'int32'],
  ['ack_set', 5, 'i64', { repeated: true }],
  ['batch_size', 6, 'int32'],
  ['first_chunk_message_id', 7, 'message', { msg: () => MessageIdDataDef }],
]);

export const SchemaDef: MessageDef = defineMessage('Schema', [
  ['name', 1, 'string'],
  ['schema_data', 3, 'bytes'],
  ['type', 4, 'enum'],
  ['properties', 5, 'message', { repeated: true, msg: () => KeyValueDef }],
]);

export const MessageMetadataDef: MessageDef = defineMessage('MessageMetadata', [
  ['producer_name', 1, 'string'],
  ['sequence_id', 2, 'u64n'],
  ['publish_time', 3, 'u64n'],
  ['properties', 4, 'message', { repeated: true, msg: () => KeyValueDef }],
  ['replicated_from', 5, 'string'],
  ['partition_key', 6, 'string'],
  ['replicate_to', 7, 'string', { repeated: true }],
  ['compression', 8, 'enum'],
  ['uncompressed_size', 9, 'uint32'],
  ['num_messages_in_batch', 11, 'int32'],
  ['event_time', 12, 'u64n'],
  ['schema_version', 16, 'bytes'],
  ['partition_key_b64_encoded', 17, 'bool'],
  ['ordering_key', 18, 'bytes'],
  ['deliver_at_time', 19, 'i64n'],
  ['marker_type', 20, 'int32'],
  ['txnid_least_bits', 22, 'u64'],
  ['txnid_most_bits', 23, 'u64'],
  ['highest_sequence_id', 24, 'u64n'],
  ['null_value', 25, 'bool'],
  ['uuid', 26, 'string'],
  ['num_chunks_from_msg', 27, 'int32'],
  ['total_chunk_msg_size', 28, 'int32'],
  ['chunk_id', 29, 'int32'],
  ['null_partition_key', 30, 'bool'],
]);

export const SingleMessageMetadataDef: MessageDef = defineMessage('SingleMessageMetadata', [
  ['properties', 1, 'message', { repeated: true, msg: () => KeyValueDef }],
  ['partition_key', 2, 'string'],
  ['payload_size', 3, 'int32'],
  ['compacted_out', 4, 'bool'],
  ['event_time', 5, 'u64n'],
  ['partition_key_b64_encoded', 6, 'bool'],
  ['ordering_key', 7, 'bytes'],
  ['sequence_id', 8, 'u64n'],
  ['null_value', 9, 'bool'],
  ['null_partition_key', 10, 'bool'],
]);

export const BrokerEntryMetadataDef: MessageDef = defineMessage('BrokerEntryMetadata', [
  ['broker_timestamp', 1, 'u64n'],
  ['index', 2, 'u64'],
]);

export const FeatureFlagsDef: MessageDef = defineMessage('FeatureFlags', [
  ['supports_auth_refresh', 1, 'bool'],
  ['supports_broker_entry_metadata', 2, 'bool'],
  ['supports_partial_producer', 3, 'bool'],
  ['supports_topic_watchers', 4, 'bool'],
  ['supports_get_partitioned_metadata_without_auto_creation', 5, 'bool'],
]);

export const AuthDataDef: MessageDef = defineMessage('AuthData', [
  ['auth_method_name', 1, 'string'],
  ['auth_data', 2, 'bytes'],
]);

/** Option for a nested MessageIdData field. */
export const msgId = { msg: (): MessageDef => MessageIdDataDef };
