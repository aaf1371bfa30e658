/** Our ProducerApi over the addon's producer. */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import type { MessageId } from '../wire/index.ts';
import { unsupportedFeatureError, type OutgoingMessage, type ProducerApi, type TransactionApi } from '../api/index.ts';
import { fromNativeError } from './native-errors.ts';
import { toNativeMessage, type NativeIds } from './native-message.ts';
import type { NativeProducer } from './native-module.ts';

export type NativeProducerState = 'open' | 'closing' | 'closed';

export class NativeProducerAdapter implements ProducerApi {
  readonly topic: string;
  readonly #p: NativeProducer;
  readonly #ids: NativeIds;
  readonly #onClose: () => void;
  #state: NativeProducerState = 'open';
  #closing: Promise<void> | undefined;

  constructor(p: NativeProducer, topic: string, ids: NativeIds, onClose: () => void) {
    this.#p = p;
    this.topic = topic;
    this.#ids = ids;
    this.#onClose = onClose;
  }

  get state(): NativeProducerState {
    return this.#state;
  }

  async send(m: OutgoingMessage | Buffer | string, options?: { txn?: TransactionApi }): Promise<MessageId> {
    if (options?.txn !== undefined) {
      throw unsupportedFeatureError('native', 'transactions (send with { txn })', "use implementation: 'beamline'");
    }
    const msg = toNativeMessage(m);
    try {
      return this.#ids.fromNativeId(await this.#p.send(msg));
    } catch (err) {
      throw fromNativeError(err, 'send');
    }
  }

  async flush(): Promise<void> {
    try {
      await this.#p.flush();
    } catch (err) {
      throw fromNativeError(err, 'flush');
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      try {
        await this.#p.close();
      } catch (err) {
        const e = fromNativeError(err, 'close producer');
        if (e.code !== PULSAR_ERROR_CODES.alreadyClosed) throw e;
      } finally {
        this.#state = 'closed';
        this.#onClose();
      }
    })();
    return this.#closing;
  }
}
