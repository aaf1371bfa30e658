/**
 * Our ConsumerApi over the addon's consumer. pause()/resume() are emulated (the addon has no
 * flow control of its own): receive() waits while paused, so prefetched messages stay queued
 * in the addon rather than reaching the application.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import type { Logger } from '../../telemetry.ts';
import { MessageId } from '../wire/index.ts';
import {
  alreadyClosedError,
  cumulativeAckNotAllowedError,
  receiveUntilClosed,
  unsupportedFeatureError,
  type ConsumerApi,
  type Message,
  type SubscriptionType,
  type TransactionApi,
} from '../api/index.ts';
import { fromNativeError } from './native-errors.ts';
import type { NativeIds } from './native-message.ts';
import type { NativeConsumer } from './native-module.ts';
import { ReceiveGate } from './receive-gate.ts';

export type NativeConsumerState = 'ready' | 'closing' | 'closed';

export class NativeConsumerAdapter implements ConsumerApi {
  readonly #c: NativeConsumer;
  readonly #ids: NativeIds;
  readonly #type: SubscriptionType;
  readonly #logger: Logger;
  readonly #onClose: () => void;
  readonly #gate = new ReceiveGate();
  #state: NativeConsumerState = 'ready';
  #closing: Promise<void> | undefined;

  constructor(c: NativeConsumer, ids: NativeIds, type: SubscriptionType, logger: Logger, onClose: () => void) {
    this.#c = c;
    this.#ids = ids;
    this.#type = type;
    this.#logger = logger;
    this.#onClose = onClose;
  }

  get state(): NativeConsumerState {
    return this.#state;
  }

  receive(timeoutMs?: number): Promise<Message> {
    return this.#gate.run(async () => {
      try {
        return this.#ids.fromNative(await this.#c.receive(timeoutMs));
      } catch (err) {
        throw fromNativeError(err, 'receive');
      }
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return receiveUntilClosed(() => this.receive());
  }

  ack(m: Message | MessageId): void;
  ack(m: Message | MessageId, options: { txn?: TransactionApi; receipt?: boolean }): Promise<void>;
  ack(m: Message | MessageId, options?: { txn?: TransactionApi; receipt?: boolean }): void | Promise<void> {
    if (options?.txn !== undefined) {
      return Promise.reject(unsupportedFeatureError('native', 'transactions (ack with { txn })', "use implementation: 'beamline'"));
    }
    // The addon resolves acknowledge() when the ack is queued, not when the broker confirmed it.
    if (options?.receipt === true) {
      return Promise.reject(
        unsupportedFeatureError('native', 'ack receipts (ack with { receipt: true })', "use implementation: 'beamline'"),
      );
    }
    const orig = this.#ids.original(m);
    const done = (orig !== undefined ? this.#c.acknowledge(orig) : this.#c.acknowledgeId(this.#ids.toNativeId(idOf(m)))).then(
      () => undefined,
      (err: unknown) => {
        throw fromNativeError(err, 'ack');
      },
    );
    if (options !== undefined) return done;
    done.catch((err: unknown) => this.#logger.warn({ err, id: idOf(m).toString() }, 'native ack failed'));
  }

  ackCumulative(m: Message | MessageId): void {
    if (this.#type === 'Shared' || this.#type === 'Key_Shared') {
      throw cumulativeAckNotAllowedError(this.#type);
    }
    const orig = this.#ids.original(m);
    const done = orig !== undefined ? this.#c.acknowledgeCumulative(orig) : this.#c.acknowledgeCumulativeId(this.#ids.toNativeId(idOf(m)));
    done.catch((err: unknown) =>
      this.#logger.warn({ err: fromNativeError(err, 'ack cumulative'), id: idOf(m).toString() }, 'native cumulative ack failed'),
    );
  }

  nack(m: Message): void {
    const orig = this.#ids.original(m);
    if (orig !== undefined) this.#c.negativeAcknowledge(orig);
    else this.#c.negativeAcknowledgeId(this.#ids.toNativeId(m.id));
  }

  pause(): void {
    this.#gate.pause();
  }

  resume(): void {
    this.#gate.resume();
  }

  async seek(target: MessageId | number): Promise<void> {
    try {
      if (typeof target === 'number') await this.#c.seekTimestamp(target);
      else await this.#c.seek(this.#ids.toNativeId(target));
    } catch (err) {
      throw fromNativeError(err, 'seek');
    }
  }

  hasMessageAvailable(): Promise<boolean> {
    return Promise.reject(
      unsupportedFeatureError(
        'native',
        'consumer.hasMessageAvailable()',
        "use a reader's hasMessageAvailable(), or implementation: 'beamline'",
      ),
    );
  }

  getLastMessageIds(): Promise<MessageId[]> {
    return Promise.reject(unsupportedFeatureError('native', 'getLastMessageIds()', "use implementation: 'beamline'"));
  }

  async unsubscribe(): Promise<void> {
    if (this.#state !== 'ready') throw alreadyClosedError('consumer');
    try {
      await this.#c.unsubscribe();
    } catch (err) {
      throw fromNativeError(err, 'unsubscribe');
    }
    await this.close();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      this.#gate.close();
      try {
        await this.#c.close();
      } catch (err) {
        const e = fromNativeError(err, 'close consumer');
        if (e.code !== PULSAR_ERROR_CODES.alreadyClosed) throw e;
      } finally {
        this.#state = 'closed';
        this.#onClose();
      }
    })();
    return this.#closing;
  }
}

function idOf(m: Message | MessageId): MessageId {
  return m instanceof MessageId ? m : m.id;
}
