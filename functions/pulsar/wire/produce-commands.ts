/** Producer commands: PRODUCER and its reply, SEND and its receipts, broker-initiated close. */
import { KeyValueDef, msgId, SchemaDef, type CommandEntry, type KeyValue, type MessageIdData, type SchemaData } from './common-messages.ts';
import { defineMessage } from './proto-message.ts';
import { CommandType } from './protocol-enums.ts';

export interface CommandProducer {
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
}

export interface CommandSend {
  producer_id: number;
  sequence_id: number;
  num_messages?: number;
  highest_sequence_id?: number;
  is_chunk?: boolean;
  marker?: boolean;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
}

export interface CommandProducerSuccess {
  request_id: number;
  producer_name: string;
  last_sequence_id?: number;
  schema_version?: Buffer;
  topic_epoch?: number;
  producer_ready?: boolean;
}

export interface ProduceCommands {
  producer?: CommandProducer;
  send?: CommandSend;
  send_receipt?: { producer_id: number; sequence_id: number; message_id?: MessageIdData; highest_sequence_id?: number };
  send_error?: { producer_id: number; sequence_id: number; error: number; message: string };
  close_producer?: { producer_id: number; request_id: number; assignedBrokerServiceUrl?: string; assignedBrokerServiceUrlTls?: string };
  producer_success?: CommandProducerSuccess;
}

export const produceCommandTable: readonly CommandEntry[] = [
  [
    'producer',
    CommandType.PRODUCER,
    defineMessage('CommandProducer', [
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
  ],
  [
    'send',
    CommandType.SEND,
    defineMessage('CommandSend', [
      ['producer_id', 1, 'u64n'],
      ['sequence_id', 2, 'u64n'],
      ['num_messages', 3, 'int32'],
      ['highest_sequence_id', 6, 'u64n'],
      ['txnid_least_bits', 4, 'u64'],
      ['txnid_most_bits', 5, 'u64'],
      ['is_chunk', 7, 'bool'],
      ['marker', 8, 'bool'],
    ]),
  ],
  [
    'send_receipt',
    CommandType.SEND_RECEIPT,
    defineMessage('CommandSendReceipt', [
      ['producer_id', 1, 'u64n'],
      ['sequence_id', 2, 'u64n'],
      ['message_id', 3, 'message', msgId],
      ['highest_sequence_id', 4, 'u64n'],
    ]),
  ],
  [
    'send_error',
    CommandType.SEND_ERROR,
    defineMessage('CommandSendError', [
      ['producer_id', 1, 'u64n'],
      ['sequence_id', 2, 'u64n'],
      ['error', 3, 'enum'],
      ['message', 4, 'string'],
    ]),
  ],
  [
    'close_producer',
    CommandType.CLOSE_PRODUCER,
    defineMessage('CommandCloseProducer', [
      ['producer_id', 1, 'u64n'],
      ['request_id', 2, 'u64n'],
      ['assignedBrokerServiceUrl', 3, 'string'],
      ['assignedBrokerServiceUrlTls', 4, 'string'],
    ]),
  ],
  [
    'producer_success',
    CommandType.PRODUCER_SUCCESS,
    defineMessage('CommandProducerSuccess', [
      ['request_id', 1, 'u64n'],
      ['producer_name', 2, 'string'],
      ['last_sequence_id', 3, 'i64n'],
      ['schema_version', 4, 'bytes'],
      ['topic_epoch', 5, 'u64n'],
      ['producer_ready', 6, 'bool'],
    ]),
  ],
];
