/**
 * What both client implementations expose of a table view (the native addon has none: its
 * createTableView() rejects with BL_PULSAR_UNSUPPORTED_FEATURE). Our own client's TableView
 * (functions/pulsar/client) implements it.
 */
import type { Message } from './message.ts';

export interface TableViewOptions {
  topic: string;
  /** Replay also ends after this long without a message (compaction may remove the target). @default 5000 */
  replayIdleMs?: number;
  /** @default 1000 */
  receiverQueueSize?: number;
}

export interface TableChange {
  key: string;
  /** undefined when the key was deleted. */
  value: Buffer | undefined;
  message: Message;
}

export type TableViewState = 'replaying' | 'live' | 'closed';

export interface TableViewApi {
  readonly topic: string;
  readonly state: TableViewState;
  readonly size: number;
  get(key: string): Buffer | undefined;
  has(key: string): boolean;
  entries(): IterableIterator<[string, Buffer]>;
  keys(): IterableIterator<string>;
  on(event: 'change', listener: (c: TableChange) => void): () => void;
  close(): Promise<void>;
}
