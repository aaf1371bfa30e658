/**
 * All deadlines of one client (request timeouts, send timeouts, ack timeouts) share ONE clock
 * timer, armed only while something is waiting and re-armed for the earliest deadline. A burst
 * of 10,000 requests therefore costs map entries, not 10,000 timers left running.
 */
import type { Clock, TimerHandle } from '../../../clock.ts';

export interface DeadlineEntry {
  readonly deadline: number;
  readonly fire: () => void;
}

export class DeadlineTicker {
  readonly #clock: Clock;
  /** Coalesce deadlines closer together than this into one wake-up. */
  readonly #resolutionMs: number;
  readonly #entries = new Set<DeadlineEntry>();
  #timer: TimerHandle | undefined;
  #armedFor = Infinity;

  constructor(clock: Clock, resolutionMs = 50) {
    this.#clock = clock;
    this.#resolutionMs = resolutionMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Call `fire` once `delayMs` have passed, unless cancelled first. */
  add(delayMs: number, fire: () => void): DeadlineEntry {
    const entry: DeadlineEntry = { deadline: this.#clock.monotonic() + delayMs, fire };
    this.#entries.add(entry);
    if (entry.deadline + this.#resolutionMs < this.#armedFor) this.#arm(entry.deadline);
    return entry;
  }

  cancel(entry: DeadlineEntry | undefined): void {
    if (entry === undefined) return;
    this.#entries.delete(entry);
    if (this.#entries.size === 0) this.#disarm();
  }

  close(): void {
    this.#entries.clear();
    this.#disarm();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(at: number): void {
    this.#disarm();
    this.#armedFor = at;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(0, at - this.#clock.monotonic()));
  }

  #tick(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.#clock.monotonic();
    let next = Infinity;
    const due: DeadlineEntry[] = [];
    for (const e of this.#entries) {
      if (e.deadline <= now) due.push(e);
      else if (e.deadline < next) next = e.deadline;
    }
    for (const e of due) this.#entries.delete(e);
    if (next !== Infinity) this.#arm(next);
    for (const e of due) e.fire();
  }
}
