/**
 * Exponential backoff with jitter: the Pulsar client's reconnects and retries, and the worker's
 * state re-reads (one shared file, house style: the small shared files at functions/ top level).
 * `spreadMs` adds a random 0..spreadMs to the
 * first delay after each reset: the producers and consumers of topics a broker closed at the same
 * moment then reopen them apart (see ClientOptions.reconnectSpreadMs for why that matters).
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #spreadMs: number;
  #next: number;
  #first = true;

  constructor(initialMs: number, maxMs: number, spreadMs = 0) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#spreadMs = spreadMs;
    this.#next = initialMs;
  }

  next(): number {
    const base = this.#next;
    this.#next = Math.min(this.#maxMs, this.#next * 2);
    const spread = this.#first ? Math.random() * this.#spreadMs : 0;
    this.#first = false;
    // +-10% jitter so many clients do not reconnect in lockstep.
    return Math.round(base * (0.9 + Math.random() * 0.2) + spread);
  }

  reset(): void {
    this.#next = this.#initialMs;
    this.#first = true;
  }
}
