/** Our ReaderApi over the addon's reader. */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import type { MessageId } from '../wire/index.ts';
import { receiveUntilClosed, type Message, type ReaderApi } from '../api/index.ts';
import { fromNativeError } from './native-errors.ts';
import type { NativeIds } from './native-message.ts';
import type { NativeReader } from './native-module.ts';
import { ReceiveGate } from './receive-gate.ts';

export class NativeReaderAdapter implements ReaderApi {
  readonly topic: string;
  readonly #r: NativeReader;
  readonly #ids: NativeIds;
  readonly #onClose: () => void;
  readonly #gate = new ReceiveGate();
  #closing: Promise<void> | undefined;

  constructor(r: NativeReader, topic: string, ids: NativeIds, onClose: () => void) {
    this.#r = r;
    this.topic = topic;
    this.#ids = ids;
    this.#onClose = onClose;
  }

  readNext(timeoutMs?: number): Promise<Message> {
    return this.#gate.run(async () => {
      try {
        return this.#ids.fromNative(await this.#r.readNext(timeoutMs));
      } catch (err) {
        throw fromNativeError(err, 'readNext');
      }
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return receiveUntilClosed(() => this.readNext());
  }

  /** The addon answers synchronously (a blocking C++ call); wrapped to match the interface. */
  async hasMessageAvailable(): Promise<boolean> {
    try {
      return this.#r.hasNext();
    } catch (err) {
      throw fromNativeError(err, 'hasMessageAvailable');
    }
  }

  async seek(target: MessageId | number): Promise<void> {
    try {
      if (typeof target === 'number') await this.#r.seekTimestamp(target);
      else await this.#r.seek(this.#ids.toNativeId(target));
    } catch (err) {
      throw fromNativeError(err, 'seek');
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#gate.close();
      try {
        await this.#r.close();
      } catch (err) {
        const e = fromNativeError(err, 'close reader');
        if (e.code !== PULSAR_ERROR_CODES.alreadyClosed) throw e;
      } finally {
        this.#onClose();
      }
    })();
    return this.#closing;
  }
}
