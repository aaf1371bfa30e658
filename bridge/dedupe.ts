/**
 * The sink's de-duplication contract (#24), for whoever subscribes to the Pub/Sub topic.
 *
 * Why not exactly once: Pub/Sub's publish has no idempotency key (the server gives every accepted
 * publish a new message id), and its "exactly-once delivery" is a subscription setting about acks
 * and redeliveries of one message id, so a second publish of the same Pulsar message is, to
 * Pub/Sub, a new message. The sink therefore acks in Pulsar only after Pub/Sub accepted (no loss),
 * and a crash between the two publishes that message again (at least once).
 *
 * The contract: every publish carries `beamline.idempotency_key` = `<Pulsar topic>/<message id>`.
 * It is the same on every copy of a message (with the same data and ordering key), different
 * for different messages (a Pulsar message id is unique within its topic partition), and copies
 * of a key arrive in order per ordering key (a crash replays a tail; it never skips). A
 * subscriber that handles each key once therefore handles every message exactly once, in order.
 * `PubsubDeduplicator` is that subscriber-side filter, bounded in memory.
 */
import { ConfigError } from '../functions/index.ts';
import { RecentIds } from './recent-ids.ts';

export const IDEMPOTENCY_KEY_ATTRIBUTE = 'beamline.idempotency_key';

/** The idempotency key of a Pulsar message: its topic (partition) and its message id. */
export function idempotencyKey(topic: string, messageId: string): string {
  return `${topic}/${messageId}`;
}

export interface PubsubDeduplicatorOptions {
  /**
   * Keys remembered (oldest forgotten first). A copy arrives at most the sink's in-flight window
   * (maxInFlight, default 1000) plus one Pulsar redelivery batch after the first, so a few times
   * that is plenty. @default 100000
   */
  maxKeys?: number;
}

export class PubsubDeduplicator {
  readonly #seen: RecentIds;
  #duplicates = 0;
  #unkeyed = 0;

  constructor(options: PubsubDeduplicatorOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new ConfigError('maxKeys', maxKeys, 'use a whole number of keys to remember, at least 1 (default 100000)');
    this.#seen = new RecentIds(maxKeys);
  }

  /**
   * True the first time a key is offered (handle the message), false for a copy (ack it and skip).
   * A message without the attribute did not come through the sink: it is always new.
   */
  first(attributes: Readonly<Record<string, string>>): boolean {
    const key = attributes[IDEMPOTENCY_KEY_ATTRIBUTE];
    if (key === undefined || key === '') {
      this.#unkeyed++;
      return true;
    }
    if (this.#seen.has(key)) {
      this.#duplicates++;
      return false;
    }
    this.#seen.add(key);
    return true;
  }

  get stats(): { duplicates: number; unkeyed: number; remembered: number } {
    return { duplicates: this.#duplicates, unkeyed: this.#unkeyed, remembered: this.#seen.size };
  }
}
