/**
 * Enumerations of the Pulsar binary protocol (PulsarApi.proto), written from the published
 * specification with the spec's spelling so they can be checked against it.
 */

/** BaseCommand.Type values (also the BaseCommand field number of each sub-command). */
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
  WATCH_TOPIC_LIST: 64,
  WATCH_TOPIC_LIST_SUCCESS: 65,
  WATCH_TOPIC_UPDATE: 66,
  WATCH_TOPIC_LIST_CLOSE: 67,
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
