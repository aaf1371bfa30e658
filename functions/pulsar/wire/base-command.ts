/**
 * BaseCommand, the envelope of every command on the wire: `type` plus the one sub-command it
 * names, assembled from the per-area tables. A sub-command's field number equals its Type value.
 */
import type { CommandEntry } from './common-messages.ts';
import { connectionCommandTable, type ConnectionCommands } from './connection-commands.ts';
import { consumeCommandTable, type ConsumeCommands } from './consume-commands.ts';
import { lookupCommandTable, type LookupCommands } from './lookup-commands.ts';
import { produceCommandTable, type ProduceCommands } from './produce-commands.ts';
import { defineMessage, type MessageDef } from './proto-message.ts';
import { txnCommandTable, type TxnCommands } from './txn-commands.ts';

/** Sub-commands other than the hot ones stay loosely typed. */
export interface BaseCommand extends ConnectionCommands, ProduceCommands, ConsumeCommands, LookupCommands, TxnCommands {
  type: number;
}

const entries: readonly CommandEntry[] = [
  ...connectionCommandTable,
  ...produceCommandTable,
  ...consumeCommandTable,
  ...lookupCommandTable,
  ...txnCommandTable,
];

export const BaseCommandDef: MessageDef = defineMessage('BaseCommand', [
  ['type', 1, 'enum'],
  ...entries.map(([name, no, def]) => [name, no, 'message', { msg: () => def }] as const),
]);
