/**
 * A reader: a non-durable, exclusive subscription that starts at earliest, latest, an exact id
 * or a publish time, and never acknowledges.
 */
import { ConfigError } from '../../../errors.ts';
import { MessageId } from '../../wire/index.ts';
import { Consumer, type ConsumerDeps } from './consumer.ts';
import type { ClientContext } from '../context.ts';
import type { Message } from '../../api/index.ts';
import { compileReaderOptions, type ReaderOptions } from '../../api/index.ts';
import { parseTopicName } from '../../topic/index.ts';

export class Reader implements AsyncIterable<Message> {
  readonly topic: string;
  readonly #consumer: Consumer;

  private constructor(topic: string, consumer: Consumer) {
    this.topic = topic;
    this.#consumer = consumer;
  }

  static async create(ctx: ClientContext, options: ReaderOptions, deps: ConsumerDeps): Promise<Reader> {
    const cfg = compileReaderOptions(options);
    await refuseExactIdOnPartitioned(ctx, options.topic, cfg.startMessageId);
    const consumer = await Consumer.create(ctx, cfg, deps);
    if (cfg.startPublishTimeMs !== undefined) {
      try {
        await consumer.seek(cfg.startPublishTimeMs);
      } catch (err) {
        await consumer.close();
        throw err;
      }
    }
    return new Reader(options.topic, consumer);
  }

  readNext(timeoutMs?: number): Promise<Message> {
    return this.#consumer.receive(timeoutMs);
  }

  hasMessageAvailable(): Promise<boolean> {
    return this.#consumer.hasMessageAvailable();
  }

  /** Messages received and not yet taken: readNext() returns one of them at once. */
  get queued(): number {
    return this.#consumer.queued;
  }

  /** Last message id per partition on the broker. */
  getLastMessageIds(): Promise<MessageId[]> {
    return this.#consumer.getLastMessageIds();
  }

  /** Move to an exact id (inclusive) or the first message published at or after a time. */
  seek(target: MessageId | number): Promise<void> {
    return this.#consumer.seek(target);
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.#consumer[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    return this.#consumer.close();
  }
}

/**
 * An exact id is a position in ONE partition's ledger; applied to every partition it would start
 * the others at an unrelated position. Say so instead of reading from somewhere arbitrary.
 */
async function refuseExactIdOnPartitioned(ctx: ClientContext, topic: string, start: MessageId | undefined): Promise<void> {
  if (start === undefined || start.equals(MessageId.earliest) || start.equals(MessageId.latest)) return;
  const full = parseTopicName(topic).full;
  const n = await ctx.lookup.partitions(full);
  if (n === 0) return;
  const partition = start.partition >= 0 ? String(start.partition) : '<n>';
  throw new ConfigError(
    'startMessageId',
    start.toString(),
    `${full} has ${n} partitions and a message id is a position in one of them: read ${full}-partition-${partition} from that id, or start the whole topic at 'earliest', 'latest' or startPublishTimeMs`,
  );
}
