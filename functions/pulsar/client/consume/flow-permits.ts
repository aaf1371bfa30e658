/**
 * FLOW permits of one consumer, counted per message the application takes (a batch of N uses N)
 * and handed back to the broker at half the receive queue, so an idle consumer never polls.
 */
export class FlowPermits {
  readonly #queueSize: number;
  #permits = 0;
  #paused = false;

  constructor(receiverQueueSize: number) {
    this.#queueSize = receiverQueueSize;
  }

  add(n: number): void {
    this.#permits += n;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /** Permits to send now (0: nothing yet). `force` sends any, e.g. on resume. */
  due(force: boolean): number {
    if (this.#paused) return 0;
    const threshold = Math.max(1, Math.floor(this.#queueSize / 2));
    if (this.#permits < threshold && !(force && this.#permits > 0)) return 0;
    const n = this.#permits;
    this.#permits = 0;
    return n;
  }

  /** Permits for a fresh subscription: the whole queue, held back while paused until resume. */
  subscribed(): number {
    if (this.#paused) {
      this.#permits = this.#queueSize;
      return 0;
    }
    this.#permits = 0;
    return this.#queueSize;
  }
}
