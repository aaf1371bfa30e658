/** Messages as the application sees them, and what it hands to send(). */
import type { MessageId } from '../wire/index.ts';

export interface Message {
  /** Exact id (bigint ledger/entry, partition, batch index). */
  readonly id: MessageId;
  /** The topic (partition) the message was read from. */
  readonly topic: string;
  readonly key: string | undefined;
  readonly orderingKey: Buffer | undefined;
  readonly properties: Readonly<Record<string, string>>;
  readonly eventTimeMs: number | undefined;
  readonly publishTimeMs: number;
  readonly payload: Buffer;
  readonly redeliveryCount: number;
  readonly producerName: string;
  readonly sequenceId: number;
  /** True for a tombstone sent with `nullValue` (or an empty compaction delete). */
  readonly nullValue: boolean;
  readonly schemaVersion: Buffer | undefined;
}

export interface OutgoingMessage {
  payload: Buffer | Uint8Array | string;
  /** Partition key: routes to a partition, drives Key_Shared and compaction. */
  key?: string;
  /** Overrides the key for Key_Shared dispatch only. */
  orderingKey?: string | Buffer;
  properties?: Readonly<Record<string, string>>;
  eventTimeMs?: number;
  /** Explicit sequence id for broker de-duplication (non-batched sends). */
  sequenceId?: number;
  /** Deliver no earlier than this wall-clock time (Shared/Key_Shared subscriptions). */
  deliverAtMs?: number;
  /** Mark a tombstone (deletes `key` on a compacted topic). */
  nullValue?: boolean;
}

export function propertiesToList(p: Readonly<Record<string, string>> | undefined): { key: string; value: string }[] | undefined {
  if (p === undefined) return undefined;
  const keys = Object.keys(p);
  if (keys.length === 0) return undefined;
  return keys.map((key) => ({ key, value: String(p[key]) }));
}

export function listToProperties(l: readonly { key: string; value: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (l !== undefined) for (const kv of l) out[kv.key] = kv.value;
  return out;
}
