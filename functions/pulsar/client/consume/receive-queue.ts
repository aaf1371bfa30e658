/**
 * The receive queue of one consumer: messages from every partition in arrival order, and
 * receive() calls waiting (without polling) for the next one, each with an optional timeout.
 */
import type { Clock, TimerHandle } from '../../../clock.ts';
import { timeoutError } from '../../api/index.ts';
import type { Message } from '../../api/index.ts';

interface Waiter {
  resolve: (m: Message) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle | undefined;
}

interface Queued<S> {
  msg: Message;
  from: S;
}

/** `S` is the source of a message (a partition consumer), told when its message is taken. */
export class ReceiveQueue<S> {
  readonly #clock: Clock;
  readonly #taken: (msg: Message, from: S) => void;
  #queue: Queued<S>[] = [];
  /** Index of the next message (a queue without O(n) shifts). */
  #head = 0;
  #waiters: Waiter[] = [];
  /** whenNonEmpty() calls waiting for a message to be queued (they take nothing). */
  #watchers: Array<(queued: boolean) => void> = [];

  constructor(clock: Clock, taken: (msg: Message, from: S) => void) {
    this.#clock = clock;
    this.#taken = taken;
  }

  get size(): number {
    return this.#queue.length - this.#head;
  }

  push(msg: Message, from: S): void {
    const w = this.#waiters.shift();
    if (w !== undefined) {
      if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
      this.#taken(msg, from);
      w.resolve(msg);
      return;
    }
    this.#queue.push({ msg, from });
    for (const w of this.#watchers.splice(0)) w(true);
  }

  /**
   * True as soon as a message is queued (now or within `timeoutMs`), false after that long
   * without one. Takes nothing: the caller receives as usual.
   */
  whenNonEmpty(timeoutMs: number): Promise<boolean> {
    if (this.size > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#watchers = this.#watchers.filter((x) => x !== done);
        resolve(false);
      }, timeoutMs);
      const done = (queued: boolean): void => {
        this.#clock.clearTimeout(timer);
        resolve(queued);
      };
      this.#watchers.push(done);
    });
  }

  /** The next message now, or undefined when the queue is empty. */
  take(): Message | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const q = this.#queue[this.#head++] as Queued<S>;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#taken(q.msg, q.from);
    return q.msg;
  }

  /** The next message, waiting for one; rejects after `timeoutMs` when given. */
  receive(timeoutMs: number | undefined): Promise<Message> {
    const q = this.take();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = this.#clock.setTimeout(() => {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          reject(timeoutError('receive', timeoutMs));
        }, timeoutMs);
      }
      this.#waiters.push(w);
    });
  }

  /** Drop the queued messages of `from`; returns how many. */
  drop(from: S): number {
    let dropped = 0;
    const kept: Queued<S>[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const q = this.#queue[i] as Queued<S>;
      if (q.from === from) dropped++;
      else kept.push(q);
    }
    this.#queue = kept;
    this.#head = 0;
    return dropped;
  }

  /** Fail every waiting receive() with `err`. */
  rejectWaiters(err: unknown): void {
    for (const w of this.#watchers.splice(0)) w(false);
    for (const w of this.#waiters.splice(0)) {
      if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
