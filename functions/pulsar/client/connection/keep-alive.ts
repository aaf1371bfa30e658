/**
 * Keep-alive of one connection: PING after an interval without traffic, close after a second
 * silent interval with the PING unanswered.
 */
import type { Clock, TimerHandle } from '../../../clock.ts';

export interface KeepAliveHooks {
  ping(): void;
  timedOut(): void;
}

export class KeepAlive {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #hooks: KeepAliveHooks;
  #timer: TimerHandle | undefined;
  #lastReceivedAt: number;
  #pingOutstanding = false;
  #stopped = false;

  constructor(clock: Clock, intervalMs: number, hooks: KeepAliveHooks) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#hooks = hooks;
    this.#lastReceivedAt = clock.monotonic();
  }

  /** Any bytes from the broker prove it alive. */
  received(): void {
    this.#lastReceivedAt = this.#clock.monotonic();
    this.#pingOutstanding = false;
  }

  start(): void {
    const interval = this.#intervalMs;
    if (interval <= 0 || this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      const idle = this.#clock.monotonic() - this.#lastReceivedAt;
      if (this.#pingOutstanding && idle >= interval) {
        this.#hooks.timedOut();
        return;
      }
      if (idle >= interval) {
        this.#pingOutstanding = true;
        this.#hooks.ping();
      }
      this.start();
    }, interval);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
