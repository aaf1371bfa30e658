/**
 * Beamline's own tables for the Pulsar binary protocol (PulsarApi.proto, proto2), written from the
 * published specification. Only the messages this client speaks are described; unknown fields
 * are skipped on decode. Field names keep the spec's spelling so they can be checked against it.
 *
 * Kinds: `u64` = exact bigint (ledger/entry ids, txn ids); `u64n` = number (ids and times this
 * client produces, all far below 2^53).
 */
import { defineMessage, type MessageDef } from './proto-codec.ts';

/** BaseCommand.Type values. */
export const CommandType = {
  CONNECT: 2,
  CONNECTED: 3,
  SUBSCRIBE: 4,
  PRODUCER: 5,
  SEND: 6,
  SEND_RECEIPT: 7,
  SEND_ERROR: 8,
  MESSAGE: 9,
  ACK: 10,
  FLOW: 11,
  UNSUBSCRIBE: 12,
  SUCCESS: 13,
  ERROR: 14,
  CLOSE_PRODUCER: 15,
  CLOSE_CONSUMER: 16,
  PRODUCER_SUCCESS: 17,
  PING: 18,
  PONG: 19,
  REDELIVER_UNACKNOWLEDGED_MESSAGES: 20,
  PARTITIONED_METADATA: 21,
  PARTITIONED_METADATA_RESPONSE: 22,
  LOOKUP: 23,
  LOOKUP_RESPONSE: 24,
  CONSUMER_STATS: 25,
  CONSUMER_STATS_RESPONSE: 26,
  REACHED_END_OF_TOPIC: 27,
  SEEK: 28,
  GET_LAST_MESSAGE_ID: 29,
  GET_LAST_MESSAGE_ID_RESPONSE: 30,
  ACTIVE_CONSUMER_CHANGE: 31,
  GET_TOPICS_OF_NAMESPACE: 32,
  GET_TOPICS_OF_NAMESPACE_RESPONSE: 33,
  GET_SCHEMA: 34,
  GET_SCHEMA_RESPONSE: 35,
  AUTH_CHALLENGE: 36,
  AUTH_RESPONSE: 37,
  ACK_RESPONSE: 38,
  GET_OR_CREATE_SCHEMA: 39,
  GET_OR_CREATE_SCHEMA_RESPONSE: 40,
  NEW_TXN: 50,
  NEW_TXN_RESPONSE: 51,
  ADD_PARTITION_TO_TXN: 52,
  ADD_PARTITION_TO_TXN_RESPONSE: 53,
  ADD_SUBSCRIPTION_TO_TXN: 54,
  ADD_SUBSCRIPTION_TO_TXN_RESPONSE: 55,
  END_TXN: 56,
  END_TXN_RESPONSE: 57,
  TC_CLIENT_CONNECT_REQUEST: 62,
  TC_CLIENT_CONNECT_RESPONSE: 63,
  TOPIC_MIGRATED: 68,
} as const;
export type CommandTypeValue = (typeof CommandType)[keyof typeof CommandType];

export const CompressionType = { NONE: 0, LZ4: 1, ZLIB: 2, ZSTD: 3, SNAPPY: 4 } as const;
export type CompressionTypeValue = (typeof CompressionType)[keyof typeof CompressionType];

export const SubType = { Exclusive: 0, Shared: 1, Failover: 2, Key_Shared: 3 } as const;
export const InitialPosition = { Latest: 0, Earliest: 1 } as const;
export const AckType = { Individual: 0, Cumulative: 1 } as const;
export const ProducerAccessMode = { Shared: 0, Exclusive: 1, WaitForExclusive: 2, ExclusiveWithFencing: 3 } as const;
export const LookupResponseType = { Redirect: 0, Connect: 1, Failed: 2 } as const;
export const PartitionedMetadataResponseType = { Success: 0, Failed: 1 } as const;
export const KeySharedMode = { AUTO_SPLIT: 0, STICKY: 1 } as const;
export const TopicDomainMode = { PERSISTENT: 0, NON_PERSISTENT: 1, ALL: 2 } as const;
export const TxnAction = { COMMIT: 0, ABORT: 1 } as const;

/** Highest protocol version this client speaks (v21: AUTO_CONSUME schema carried to the broker). */
export const CLIENT_PROTOCOL_VERSION = 21;

// ---------------------------------------------------------------------------------------------
// Message shapes (snake_case as in the spec)

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

/** BaseCommand: `type` plus the one sub-command it names. Sub-commands stay loosely typed. */
export interface BaseCommand {
  type: number;
  connect?: {
    client_version: string;
    auth_method_name?: string;
    auth_data?: Buffer;
    protocol_version?: number;
    proxy_to_broker_url?: string;
    feature_flags?: FeatureFlags;
  };
  connected?: { server_version: string; protocol_version?: number; max_message_size?: number; feature_flags?: FeatureFlags };
  subscribe?: {
    topic: string;
    subscription: string;
    subType: number;
    consumer_id: number;
    request_id: number;
    consumer_name?: string;
    priority_level?: number;
    durable?: boolean;
    start_message_id?: MessageIdData;
    metadata?: KeyValue[];
    read_compacted?: boolean;
    schema?: SchemaData;
    initialPosition?: number;
    replicate_subscription_state?: boolean;
    force_topic_creation?: boolean;
    start_message_rollback_duration_sec?: number;
    keySharedMeta?: { keySharedMode: number; allowOutOfOrderDelivery?: boolean };
    subscription_properties?: KeyValue[];
    consumer_epoch?: number;
  };
  producer?: {
    topic: string;
    producer_id: number;
    request_id: number;
    producer_name?: string;
    encrypted?: boolean;
    metadata?: KeyValue[];
    schema?: SchemaData;
    epoch?: number;
    user_provided_producer_name?: boolean;
    producer_access_mode?: number;
    topic_epoch?: number;
    txn_enabled?: boolean;
    initial_subscription_name?: string;
  };
  send?: {
    producer_id: number;
    sequence_id: number;
    num_messages?: number;
    highest_sequence_id?: number;
    is_chunk?: boolean;
    marker?: boolean;
    txnid_least_bits?: bigint;
    txnid_most_bits?: bigint;
  };
  send_receipt?: { producer_id: number; sequence_id: number; message_id?: MessageIdData; highest_sequence_id?: number };
  send_error?: { producer_id: number; sequence_id: number; error: number; message: string };
  message?: { consumer_id: number; message_id: MessageIdData; redelivery_count?: number; ack_set?: bigint[]; consumer_epoch?: number };
  ack?: {
    consumer_id: number;
    ack_type: number;
    message_id: MessageIdData[];
    validation_error?: number;
    txnid_least_bits?: bigint;
    txnid_most_bits?: bigint;
    request_id?: number;
  };
  flow?: { consumer_id: number; messagePermits: number };
  unsubscribe?: { consumer_id: number; request_id: number; force?: boolean };
  success?: { request_id: number };
  error?: { request_id: number; error: number; message: string };
  close_producer?: { producer_id: number; request_id: number; assignedBrokerServiceUrl?: string; assignedBrokerServiceUrlTls?: string };
  close_consumer?: { consumer_id: number; request_id: number; assignedBrokerServiceUrl?: string; assignedBrokerServiceUrlTls?: string };
  producer_success?: {
    request_id: number;
    producer_name: string;
    last_sequence_id?: number;
    schema_version?: Buffer;
    topic_epoch?: number;
    producer_ready?: boolean;
  };
  ping?: Record<string, never>;
  pong?: Record<string, never>;
  redeliverUnacknowledgedMessages?: { consumer_id: number; message_ids?: MessageIdData[]; consumer_epoch?: number };
  partitionMetadata?: { topic: string; request_id: number; metadata_auto_creation_enabled?: boolean };
  partitionMetadataResponse?: { partitions?: number; request_id: number; response?: number; error?: number; message?: string };
  lookupTopic?: { topic: string; request_id: number; authoritative?: boolean; advertised_listener_name?: string };
  lookupTopicResponse?: {
    brokerServiceUrl?: string;
    brokerServiceUrlTls?: string;
    response?: number;
    request_id: number;
    authoritative?: boolean;
    error?: number;
    message?: string;
    proxy_through_service_url?: boolean;
  };
  reachedEndOfTopic?: { consumer_id: number };
  seek?: { consumer_id: number; request_id: number; message_id?: MessageIdData; message_publish_time?: number };
  getLastMessageId?: { consumer_id: number; request_id: number };
  getLastMessageIdResponse?: { last_message_id: MessageIdData; request_id: number; consumer_mark_delete_position?: MessageIdData };
  active_consumer_change?: { consumer_id: number; is_active?: boolean };
  getTopicsOfNamespace?: { request_id: number; namespace: string; mode?: number; topics_pattern?: string; topics_hash?: string };
  getTopicsOfNamespaceResponse?: { request_id: number; topics?: string[]; filtered?: boolean; topics_hash?: string; changed?: boolean };
  authChallenge?: { server_version?: string; challenge?: AuthData; protocol_version?: number };
  authResponse?: { client_version?: string; response?: AuthData; protocol_version?: number };
  ackResponse?: { consumer_id: number; txnid_least_bits?: bigint; txnid_most_bits?: bigint; error?: number; message?: string; request_id?: number };
  getSchema?: { request_id: number; topic: string; schema_version?: Buffer };
  getSchemaResponse?: { request_id: number; error_code?: number; error_message?: string; schema?: SchemaData; schema_version?: Buffer };
  getOrCreateSchema?: { request_id: number; topic: string; schema: SchemaData };
  getOrCreateSchemaResponse?: { request_id: number; error_code?: number; error_message?: string; schema_version?: Buffer };
  newTxn?: { request_id: number; txn_ttl_seconds?: number; tc_id?: number };
  newTxnResponse?: TxnResponse;
  addPartitionToTxn?: TxnIdFields & { request_id: number; partitions?: string[] };
  addPartitionToTxnResponse?: TxnResponse;
  addSubscriptionToTxn?: TxnIdFields & { request_id: number; subscription?: { topic: string; subscription: string }[] };
  addSubscriptionToTxnResponse?: TxnResponse;
  endTxn?: TxnIdFields & { request_id: number; txn_action?: number };
  endTxnResponse?: TxnResponse;
  tcClientConnectRequest?: { request_id: number; tc_id: number };
  tcClientConnectResponse?: { request_id: number; error?: number; message?: string };
  topicMigrated?: { resource_id: number; resource_type: number; brokerServiceUrl?: string; brokerServiceUrlTls?: string };
}

// ---------------------------------------------------------------------------------------------
// Tables

const KeyValueDef: MessageDef = defineMessage('KeyValue', [
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

const SchemaDef = defineMessage('Schema', [
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

const FeatureFlagsDef = defineMessage('FeatureFlags', [
  ['supports_auth_refresh', 1, 'bool'],
  ['supports_broker_entry_metadata', 2, 'bool'],
  ['supports_partial_producer', 3, 'bool'],
  ['supports_topic_watchers', 4, 'bool'],
  ['supports_get_partitioned_metadata_without_auto_creation', 5, 'bool'],
]);

const AuthDataDef = defineMessage('AuthData', [
  ['auth_method_name', 1, 'string'],
  ['auth_data', 2, 'bytes'],
]);

const msgId = { msg: () => MessageIdDataDef };

/** The transaction coordinator's replies all share one layout. */
function txnResponseDef(name: string): MessageDef {
  return defineMessage(name, [
    ['request_id', 1, 'u64n'],
    ['txnid_least_bits', 2, 'u64'],
    ['txnid_most_bits', 3, 'u64'],
    ['error', 4, 'enum'],
    ['message', 5, 'string'],
  ]);
}

const defs: Record<string, MessageDef> = {
  connect: defineMessage('CommandConnect', [
    ['client_version', 1, 'string'],
    ['auth_data', 3, 'bytes'],
    ['protocol_version', 4, 'int32'],
    ['auth_method_name', 5, 'string'],
    ['proxy_to_broker_url', 6, 'string'],
    ['feature_flags', 10, 'message', { msg: () => FeatureFlagsDef }],
  ]),
  connected: defineMessage('CommandConnected', [
    ['server_version', 1, 'string'],
    ['protocol_version', 2, 'int32'],
    ['max_message_size', 3, 'int32'],
    ['feature_flags', 4, 'message', { msg: () => FeatureFlagsDef }],
  ]),
  subscribe: defineMessage('CommandSubscribe', [
    ['topic', 1, 'string'],
    ['subscription', 2, 'string'],
    ['subType', 3, 'enum'],
    ['consumer_id', 4, 'u64n'],
    ['request_id', 5, 'u64n'],
    ['consumer_name', 6, 'string'],
    ['priority_level', 7, 'int32'],
    ['durable', 8, 'bool'],
    ['start_message_id', 9, 'message', msgId],
    ['metadata', 10, 'message', { repeated: true, msg: () => KeyValueDef }],
    ['read_compacted', 11, 'bool'],
    ['schema', 12, 'message', { msg: () => SchemaDef }],
    ['initialPosition', 13, 'enum'],
    ['replicate_subscription_state', 14, 'bool'],
    ['force_topic_creation', 15, 'bool'],
    ['start_message_rollback_duration_sec', 16, 'u64n'],
    [
      'keySharedMeta',
      17,
      'message',
      {
        msg: () =>
          defineMessage('KeySharedMeta', [
            ['keySharedMode', 1, 'enum'],
            ['allowOutOfOrderDelivery', 4, 'bool'],
          ]),
      },
    ],
    ['subscription_properties', 18, 'message', { repeated: true, msg: () => KeyValueDef }],
    ['consumer_epoch', 19, 'u64n'],
  ]),
  producer: defineMessage('CommandProducer', [
    ['topic', 1, 'string'],
    ['producer_id', 2, 'u64n'],
    ['request_id', 3, 'u64n'],
    ['producer_name', 4, 'string'],
    ['encrypted', 5, 'bool'],
    ['metadata', 6, 'message', { repeated: true, msg: () => KeyValueDef }],
    ['schema', 7, 'message', { msg: () => SchemaDef }],
    ['epoch', 8, 'u64n'],
    ['user_provided_producer_name', 9, 'bool'],
    ['producer_access_mode', 10, 'enum'],
    ['topic_epoch', 11, 'u64n'],
    ['txn_enabled', 12, 'bool'],
    ['initial_subscription_name', 13, 'string'],
  ]),
  send: defineMessage('CommandSend', [
    ['producer_id', 1, 'u64n'],
    ['sequence_id', 2, 'u64n'],
    ['num_messages', 3, 'int32'],
    ['highest_sequence_id', 6, 'u64n'],
    ['txnid_least_bits', 4, 'u64'],
    ['txnid_most_bits', 5, 'u64'],
    ['is_chunk', 7, 'bool'],
    ['marker', 8, 'bool'],
  ]),
  send_receipt: defineMessage('CommandSendReceipt', [
    ['producer_id', 1, 'u64n'],
    ['sequence_id', 2, 'u64n'],
    ['message_id', 3, 'message', msgId],
    ['highest_sequence_id', 4, 'u64n'],
  ]),
  send_error: defineMessage('CommandSendError', [
    ['producer_id', 1, 'u64n'],
    ['sequence_id', 2, 'u64n'],
    ['error', 3, 'enum'],
    ['message', 4, 'string'],
  ]),
  message: defineMessage('CommandMessage', [
    ['consumer_id', 1, 'u64n'],
    ['message_id', 2, 'message', msgId],
    ['redelivery_count', 3, 'uint32'],
    ['ack_set', 4, 'i64', { repeated: true }],
    ['consumer_epoch', 5, 'u64n'],
  ]),
  ack: defineMessage('CommandAck', [
    ['consumer_id', 1, 'u64n'],
    ['ack_type', 2, 'enum'],
    ['message_id', 3, 'message', { repeated: true, msg: () => MessageIdDataDef }],
    ['validation_error', 4, 'enum'],
    ['txnid_least_bits', 6, 'u64'],
    ['txnid_most_bits', 7, 'u64'],
    ['request_id', 8, 'u64n'],
  ]),
  flow: defineMessage('CommandFlow', [
    ['consumer_id', 1, 'u64n'],
    ['messagePermits', 2, 'uint32'],
  ]),
  unsubscribe: defineMessage('CommandUnsubscribe', [
    ['consumer_id', 1, 'u64n'],
    ['request_id', 2, 'u64n'],
    ['force', 3, 'bool'],
  ]),
  success: defineMessage('CommandSuccess', [['request_id', 1, 'u64n']]),
  error: defineMessage('CommandError', [
    ['request_id', 1, 'u64n'],
    ['error', 2, 'enum'],
    ['message', 3, 'string'],
  ]),
  close_producer: defineMessage('CommandCloseProducer', [
    ['producer_id', 1, 'u64n'],
    ['request_id', 2, 'u64n'],
    ['assignedBrokerServiceUrl', 3, 'string'],
    ['assignedBrokerServiceUrlTls', 4, 'string'],
  ]),
  close_consumer: defineMessage('CommandCloseConsumer', [
    ['consumer_id', 1, 'u64n'],
    ['request_id', 2, 'u64n'],
    ['assignedBrokerServiceUrl', 3, 'string'],
    ['assignedBrokerServiceUrlTls', 4, 'string'],
  ]),
  producer_success: defineMessage('CommandProducerSuccess', [
    ['request_id', 1, 'u64n'],
    ['producer_name', 2, 'string'],
    ['last_sequence_id', 3, 'i64n'],
    ['schema_version', 4, 'bytes'],
    ['topic_epoch', 5, 'u64n'],
    ['producer_ready', 6, 'bool'],
  ]),
  ping: defineMessage('CommandPing', []),
  pong: defineMessage('CommandPong', []),
  redeliverUnacknowledgedMessages: defineMessage('CommandRedeliverUnacknowledgedMessages', [
    ['consumer_id', 1, 'u64n'],
    ['message_ids', 2, 'message', { repeated: true, msg: () => MessageIdDataDef }],
    ['consumer_epoch', 3, 'u64n'],
  ]),
  partitionMetadata: defineMessage('CommandPartitionedTopicMetadata', [
    ['topic', 1, 'string'],
    ['request_id', 2, 'u64n'],
    ['metadata_auto_creation_enabled', 6, 'bool'],
  ]),
  partitionMetadataResponse: defineMessage('CommandPartitionedTopicMetadataResponse', [
    ['partitions', 1, 'uint32'],
    ['request_id', 2, 'u64n'],
    ['response', 3, 'enum'],
    ['error', 4, 'enum'],
    ['message', 5, 'string'],
  ]),
  lookupTopic: defineMessage('CommandLookupTopic', [
    ['topic', 1, 'string'],
    ['request_id', 2, 'u64n'],
    ['authoritative', 3, 'bool'],
    ['advertised_listener_name', 7, 'string'],
  ]),
  lookupTopicResponse: defineMessage('CommandLookupTopicResponse', [
    ['brokerServiceUrl', 1, 'string'],
    ['brokerServiceUrlTls', 2, 'string'],
    ['response', 3, 'enum'],
    ['request_id', 4, 'u64n'],
    ['authoritative', 5, 'bool'],
    ['error', 6, 'enum'],
    ['message', 7, 'string'],
    ['proxy_through_service_url', 8, 'bool'],
  ]),
  reachedEndOfTopic: defineMessage('CommandReachedEndOfTopic', [['consumer_id', 1, 'u64n']]),
  seek: defineMessage('CommandSeek', [
    ['consumer_id', 1, 'u64n'],
    ['request_id', 2, 'u64n'],
    ['message_id', 3, 'message', msgId],
    ['message_publish_time', 4, 'u64n'],
  ]),
  getLastMessageId: defineMessage('CommandGetLastMessageId', [
    ['consumer_id', 1, 'u64n'],
    ['request_id', 2, 'u64n'],
  ]),
  getLastMessageIdResponse: defineMessage('CommandGetLastMessageIdResponse', [
    ['last_message_id', 1, 'message', msgId],
    ['request_id', 2, 'u64n'],
    ['consumer_mark_delete_position', 3, 'message', msgId],
  ]),
  active_consumer_change: defineMessage('CommandActiveConsumerChange', [
    ['consumer_id', 1, 'u64n'],
    ['is_active', 2, 'bool'],
  ]),
  getTopicsOfNamespace: defineMessage('CommandGetTopicsOfNamespace', [
    ['request_id', 1, 'u64n'],
    ['namespace', 2, 'string'],
    ['mode', 3, 'enum'],
    ['topics_pattern', 4, 'string'],
    ['topics_hash', 5, 'string'],
  ]),
  getTopicsOfNamespaceResponse: defineMessage('CommandGetTopicsOfNamespaceResponse', [
    ['request_id', 1, 'u64n'],
    ['topics', 2, 'string', { repeated: true }],
    ['filtered', 3, 'bool'],
    ['topics_hash', 4, 'string'],
    ['changed', 5, 'bool'],
  ]),
  authChallenge: defineMessage('CommandAuthChallenge', [
    ['server_version', 1, 'string'],
    ['challenge', 2, 'message', { msg: () => AuthDataDef }],
    ['protocol_version', 3, 'int32'],
  ]),
  authResponse: defineMessage('CommandAuthResponse', [
    ['client_version', 1, 'string'],
    ['response', 2, 'message', { msg: () => AuthDataDef }],
    ['protocol_version', 3, 'int32'],
  ]),
  ackResponse: defineMessage('CommandAckResponse', [
    ['consumer_id', 1, 'u64n'],
    ['txnid_least_bits', 2, 'u64'],
    ['txnid_most_bits', 3, 'u64'],
    ['error', 4, 'enum'],
    ['message', 5, 'string'],
    ['request_id', 6, 'u64n'],
  ]),
  getSchema: defineMessage('CommandGetSchema', [
    ['request_id', 1, 'u64n'],
    ['topic', 2, 'string'],
    ['schema_version', 3, 'bytes'],
  ]),
  getSchemaResponse: defineMessage('CommandGetSchemaResponse', [
    ['request_id', 1, 'u64n'],
    ['error_code', 2, 'enum'],
    ['error_message', 3, 'string'],
    ['schema', 4, 'message', { msg: () => SchemaDef }],
    ['schema_version', 5, 'bytes'],
  ]),
  getOrCreateSchema: defineMessage('CommandGetOrCreateSchema', [
    ['request_id', 1, 'u64n'],
    ['topic', 2, 'string'],
    ['schema', 3, 'message', { msg: () => SchemaDef }],
  ]),
  getOrCreateSchemaResponse: defineMessage('CommandGetOrCreateSchemaResponse', [
    ['request_id', 1, 'u64n'],
    ['error_code', 2, 'enum'],
    ['error_message', 3, 'string'],
    ['schema_version', 4, 'bytes'],
  ]),
  newTxn: defineMessage('CommandNewTxn', [
    ['request_id', 1, 'u64n'],
    ['txn_ttl_seconds', 2, 'u64n'],
    ['tc_id', 3, 'u64n'],
  ]),
  newTxnResponse: txnResponseDef('CommandNewTxnResponse'),
  addPartitionToTxn: defineMessage('CommandAddPartitionToTxn', [
    ['request_id', 1, 'u64n'],
    ['txnid_least_bits', 2, 'u64'],
    ['txnid_most_bits', 3, 'u64'],
    ['partitions', 4, 'string', { repeated: true }],
  ]),
  addPartitionToTxnResponse: txnResponseDef('CommandAddPartitionToTxnResponse'),
  addSubscriptionToTxn: defineMessage('CommandAddSubscriptionToTxn', [
    ['request_id', 1, 'u64n'],
    ['txnid_least_bits', 2, 'u64'],
    ['txnid_most_bits', 3, 'u64'],
    [
      'subscription',
      4,
      'message',
      {
        repeated: true,
        msg: () =>
          defineMessage('Subscription', [
            ['topic', 1, 'string'],
            ['subscription', 2, 'string'],
          ]),
      },
    ],
  ]),
  addSubscriptionToTxnResponse: txnResponseDef('CommandAddSubscriptionToTxnResponse'),
  endTxn: defineMessage('CommandEndTxn', [
    ['request_id', 1, 'u64n'],
    ['txnid_least_bits', 2, 'u64'],
    ['txnid_most_bits', 3, 'u64'],
    ['txn_action', 4, 'enum'],
  ]),
  endTxnResponse: txnResponseDef('CommandEndTxnResponse'),
  tcClientConnectRequest: defineMessage('CommandTcClientConnectRequest', [
    ['request_id', 1, 'u64n'],
    ['tc_id', 2, 'u64n'],
  ]),
  tcClientConnectResponse: defineMessage('CommandTcClientConnectResponse', [
    ['request_id', 1, 'u64n'],
    ['error', 2, 'enum'],
    ['message', 3, 'string'],
  ]),
  topicMigrated: defineMessage('CommandTopicMigrated', [
    ['resource_id', 1, 'u64n'],
    ['resource_type', 2, 'enum'],
    ['brokerServiceUrl', 3, 'string'],
    ['brokerServiceUrlTls', 4, 'string'],
  ]),
};

/** BaseCommand field numbers equal the Type values for every sub-command used here. */
const subFieldNo: Record<string, number> = {
  connect: 2,
  connected: 3,
  subscribe: 4,
  producer: 5,
  send: 6,
  send_receipt: 7,
  send_error: 8,
  message: 9,
  ack: 10,
  flow: 11,
  unsubscribe: 12,
  success: 13,
  error: 14,
  close_producer: 15,
  close_consumer: 16,
  producer_success: 17,
  ping: 18,
  pong: 19,
  redeliverUnacknowledgedMessages: 20,
  partitionMetadata: 21,
  partitionMetadataResponse: 22,
  lookupTopic: 23,
  lookupTopicResponse: 24,
  reachedEndOfTopic: 27,
  seek: 28,
  getLastMessageId: 29,
  getLastMessageIdResponse: 30,
  active_consumer_change: 31,
  getTopicsOfNamespace: 32,
  getTopicsOfNamespaceResponse: 33,
  authChallenge: 36,
  authResponse: 37,
  ackResponse: 38,
  getSchema: 34,
  getSchemaResponse: 35,
  getOrCreateSchema: 39,
  getOrCreateSchemaResponse: 40,
  newTxn: 50,
  newTxnResponse: 51,
  addPartitionToTxn: 52,
  addPartitionToTxnResponse: 53,
  addSubscriptionToTxn: 54,
  addSubscriptionToTxnResponse: 55,
  endTxn: 56,
  endTxnResponse: 57,
  tcClientConnectRequest: 62,
  tcClientConnectResponse: 63,
  topicMigrated: 68,
};

export const BaseCommandDef: MessageDef = defineMessage('BaseCommand', [
  ['type', 1, 'enum'],
  ...Object.entries(subFieldNo).map(
    ([name, no]) => [name, no, 'message', { msg: () => defs[name] as MessageDef }] as const,
  ),
]);
