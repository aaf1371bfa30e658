/** Exponential backoff with jitter for reconnects. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #next: number;

  constructor(initialMs: number, maxMs: number) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#next = initialMs;
  }

  next(): number {
    const base = this.#next;
    this.#next = Math.min(this.#maxMs, this.#next * 2);
    // +-10% jitter so many clients do not reconnect in lockstep.
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  reset(): void {
    this.#next = this.#initialMs;
  }
}
