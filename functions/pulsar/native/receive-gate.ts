/**
 * Runs receive calls for an adapter whose underlying consumer cannot pause or be interrupted:
 * while paused, calls wait before reaching it; on close, every waiting or in-flight call is
 * rejected at once with BL_PULSAR_ALREADY_CLOSED (a message the addon hands over afterwards
 * was never acknowledged, so the broker delivers it again).
 */
import { alreadyClosedError } from '../api/index.ts';

export type ReceiveGateState = 'open' | 'paused' | 'closed';

export class ReceiveGate {
  #state: ReceiveGateState = 'open';
  #resumed: (() => void)[] = [];
  readonly #inFlight = new Set<(err: Error) => void>();

  get state(): ReceiveGateState {
    return this.#state;
  }

  pause(): void {
    if (this.#state === 'open') this.#state = 'paused';
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#state = 'open';
    for (const r of this.#resumed.splice(0)) r();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const r of this.#resumed.splice(0)) r();
    const err = alreadyClosedError('consumer');
    for (const fail of [...this.#inFlight]) fail(err);
    this.#inFlight.clear();
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#state === 'closed') return Promise.reject(alreadyClosedError('consumer'));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.#inFlight.delete(fail);
        reject(err);
      };
      this.#inFlight.add(fail);
      void (async () => {
        while (this.#state === 'paused') await new Promise<void>((r) => this.#resumed.push(r));
        if (settled) return;
        try {
          const v = await fn();
          if (settled) return;
          settled = true;
          this.#inFlight.delete(fail);
          resolve(v);
        } catch (err) {
          fail(err as Error);
        }
      })();
    });
  }
}
