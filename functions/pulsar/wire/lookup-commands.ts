/**
 * Lookup and topic-discovery commands: LOOKUP, PARTITIONED_METADATA, GET_TOPICS_OF_NAMESPACE,
 * the topic list watcher (PIP-145), TOPIC_MIGRATED, and the schema registry commands.
 *
 * A topic list watcher streams a namespace's topics matching a pattern: WATCH_TOPIC_LIST answers
 * with WATCH_TOPIC_LIST_SUCCESS (the full list, or none when the client's topics_hash already
 * matches), then WATCH_TOPIC_UPDATE names topics created and deleted. topics_hash is the broker's
 * hash of its whole matching list after each change. WATCH_TOPIC_LIST_CLOSE is also answered by a
 * WATCH_TOPIC_LIST_SUCCESS (without a hash).
 */
import { SchemaDef, type CommandEntry, type SchemaData } from './common-messages.ts';
import { defineMessage } from './proto-message.ts';
import { CommandType } from './protocol-enums.ts';

export interface LookupCommands {
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
  getTopicsOfNamespace?: { request_id: number; namespace: string; mode?: number; topics_pattern?: string; topics_hash?: string };
  getTopicsOfNamespaceResponse?: { request_id: number; topics?: string[]; filtered?: boolean; topics_hash?: string; changed?: boolean };
  watchTopicList?: { request_id: number; watcher_id: number; namespace: string; topics_pattern: string; topics_hash?: string };
  watchTopicListSuccess?: { request_id: number; watcher_id: number; topic?: string[]; topics_hash?: string };
  watchTopicUpdate?: { watcher_id: number; new_topics?: string[]; deleted_topics?: string[]; topics_hash?: string };
  watchTopicListClose?: { request_id: number; watcher_id: number };
  topicMigrated?: { resource_id: number; resource_type: number; brokerServiceUrl?: string; brokerServiceUrlTls?: string };
  getSchema?: { request_id: number; topic: string; schema_version?: Buffer };
  getSchemaResponse?: { request_id: number; error_code?: number; error_message?: string; schema?: SchemaData; schema_version?: Buffer };
  getOrCreateSchema?: { request_id: number; topic: string; schema: SchemaData };
  getOrCreateSchemaResponse?: { request_id: number; error_code?: number; error_message?: string; schema_version?: Buffer };
}

export const lookupCommandTable: readonly CommandEntry[] = [
  [
    'partitionMetadata',
    CommandType.PARTITIONED_METADATA,
    defineMessage('CommandPartitionedTopicMetadata', [
      ['topic', 1, 'string'],
      ['request_id', 2, 'u64n'],
      ['metadata_auto_creation_enabled', 6, 'bool'],
    ]),
  ],
  [
    'partitionMetadataResponse',
    CommandType.PARTITIONED_METADATA_RESPONSE,
    defineMessage('CommandPartitionedTopicMetadataResponse', [
      ['partitions', 1, 'uint32'],
      ['request_id', 2, 'u64n'],
      ['response', 3, 'enum'],
      ['error', 4, 'enum'],
      ['message', 5, 'string'],
    ]),
  ],
  [
    'lookupTopic',
    CommandType.LOOKUP,
    defineMessage('CommandLookupTopic', [
      ['topic', 1, 'string'],
      ['request_id', 2, 'u64n'],
      ['authoritative', 3, 'bool'],
      ['advertised_listener_name', 7, 'string'],
    ]),
  ],
  [
    'lookupTopicResponse',
    CommandType.LOOKUP_RESPONSE,
    defineMessage('CommandLookupTopicResponse', [
      ['brokerServiceUrl', 1, 'string'],
      ['brokerServiceUrlTls', 2, 'string'],
      ['response', 3, 'enum'],
      ['request_id', 4, 'u64n'],
      ['authoritative', 5, 'bool'],
      ['error', 6, 'enum'],
      ['message', 7, 'string'],
      ['proxy_through_service_url', 8, 'bool'],
    ]),
  ],
  [
    'getTopicsOfNamespace',
    CommandType.GET_TOPICS_OF_NAMESPACE,
    defineMessage('CommandGetTopicsOfNamespace', [
      ['request_id', 1, 'u64n'],
      ['namespace', 2, 'string'],
      ['mode', 3, 'enum'],
      ['topics_pattern', 4, 'string'],
      ['topics_hash', 5, 'string'],
    ]),
  ],
  [
    'getTopicsOfNamespaceResponse',
    CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE,
    defineMessage('CommandGetTopicsOfNamespaceResponse', [
      ['request_id', 1, 'u64n'],
      ['topics', 2, 'string', { repeated: true }],
      ['filtered', 3, 'bool'],
      ['topics_hash', 4, 'string'],
      ['changed', 5, 'bool'],
    ]),
  ],
  [
    'watchTopicList',
    CommandType.WATCH_TOPIC_LIST,
    defineMessage('CommandWatchTopicList', [
      ['request_id', 1, 'u64n'],
      ['watcher_id', 2, 'u64n'],
      ['namespace', 3, 'string'],
      ['topics_pattern', 4, 'string'],
      ['topics_hash', 5, 'string'],
    ]),
  ],
  [
    'watchTopicListSuccess',
    CommandType.WATCH_TOPIC_LIST_SUCCESS,
    defineMessage('CommandWatchTopicListSuccess', [
      ['request_id', 1, 'u64n'],
      ['watcher_id', 2, 'u64n'],
      ['topic', 3, 'string', { repeated: true }],
      ['topics_hash', 4, 'string'],
    ]),
  ],
  [
    'watchTopicUpdate',
    CommandType.WATCH_TOPIC_UPDATE,
    defineMessage('CommandWatchTopicUpdate', [
      ['watcher_id', 1, 'u64n'],
      ['new_topics', 2, 'string', { repeated: true }],
      ['deleted_topics', 3, 'string', { repeated: true }],
      ['topics_hash', 4, 'string'],
    ]),
  ],
  [
    'watchTopicListClose',
    CommandType.WATCH_TOPIC_LIST_CLOSE,
    defineMessage('CommandWatchTopicListClose', [
      ['request_id', 1, 'u64n'],
      ['watcher_id', 2, 'u64n'],
    ]),
  ],
  [
    'topicMigrated',
    CommandType.TOPIC_MIGRATED,
    defineMessage('CommandTopicMigrated', [
      ['resource_id', 1, 'u64n'],
      ['resource_type', 2, 'enum'],
      ['brokerServiceUrl', 3, 'string'],
      ['brokerServiceUrlTls', 4, 'string'],
    ]),
  ],
  [
    'getSchema',
    CommandType.GET_SCHEMA,
    defineMessage('CommandGetSchema', [
      ['request_id', 1, 'u64n'],
      ['topic', 2, 'string'],
      ['schema_version', 3, 'bytes'],
    ]),
  ],
  [
    'getSchemaResponse',
    CommandType.GET_SCHEMA_RESPONSE,
    defineMessage('CommandGetSchemaResponse', [
      ['request_id', 1, 'u64n'],
      ['error_code', 2, 'enum'],
      ['error_message', 3, 'string'],
      ['schema', 4, 'message', { msg: () => SchemaDef }],
      ['schema_version', 5, 'bytes'],
    ]),
  ],
  [
    'getOrCreateSchema',
    CommandType.GET_OR_CREATE_SCHEMA,
    defineMessage('CommandGetOrCreateSchema', [
      ['request_id', 1, 'u64n'],
      ['topic', 2, 'string'],
      ['schema', 3, 'message', { msg: () => SchemaDef }],
    ]),
  ],
  [
    'getOrCreateSchemaResponse',
    CommandType.GET_OR_CREATE_SCHEMA_RESPONSE,
    defineMessage('CommandGetOrCreateSchemaResponse', [
      ['request_id', 1, 'u64n'],
      ['error_code', 2, 'enum'],
      ['error_message', 3, 'string'],
      ['schema_version', 4, 'bytes'],
    ]),
  ],
];
