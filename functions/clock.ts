/**
 * Time is injected everywhere: production code takes a `Clock`, tests pass a `FakeClock` and
 * advance it instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch (wall clock, for event and publish times). */
  now(): number;
  /** Monotonic milliseconds (for timeouts and latency). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms`; with a FakeClock, when the clock is advanced past it. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface TimerHandle {
  readonly id: number;
}

interface RealHandle extends TimerHandle {
  timer: NodeJS.Timeout;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    // Timers never keep the process alive on their own: long-lived objects hold it open.
    timer.unref();
    const handle: RealHandle = { id: nextId++, timer };
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout((handle as RealHandle).timer);
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that moves only when told. `advance()` runs due timers in time order. */
export class FakeClock implements Clock {
  #wall: number;
  #mono = 0;
  #timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#wall = startMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: nextId++, at: this.#mono + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const h = this.setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          this.clearTimeout(h);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Move time forward, firing due timers in order; microtasks run between timers. */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#wall += next.at - this.#mono;
      this.#mono = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.#wall += target - this.#mono;
    this.#mono = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
