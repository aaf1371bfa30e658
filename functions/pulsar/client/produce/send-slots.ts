/**
 * The bounded pending queue of one producer (maxPendingMessages): a send takes a slot, a receipt
 * or failure frees it, and senders waiting for room get freed slots in FIFO order, one each,
 * counted on hand-over: waking every waiter to re-check (and shifting a long array) made 50k
 * outstanding sends quadratic.
 */
const noop = (): void => undefined;

export class SendSlots {
  readonly #max: number;
  #used = 0;
  #waiters: (() => void)[] = [];
  /** Index of the first waiter still waiting (a queue without O(n) shifts). */
  #head = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  /** Take a slot, waiting in line when none is free or others already wait (keeps send order). */
  acquire(): Promise<void> | undefined {
    if (this.#used >= this.#max || this.#head < this.#waiters.length) {
      return new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#used++;
    return undefined;
  }

  /** Slots taken beyond one send (the extra chunks of a chunked message). */
  takeExtra(n: number): void {
    this.#used += n;
  }

  release(n: number): void {
    this.#used -= n;
    const ws = this.#waiters;
    while (this.#head < ws.length && this.#used < this.#max) {
      const wake = ws[this.#head] as () => void;
      ws[this.#head] = noop;
      this.#head++;
      this.#used++;
      wake();
    }
    if (this.#head === ws.length) {
      this.#waiters = [];
      this.#head = 0;
    } else if (this.#head > 4096) {
      this.#waiters = ws.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Wake every waiter (the producer is closing; they find it shut and fail). */
  wakeAll(): void {
    const ws = this.#waiters.slice(this.#head);
    this.#waiters = [];
    this.#head = 0;
    for (const w of ws) w();
  }
}
