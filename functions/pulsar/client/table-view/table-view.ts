/**
 * A key -> value view of a compacted topic. It replays from the earliest message with
 * read_compacted until it reaches the last message id taken at start (GET_LAST_MESSAGE_ID), then
 * follows the tail. An empty payload (or null_value) deletes the key; keyless messages are ignored.
 *
 * "Caught up" is decided by the id taken at start, not hasMessageAvailable, because compaction
 * and trailing tombstones break that check (apache/pulsar#16395, #21969). If compaction removed
 * the target message itself, replay also ends after `replayIdleMs` without new messages.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import { BeamlineError } from '../../../errors.ts';
import type { MessageId } from '../../wire/index.ts';
import type { Consumer, ConsumerDeps } from '../consume/consumer.ts';
import { Consumer as ConsumerImpl } from '../consume/consumer.ts';
import type { ClientContext } from '../context.ts';
import {
  compileReaderOptions,
  type Message,
  type TableChange,
  type TableViewApi,
  type TableViewOptions,
  type TableViewState,
} from '../../api/index.ts';

export type { TableChange, TableViewOptions, TableViewState } from '../../api/index.ts';

export class TableView implements TableViewApi {
  readonly topic: string;
  readonly #consumer: Consumer;
  readonly #log: Logger;
  readonly #data = new Map<string, Buffer>();
  readonly #listeners = new Set<(c: TableChange) => void>();
  #state: TableViewState = 'replaying';
  #loop: Promise<void> | undefined;
  /** The last message applied, per partition (refresh() compares it with the topic's last). */
  readonly #applied = new Map<number, MessageId>();
  readonly #waiters = new Set<{ pending: Map<number, MessageId>; done: () => void }>();

  private constructor(ctx: ClientContext, topic: string, consumer: Consumer) {
    this.topic = topic;
    this.#consumer = consumer;
    this.#log = ctx.logger.child({ component: 'pulsar-table-view', topic });
  }

  static async create(ctx: ClientContext, options: TableViewOptions, deps: ConsumerDeps): Promise<TableView> {
    const cfg = compileReaderOptions({
      topic: options.topic,
      startMessageId: 'earliest',
      readCompacted: true,
      receiverQueueSize: options.receiverQueueSize,
    });
    const consumer = await ConsumerImpl.create(ctx, cfg, deps);
    const tv = new TableView(ctx, options.topic, consumer);
    try {
      await tv.#replay(options.replayIdleMs ?? 5000);
    } catch (err) {
      await consumer.close();
      throw err;
    }
    tv.#state = 'live';
    tv.#loop = tv.#follow();
    return tv;
  }

  get state(): TableViewState {
    return this.#state;
  }

  get size(): number {
    return this.#data.size;
  }

  get(key: string): Buffer | undefined {
    return this.#data.get(key);
  }

  has(key: string): boolean {
    return this.#data.has(key);
  }

  entries(): IterableIterator<[string, Buffer]> {
    return this.#data.entries();
  }

  keys(): IterableIterator<string> {
    return this.#data.keys();
  }

  on(event: 'change', listener: (c: TableChange) => void): () => void {
    if (event !== 'change') throw new BeamlineError(PULSAR_ERROR_CODES.unknownEvent, 'TableView only emits change', { details: { event } });
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Catches up with every message written before the call (the topic's last message ids, as at
   * start): true once the view holds them, false when `timeoutMs` passed first (for example when
   * compaction removed the last message itself, a trailing tombstone). Java's TableView has the
   * same (refreshAsync).
   */
  async refresh(timeoutMs = 5000): Promise<boolean> {
    if (this.#state === 'closed') return false;
    const targets = await this.#consumer.getLastMessageIds();
    const pending = new Map<number, MessageId>();
    for (const t of targets) {
      const at = this.#applied.get(t.partition);
      if (t.entryId >= 0n && (at === undefined || !reached(at, t))) pending.set(t.partition, t);
    }
    if (pending.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    let waiter: { pending: Map<number, MessageId>; done: () => void } | undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        waiter = { pending, done: () => resolve(true) };
        this.#waiters.add(waiter);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (waiter !== undefined) this.#waiters.delete(waiter);
    }
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#consumer.close();
    await this.#loop;
  }

  #apply(m: Message): void {
    this.#applied.set(m.id.partition, m.id);
    for (const w of this.#waiters) {
      const t = w.pending.get(m.id.partition);
      if (t !== undefined && reached(m.id, t)) w.pending.delete(m.id.partition);
      if (w.pending.size === 0) w.done();
    }
    if (m.key === undefined) return;
    const deleted = m.nullValue || m.payload.length === 0;
    if (deleted) this.#data.delete(m.key);
    else this.#data.set(m.key, m.payload);
    const change: TableChange = { key: m.key, value: deleted ? undefined : m.payload, message: m };
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'change listener threw');
      }
    }
  }

  async #replay(idleMs: number): Promise<void> {
    const targets = await this.#consumer.getLastMessageIds();
    const pending = new Map<number, MessageId>();
    for (const t of targets) if (t.entryId >= 0n) pending.set(t.partition, t);
    while (pending.size > 0) {
      let m: Message;
      try {
        m = await this.#consumer.receive(idleMs);
      } catch (err) {
        if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.timeout) {
          this.#log.info({ remaining: pending.size }, 'replay idle: treating the view as caught up');
          return;
        }
        throw err;
      }
      this.#apply(m);
      const t = pending.get(m.id.partition);
      if (t !== undefined && reached(m.id, t)) pending.delete(m.id.partition);
    }
  }

  async #follow(): Promise<void> {
    try {
      for await (const m of this.#consumer) this.#apply(m);
    } catch (err) {
      if (this.#state !== 'closed') this.#log.error({ err: (err as Error).message }, 'table view stopped');
    }
  }
}

function reached(id: MessageId, target: MessageId): boolean {
  if (id.ledgerId !== target.ledgerId) return id.ledgerId > target.ledgerId;
  if (id.entryId !== target.entryId) return id.entryId > target.entryId;
  if (target.batchIndex >= 0 && id.batchIndex >= 0) return id.batchIndex >= target.batchIndex;
  // Same entry without a target batch index: done at the entry's last message.
  return id.batchIndex < 0 || id.batchSize === 0 || id.batchIndex >= id.batchSize - 1;
}
