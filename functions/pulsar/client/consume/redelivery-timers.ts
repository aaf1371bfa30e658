/**
 * The two client-side reasons to ask for a redelivery: a negative ack (after its delay) and an
 * ack timeout (delivered but not acked in time). Each hands due messages to one callback.
 */
import type { TimerHandle } from '../../../clock.ts';
import type { ClientContext } from '../context.ts';
import type { DeadlineEntry } from '../connection/deadline-ticker.ts';
import type { Message } from '../../api/index.ts';

type Due = (msgs: Message[]) => void;

/** Negative acks waiting for their redelivery time, keyed by message id string. */
export class NackTracker {
  readonly #ctx: ClientContext;
  readonly #delayMs: number;
  readonly #due: Due;
  readonly #nacked = new Map<string, { msg: Message; at: number }>();
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  constructor(ctx: ClientContext, delayMs: number, due: Due) {
    this.#ctx = ctx;
    this.#delayMs = delayMs;
    this.#due = due;
  }

  add(m: Message): void {
    const at = this.#ctx.clock.monotonic() + this.#delayMs;
    this.#nacked.set(m.id.toString(), { msg: m, at });
    if (at < this.#timerAt) this.#arm(at);
  }

  /** The message was acked after all. */
  delete(key: string): void {
    this.#nacked.delete(key);
  }

  /** As delete(), building no key when nothing is tracked (every ack calls it). */
  forget(id: Message['id']): void {
    if (this.#nacked.size > 0) this.#nacked.delete(id.toString());
  }

  stop(): void {
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(at: number): void {
    const clock = this.#ctx.clock;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        const now = clock.monotonic();
        const due: Message[] = [];
        let next = Infinity;
        for (const [k, v] of this.#nacked) {
          if (v.at <= now) {
            due.push(v.msg);
            this.#nacked.delete(k);
          } else if (v.at < next) next = v.at;
        }
        if (next !== Infinity) this.#arm(next);
        this.#due(due);
      },
      Math.max(0, at - clock.monotonic()),
    );
  }
}

/** Delivered but unacknowledged messages, redelivered once `timeoutMs` passes without an ack. */
export class AckTimeoutTracker {
  readonly #ctx: ClientContext;
  readonly #timeoutMs: number;
  readonly #due: Due;
  /** Keep checking while this holds (the consumer is open). */
  readonly #active: () => boolean;
  readonly #unacked = new Map<string, { msg: Message; at: number }>();
  #entry: DeadlineEntry | undefined;

  constructor(ctx: ClientContext, timeoutMs: number, active: () => boolean, due: Due) {
    this.#ctx = ctx;
    this.#timeoutMs = timeoutMs;
    this.#active = active;
    this.#due = due;
  }

  get enabled(): boolean {
    return this.#timeoutMs > 0;
  }

  delivered(m: Message): void {
    if (this.#timeoutMs <= 0) return;
    this.#unacked.set(m.id.toString(), { msg: m, at: this.#ctx.clock.monotonic() + this.#timeoutMs });
    if (this.#entry === undefined) this.#arm();
  }

  delete(key: string): void {
    this.#unacked.delete(key);
  }

  /** As delete(), building no key when nothing is tracked (every ack calls it). */
  forget(id: Message['id']): void {
    if (this.#unacked.size > 0) this.#unacked.delete(id.toString());
  }

  /** Forget every tracked message of `topic` up to and including `upTo` (a cumulative ack). */
  deleteUpTo(topic: string, upTo: Message['id']): void {
    for (const [k, v] of this.#unacked) if (v.msg.topic === topic && v.msg.id.compareTo(upTo) <= 0) this.#unacked.delete(k);
  }

  stop(): void {
    this.#ctx.ticker.cancel(this.#entry);
    this.#entry = undefined;
  }

  #arm(): void {
    const tick = Math.max(10, Math.min(this.#timeoutMs, 1000));
    this.#entry = this.#ctx.ticker.add(tick, () => {
      this.#entry = undefined;
      const now = this.#ctx.clock.monotonic();
      const due: Message[] = [];
      for (const [k, v] of this.#unacked) {
        if (v.at <= now) {
          due.push(v.msg);
          this.#unacked.delete(k);
        }
      }
      if (due.length > 0) this.#due(due);
      if (this.#unacked.size > 0 && this.#active()) this.#arm();
    });
  }
}
