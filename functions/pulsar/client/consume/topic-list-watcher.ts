/**
 * A topic list watcher (PIP-145): the broker streams the namespace's topics matching a pattern
 * (created and deleted ones) as they change, instead of the client re-listing the namespace.
 *
 * The watcher keeps the broker's matching list as it knows it. On (re)creation it sends that
 * list's hash; the broker answers with its full list only when the hashes differ, which then
 * replaces ours (changes missed while disconnected). Each update carries the broker's hash of the
 * list after the change: a different hash here means an update was missed (`diverged`).
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry.ts';
import { CommandType, crc32c, type BaseCommand } from '../../wire/index.ts';
import { Backoff } from '../../../backoff.ts';
import type { Connection } from '../connection/connection.ts';
import type { TopicListWatcherHandler } from '../connection/connection-handlers.ts';
import type { ClientContext } from '../context.ts';
import { reconnectLoop } from '../connection/reconnect-loop.ts';

export type TopicListWatcherState = 'idle' | 'connecting' | 'watching' | 'unsupported' | 'closed';

export interface TopicListEvents {
  /** Topics (full names, partitions included) created and deleted since the known list. */
  changed(added: readonly string[], removed: readonly string[]): void;
  /** The broker's hash disagrees with the list built from its updates. */
  diverged(): void;
}

/**
 * The broker's topics_hash of a topic list: CRC32C over the sorted names joined by commas, as
 * the hex of its four bytes in little-endian order (how the Java broker prints the hash).
 */
export function topicsHash(topics: Iterable<string>): string {
  const crc = crc32c(Buffer.from([...topics].sort().join(','), 'utf8'));
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc >>> 0);
  return b.toString('hex');
}

function unsupported(reason: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.topicWatcherUnsupported, `the broker cannot watch topic lists: ${reason}`, {
    retriable: false,
  });
}

export class TopicListWatcher implements TopicListWatcherHandler {
  readonly #ctx: ClientContext;
  readonly #namespace: string;
  readonly #pattern: string;
  readonly #events: TopicListEvents;
  readonly #log: Logger;
  readonly #id: number;
  readonly #backoff: Backoff;
  #state: TopicListWatcherState = 'idle';
  #conn: Connection | undefined;
  #topics: Set<string>;
  #reconnecting = false;

  /** `pattern`: the regex over full topic names; `known`: the matching topics listed already. */
  constructor(ctx: ClientContext, namespace: string, pattern: string, known: Iterable<string>, events: TopicListEvents, log: Logger) {
    this.#ctx = ctx;
    this.#namespace = namespace;
    this.#pattern = pattern;
    this.#events = events;
    this.#log = log;
    this.#id = ctx.nextId();
    this.#backoff = new Backoff(ctx.initialBackoffMs, ctx.maxBackoffMs);
    this.#topics = new Set(known);
  }

  get state(): TopicListWatcherState {
    return this.#state;
  }

  /**
   * Create the watcher. Resolves false when this broker cannot watch (no support announced,
   * pattern evaluation disabled or the pattern too long): the caller keeps polling. A transient
   * failure resolves true and keeps trying in the background.
   */
  async start(): Promise<boolean> {
    if (this.#state !== 'idle') return this.#state !== 'unsupported';
    this.#state = 'connecting';
    try {
      await this.#watch();
    } catch (err) {
      if (this.#isUnsupported(err)) return false;
      this.#log.debug({ err: (err as Error).message }, 'topic list watcher not created yet');
      this.#reconnect();
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasWatching = this.#state === 'watching';
    this.#state = 'closed';
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.unregisterTopicListWatcher(this.#id);
    if (conn !== undefined && wasWatching && conn.state === 'ready') {
      const requestId = conn.newRequestId();
      await conn
        .request(
          { type: CommandType.WATCH_TOPIC_LIST_CLOSE, watchTopicListClose: { request_id: requestId, watcher_id: this.#id } },
          requestId,
          'close topic list watcher',
        )
        .catch(() => undefined);
    }
  }

  // --- TopicListWatcherHandler -------------------------------------------------------------------

  onTopicListUpdate(cmd: NonNullable<BaseCommand['watchTopicUpdate']>): void {
    if (this.#state !== 'watching') return;
    const added = (cmd.new_topics ?? []).filter((t) => !this.#topics.has(t));
    const removed = (cmd.deleted_topics ?? []).filter((t) => this.#topics.has(t));
    for (const t of added) this.#topics.add(t);
    for (const t of removed) this.#topics.delete(t);
    if (added.length > 0 || removed.length > 0) this.#events.changed(added, removed);
    if (cmd.topics_hash !== undefined && cmd.topics_hash !== topicsHash(this.#topics)) {
      this.#log.info({ broker: cmd.topics_hash }, 'topic list diverged from the broker');
      this.#events.diverged();
    }
  }

  onConnectionClosed(conn: Connection): void {
    if (conn !== this.#conn || this.#state === 'closed' || this.#state === 'unsupported') return;
    this.#conn = undefined;
    this.#state = 'connecting';
    this.#reconnect();
  }

  /** Replace the known list (e.g. after the owner re-listed the namespace). */
  resetKnown(topics: Iterable<string>): void {
    this.#topics = new Set(topics);
  }

  // --- internals ---------------------------------------------------------------------------------

  async #watch(): Promise<void> {
    const conn = await this.#ctx.lookup.serviceConnection();
    if (!conn.supportsTopicWatchers) throw unsupported('CONNECTED did not announce supports_topic_watchers');
    conn.registerTopicListWatcher(this.#id, this);
    this.#conn = conn;
    const requestId = conn.newRequestId();
    const sentHash = topicsHash(this.#topics);
    let resp: BaseCommand;
    try {
      resp = await conn.request(
        {
          type: CommandType.WATCH_TOPIC_LIST,
          watchTopicList: {
            request_id: requestId,
            watcher_id: this.#id,
            namespace: this.#namespace,
            topics_pattern: this.#pattern,
            topics_hash: sentHash,
          },
        },
        requestId,
        'watch topic list',
      );
    } catch (err) {
      conn.unregisterTopicListWatcher(this.#id);
      if (this.#conn === conn) this.#conn = undefined;
      throw err;
    }
    if (this.#state !== 'connecting') {
      // Closed meanwhile: the broker holds a watcher nobody wants.
      conn.unregisterTopicListWatcher(this.#id);
      const closeId = conn.newRequestId();
      void conn
        .request(
          { type: CommandType.WATCH_TOPIC_LIST_CLOSE, watchTopicListClose: { request_id: closeId, watcher_id: this.#id } },
          closeId,
          'close topic list watcher',
        )
        .catch(() => undefined);
      return;
    }
    this.#state = 'watching';
    this.#backoff.reset();
    const r = resp.watchTopicListSuccess;
    if (r?.topics_hash !== undefined && r.topics_hash !== sentHash) {
      // Changes happened while no watcher was in place: the broker sent its whole list.
      const now = new Set(r.topic ?? []);
      const added = [...now].filter((t) => !this.#topics.has(t));
      const removed = [...this.#topics].filter((t) => !now.has(t));
      this.#topics = now;
      if (added.length > 0 || removed.length > 0) this.#events.changed(added, removed);
    }
  }

  #isUnsupported(err: unknown): boolean {
    if (!(err instanceof BeamlineError) || err.retriable) return false;
    this.#state = 'unsupported';
    this.#log.info({ err: err.message }, 'topic list watcher unavailable; relying on periodic re-listing');
    return true;
  }

  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    void reconnectLoop({
      clock: this.#ctx.clock,
      backoff: this.#backoff,
      connecting: () => this.#state === 'connecting',
      attempt: () => this.#watch(),
      isFatal: (err) => this.#isUnsupported(err),
      fatal: () => undefined,
      reconnected: () => this.#log.debug({}, 'topic list watcher re-created'),
      failedAttempt: (err) => this.#log.debug({ err: (err as Error).message }, 'topic list watcher reconnect failed'),
    }).finally(() => (this.#reconnecting = false));
  }
}
