/**
 * A reader: a non-durable, exclusive subscription that starts at earliest, latest, an exact id
 * or a publish time, and never acknowledges.
 */
import type { MessageId } from '../wire/index.ts';
import { Consumer, type ConsumerDeps } from './consumer.ts';
import type { ClientContext } from './context.ts';
import type { Message } from './message.ts';
import { compileReaderOptions, type ReaderOptions } from './options.ts';

export class Reader implements AsyncIterable<Message> {
  readonly topic: string;
  readonly #consumer: Consumer;

  private constructor(topic: string, consumer: Consumer) {
    this.topic = topic;
    this.#consumer = consumer;
  }

  static async create(ctx: ClientContext, options: ReaderOptions, deps: ConsumerDeps): Promise<Reader> {
    const cfg = compileReaderOptions(options);
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
