/** Transaction commands: coordinator connect, NEW_TXN, ADD_PARTITION/SUBSCRIPTION_TO_TXN, END_TXN. */
import type { CommandEntry, TxnIdFields, TxnResponse } from './common-messages.ts';
import { defineMessage, type MessageDef } from './proto-message.ts';
import { CommandType } from './protocol-enums.ts';

export interface TxnCommands {
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
}

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

export const txnCommandTable: readonly CommandEntry[] = [
  [
    'newTxn',
    CommandType.NEW_TXN,
    defineMessage('CommandNewTxn', [
      ['request_id', 1, 'u64n'],
      ['txn_ttl_seconds', 2, 'u64n'],
      ['tc_id', 3, 'u64n'],
    ]),
  ],
  ['newTxnResponse', CommandType.NEW_TXN_RESPONSE, txnResponseDef('CommandNewTxnResponse')],
  [
    'addPartitionToTxn',
    CommandType.ADD_PARTITION_TO_TXN,
    defineMessage('CommandAddPartitionToTxn', [
      ['request_id', 1, 'u64n'],
      ['txnid_least_bits', 2, 'u64'],
      ['txnid_most_bits', 3, 'u64'],
      ['partitions', 4, 'string', { repeated: true }],
    ]),
  ],
  ['addPartitionToTxnResponse', CommandType.ADD_PARTITION_TO_TXN_RESPONSE, txnResponseDef('CommandAddPartitionToTxnResponse')],
  [
    'addSubscriptionToTxn',
    CommandType.ADD_SUBSCRIPTION_TO_TXN,
    defineMessage('CommandAddSubscriptionToTxn', [
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
  ],
  ['addSubscriptionToTxnResponse', CommandType.ADD_SUBSCRIPTION_TO_TXN_RESPONSE, txnResponseDef('CommandAddSubscriptionToTxnResponse')],
  [
    'endTxn',
    CommandType.END_TXN,
    defineMessage('CommandEndTxn', [
      ['request_id', 1, 'u64n'],
      ['txnid_least_bits', 2, 'u64'],
      ['txnid_most_bits', 3, 'u64'],
      ['txn_action', 4, 'enum'],
    ]),
  ],
  ['endTxnResponse', CommandType.END_TXN_RESPONSE, txnResponseDef('CommandEndTxnResponse')],
  [
    'tcClientConnectRequest',
    CommandType.TC_CLIENT_CONNECT_REQUEST,
    defineMessage('CommandTcClientConnectRequest', [
      ['request_id', 1, 'u64n'],
      ['tc_id', 2, 'u64n'],
    ]),
  ],
  [
    'tcClientConnectResponse',
    CommandType.TC_CLIENT_CONNECT_RESPONSE,
    defineMessage('CommandTcClientConnectResponse', [
      ['request_id', 1, 'u64n'],
      ['error', 2, 'enum'],
      ['message', 3, 'string'],
    ]),
  ],
];
