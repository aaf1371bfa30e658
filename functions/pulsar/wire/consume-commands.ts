/**
 * Consumer commands: SUBSCRIBE, FLOW, MESSAGE, ACK (and its transactional reply), redelivery,
 * SEEK, GET_LAST_MESSAGE_ID, UNSUBSCRIBE and the broker's consumer notifications.
 */
import {
  KeyValueDef,
  MessageIdDataDef,
  msgId,
  SchemaDef,
  type CommandEntry,
  type KeyValue,
  type MessageIdData,
  type SchemaData,
} from './common-messages.ts';
import { defineMessage } from './proto-message.ts';
import { CommandType } from './protocol-enums.ts';

export interface CommandSubscribe {
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
}

export interface CommandAck {
  consumer_id: number;
  ack_type: number;
  message_id: MessageIdData[];
  validation_error?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  request_id?: number;
}

export interface ConsumeCommands {
  subscribe?: CommandSubscribe;
  message?: { consumer_id: number; message_id: MessageIdData; redelivery_count?: number; ack_set?: bigint[]; consumer_epoch?: number };
  ack?: CommandAck;
  flow?: { consumer_id: number; messagePermits: number };
  unsubscribe?: { consumer_id: number; request_id: number; force?: boolean };
  close_consumer?: { consumer_id: number; request_id: number; assignedBrokerServiceUrl?: string; assignedBrokerServiceUrlTls?: string };
  redeliverUnacknowledgedMessages?: { consumer_id: number; message_ids?: MessageIdData[]; consumer_epoch?: number };
  reachedEndOfTopic?: { consumer_id: number };
  seek?: { consumer_id: number; request_id: number; message_id?: MessageIdData; message_publish_time?: number };
  getLastMessageId?: { consumer_id: number; request_id: number };
  getLastMessageIdResponse?: { last_message_id: MessageIdData; request_id: number; consumer_mark_delete_position?: MessageIdData };
  active_consumer_change?: { consumer_id: number; is_active?: boolean };
  ackResponse?: {
    consumer_id: number;
    txnid_least_bits?: bigint;
    txnid_most_bits?: bigint;
    error?: number;
    message?: string;
    request_id?: number;
  };
}

export const consumeCommandTable: readonly CommandEntry[] = [
  [
    'subscribe',
    CommandType.SUBSCRIBE,
    defineMessage('CommandSubscribe', [
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
  ],
  [
    'message',
    CommandType.MESSAGE,
    defineMessage('CommandMessage', [
      ['consumer_id', 1, 'u64n'],
      ['message_id', 2, 'message', msgId],
      ['redelivery_count', 3, 'uint32'],
      ['ack_set', 4, 'i64', { repeated: true }],
      ['consumer_epoch', 5, 'u64n'],
    ]),
  ],
  [
    'ack',
    CommandType.ACK,
    defineMessage('CommandAck', [
      ['consumer_id', 1, 'u64n'],
      ['ack_type', 2, 'enum'],
      ['message_id', 3, 'message', { repeated: true, msg: () => MessageIdDataDef }],
      ['validation_error', 4, 'enum'],
      ['txnid_least_bits', 6, 'u64'],
      ['txnid_most_bits', 7, 'u64'],
      ['request_id', 8, 'u64n'],
    ]),
  ],
  [
    'flow',
    CommandType.FLOW,
    defineMessage('CommandFlow', [
      ['consumer_id', 1, 'u64n'],
      ['messagePermits', 2, 'uint32'],
    ]),
  ],
  [
    'unsubscribe',
    CommandType.UNSUBSCRIBE,
    defineMessage('CommandUnsubscribe', [
      ['consumer_id', 1, 'u64n'],
      ['request_id', 2, 'u64n'],
      ['force', 3, 'bool'],
    ]),
  ],
  [
    'close_consumer',
    CommandType.CLOSE_CONSUMER,
    defineMessage('CommandCloseConsumer', [
      ['consumer_id', 1, 'u64n'],
      ['request_id', 2, 'u64n'],
      ['assignedBrokerServiceUrl', 3, 'string'],
      ['assignedBrokerServiceUrlTls', 4, 'string'],
    ]),
  ],
  [
    'redeliverUnacknowledgedMessages',
    CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
    defineMessage('CommandRedeliverUnacknowledgedMessages', [
      ['consumer_id', 1, 'u64n'],
      ['message_ids', 2, 'message', { repeated: true, msg: () => MessageIdDataDef }],
      ['consumer_epoch', 3, 'u64n'],
    ]),
  ],
  ['reachedEndOfTopic', CommandType.REACHED_END_OF_TOPIC, defineMessage('CommandReachedEndOfTopic', [['consumer_id', 1, 'u64n']])],
  [
    'seek',
    CommandType.SEEK,
    defineMessage('CommandSeek', [
      ['consumer_id', 1, 'u64n'],
      ['request_id', 2, 'u64n'],
      ['message_id', 3, 'message', msgId],
      ['message_publish_time', 4, 'u64n'],
    ]),
  ],
  [
    'getLastMessageId',
    CommandType.GET_LAST_MESSAGE_ID,
    defineMessage('CommandGetLastMessageId', [
      ['consumer_id', 1, 'u64n'],
      ['request_id', 2, 'u64n'],
    ]),
  ],
  [
    'getLastMessageIdResponse',
    CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
    defineMessage('CommandGetLastMessageIdResponse', [
      ['last_message_id', 1, 'message', msgId],
      ['request_id', 2, 'u64n'],
      ['consumer_mark_delete_position', 3, 'message', msgId],
    ]),
  ],
  [
    'active_consumer_change',
    CommandType.ACTIVE_CONSUMER_CHANGE,
    defineMessage('CommandActiveConsumerChange', [
      ['consumer_id', 1, 'u64n'],
      ['is_active', 2, 'bool'],
    ]),
  ],
  [
    'ackResponse',
    CommandType.ACK_RESPONSE,
    defineMessage('CommandAckResponse', [
      ['consumer_id', 1, 'u64n'],
      ['txnid_least_bits', 2, 'u64'],
      ['txnid_most_bits', 3, 'u64'],
      ['error', 4, 'enum'],
      ['message', 5, 'string'],
      ['request_id', 6, 'u64n'],
    ]),
  ],
];
