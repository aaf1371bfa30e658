/**
 * Requests in flight on one connection, by request id: each waits for the broker's reply and
 * fails on its deadline (one shared ticker, no timer per request) or when the connection closes.
 */
import type { BaseCommand } from '../../wire/index.ts';
import type { DeadlineEntry, DeadlineTicker } from './deadline-ticker.ts';
import { timeoutError } from '../../api/index.ts';

interface PendingRequest {
  resolve: (cmd: BaseCommand) => void;
  reject: (err: unknown) => void;
  deadline: DeadlineEntry | undefined;
  what: string;
}

let nextRequestId = 1;

/** Request ids are unique per process, so a late reply can never settle another request. */
export function newRequestId(): number {
  return nextRequestId++;
}

export class RequestTracker {
  readonly #ticker: DeadlineTicker;
  readonly #broker: string;
  readonly #pending = new Map<number, PendingRequest>();

  constructor(ticker: DeadlineTicker, broker: string) {
    this.#ticker = ticker;
    this.#broker = broker;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Track `requestId`; the returned promise settles with the reply, the timeout or the close. */
  track(requestId: number, what: string, timeoutMs: number): Promise<BaseCommand> {
    return new Promise((resolve, reject) => {
      const p: PendingRequest = { resolve, reject, deadline: undefined, what };
      if (timeoutMs > 0) {
        p.deadline = this.#ticker.add(timeoutMs, () => {
          if (this.#pending.get(requestId) === p) {
            this.#pending.delete(requestId);
            reject(timeoutError(what, timeoutMs, { broker: this.#broker }));
          }
        });
      }
      this.#pending.set(requestId, p);
    });
  }

  settle(requestId: number | undefined, cmd: BaseCommand, error?: unknown): void {
    if (requestId === undefined) return;
    const p = this.#pending.get(requestId);
    if (p === undefined) return;
    this.#pending.delete(requestId);
    this.#ticker.cancel(p.deadline);
    if (error !== undefined) p.reject(error);
    else p.resolve(cmd);
  }

  /** Keep waiting without a deadline (the reply is known to come later, e.g. WaitForExclusive). */
  holdWithoutDeadline(requestId: number): void {
    const p = this.#pending.get(requestId);
    if (p === undefined) return;
    this.#ticker.cancel(p.deadline);
    p.deadline = undefined;
  }

  rejectAll(err: unknown): void {
    for (const [, p] of this.#pending) {
      this.#ticker.cancel(p.deadline);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
