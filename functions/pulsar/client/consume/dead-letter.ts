/**
 * The client-side dead-letter topic: a message redelivered more than maxRedeliverCount times is
 * published there (with its origin in REAL_TOPIC/ORIGIN_MESSAGE_ID) instead of redelivered.
 * The producer is created on first use and re-created if creating it failed.
 */
import type { DeadLetterPolicy, ProducerOptions } from '../../api/index.ts';
import { parseTopicName } from '../../topic/index.ts';
import type { Message, OutgoingMessage } from '../../api/index.ts';

export interface DeadLetterProducer {
  send(m: OutgoingMessage): Promise<unknown>;
  close(): Promise<void>;
}

export class DeadLetter {
  readonly #policy: Readonly<Required<DeadLetterPolicy>>;
  readonly #subscription: string;
  readonly #create: (o: ProducerOptions) => Promise<DeadLetterProducer>;
  #producer: Promise<DeadLetterProducer> | undefined;

  constructor(
    policy: Readonly<Required<DeadLetterPolicy>>,
    subscription: string,
    create: (o: ProducerOptions) => Promise<DeadLetterProducer>,
  ) {
    this.#policy = policy;
    this.#subscription = subscription;
    this.#create = create;
  }

  /** True when `m` has been redelivered too often and belongs in the dead-letter topic. */
  exhausted(m: Message): boolean {
    return m.redeliveryCount >= this.#policy.maxRedeliverCount;
  }

  async send(m: Message): Promise<void> {
    if (this.#producer === undefined) {
      const topic =
        this.#policy.deadLetterTopic !== '' ? this.#policy.deadLetterTopic : `${parseTopicName(m.topic).base}-${this.#subscription}-DLQ`;
      this.#producer = this.#create({ topic, batching: false });
      this.#producer.catch(() => (this.#producer = undefined));
    }
    const producer = await this.#producer;
    const out: OutgoingMessage = {
      payload: m.payload,
      properties: { ...m.properties, REAL_TOPIC: m.topic, ORIGIN_MESSAGE_ID: m.id.toString() },
    };
    if (m.key !== undefined) out.key = m.key;
    if (m.eventTimeMs !== undefined) out.eventTimeMs = m.eventTimeMs;
    await producer.send(out);
  }

  async close(): Promise<void> {
    if (this.#producer !== undefined) await (await this.#producer.catch(() => undefined))?.close();
  }
}
