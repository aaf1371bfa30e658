/**
 * A `WorkerIo` over in-memory topics, for unit tests of the worker loop (the integration suite
 * uses the real broker). Commits are atomic, like a Pulsar transaction; `failNextCommit()`
 * makes one fail (aborted, or with an unknown outcome after committing or not); released
 * messages come back with a higher redelivery count, at the front of the queue or, like a broker
 * behind a consumer that prefetched newer messages, at its back; `redeliverCommitted()` plays a
 * broker redelivering acknowledged inputs after a reconnect; `withhold()` plays a broker holding
 * back inputs whose acks sit in a killed worker's open transaction (it dispatches the newer ones
 * meanwhile) until `redeliver()`, when that transaction times out.
 */
import type { ChangeRecord } from '../../state/index.ts';
import { BeamlineError } from '../../errors.ts';
import { PULSAR_ERROR_CODES } from '../../pulsar/index.ts';
import type { InputMessage, OutputMessage } from '../records.ts';
import type { OutputTopic } from '../../topics.ts';
import { COMMIT_OUTCOME_UNKNOWN, EXPIRES_AT_PROPERTY, splitChangelog, type ChangelogSnapshot, type WorkerIo } from '../worker-io.ts';

/**
 * How an injected commit failure ends: `aborted` (nothing committed), `unknown-committed` (it
 * committed, the answer was lost), `unknown-aborted` (it did not commit, nobody can say so).
 */
export type InjectedCommitFailure = 'aborted' | 'unknown-committed' | 'unknown-aborted';

export interface InMemoryInput {
  key?: string;
  payload: Buffer;
  eventTimeMs?: number;
  properties?: Record<string, string>;
}

export class InMemoryWorkerIo implements WorkerIo {
  /** Committed outputs per topic, in commit order. */
  readonly topics = new Map<OutputTopic, OutputMessage[]>();
  /** The compacted `state` topic: key -> last committed change. */
  readonly stateTopic = new Map<string, ChangeRecord>();
  readonly acked: string[] = [];
  /** Inputs acknowledged as already committed (redelivered duplicates). */
  readonly duplicateAcks: string[] = [];
  #queue: InputMessage[] = [];
  #seq = 0;
  #failNext: InjectedCommitFailure[] = [];
  #failRestores = 0;
  /** Every input pushed, by id (for redeliverCommitted). */
  readonly #all = new Map<string, InputMessage>();
  /** Released inputs go behind what is queued (a prefetching consumer) instead of in front. */
  releaseToBack = false;
  /** Release requests to lose (a redelivery asked for while disconnected). */
  dropReleases = 0;
  /** Every release() call's message ids. */
  readonly releases: string[][] = [];
  #paused = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  /** Appends input messages (ids count up from 0). */
  push(...inputs: InMemoryInput[]): void {
    for (const i of inputs) {
      const id = this.#seq++;
      const m: InputMessage = {
        ref: id,
        topic: 'persistent://t/ns/events',
        messageId: `${id}:0:-1:-1`,
        key: i.key,
        payload: i.payload,
        properties: i.properties ?? {},
        eventTimeMs: i.eventTimeMs,
        publishTimeMs: i.eventTimeMs ?? 0,
        schemaVersion: undefined,
        redeliveryCount: 0,
      };
      this.#all.set(m.messageId, m);
      this.#queue.push(m);
    }
    this.#wakeReceiver();
  }

  /** Resolves once `n` inputs have been acknowledged in total (no polling, no sleeping). */
  acknowledged(n: number): Promise<void> {
    if (this.acked.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** The next commit fails this way (calls queue up: one failure per commit). */
  failNextCommit(how: InjectedCommitFailure = 'aborted'): void {
    this.#failNext.push(how);
  }

  /** Delivers already acknowledged inputs again (the broker does after a consumer reconnect). */
  redeliverCommitted(messageIds: readonly string[]): void {
    this.redeliver(messageIds);
  }

  /** Takes queued inputs out of delivery until `redeliver()` (newer ones are delivered meanwhile). */
  withhold(messageIds: readonly string[]): void {
    const ids = new Set(messageIds);
    this.#queue = this.#queue.filter((m) => !ids.has(m.messageId));
  }

  /** Delivers these inputs (again), behind what is queued. */
  redeliver(messageIds: readonly string[]): void {
    for (const id of messageIds) {
      const m = this.#all.get(id);
      if (m !== undefined) this.#queue.push({ ...m, redeliveryCount: m.redeliveryCount + 1 });
    }
    this.#wakeReceiver();
  }

  output(topic: OutputTopic): OutputMessage[] {
    return this.topics.get(topic) ?? [];
  }

  /** The next `n` readChangelog() calls fail with a retriable error (a broker request that timed out). */
  failNextRestores(n: number): void {
    this.#failRestores = n;
  }

  async readChangelog(): Promise<ChangelogSnapshot> {
    if (this.#failRestores > 0) {
      this.#failRestores--;
      throw new BeamlineError(PULSAR_ERROR_CODES.timeout, 'injected: get last message id timed out', { retriable: true });
    }
    return splitChangelog(this.stateTopic.values());
  }

  async receive(max: number, firstWaitMs: number): Promise<InputMessage[]> {
    if (this.#paused || this.#closed || this.#queue.length === 0) {
      // Wait for a push (or close), like a real receive; the timeout bounds how long the loop
      // goes without looking at its own state.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, firstWaitMs);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
      if (this.#paused || this.#closed) return [];
    }
    return this.#queue.splice(0, max);
  }

  #wakeReceiver(): void {
    this.#wake?.();
  }

  async commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void> {
    const failure = this.#failNext.shift();
    if (failure === 'aborted') throw new Error('injected commit failure');
    if (failure === 'unknown-aborted') throw unknownOutcome();
    for (const o of outputs) {
      if (o.topic === 'state') {
        if (o.nullValue) this.stateTopic.delete(o.key ?? '');
        else {
          const exp = o.properties?.[EXPIRES_AT_PROPERTY];
          this.stateTopic.set(o.key ?? '', {
            key: o.key ?? '',
            value: o.payload,
            ...(exp === undefined ? {} : { expiresAtMs: Number(exp) }),
          });
        }
      }
      const list = this.topics.get(o.topic) ?? [];
      list.push(o);
      this.topics.set(o.topic, list);
    }
    for (const i of inputs) this.acked.push(i.messageId);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.acked.length < w.n) return true;
      w.resolve();
      return false;
    });
    if (failure === 'unknown-committed') throw unknownOutcome();
  }

  ackCommitted(inputs: readonly InputMessage[]): void {
    for (const i of inputs) this.duplicateAcks.push(i.messageId);
  }

  release(inputs: readonly InputMessage[]): void {
    this.releases.push(inputs.map((m) => m.messageId));
    if (this.dropReleases > 0) {
      this.dropReleases--;
      return;
    }
    const back = inputs.map((m) => ({ ...m, redeliveryCount: m.redeliveryCount + 1 }));
    if (this.releaseToBack) this.#queue.push(...back);
    else this.#queue.unshift(...back);
    this.#wakeReceiver();
  }

  async backlog(): Promise<number> {
    return this.#queue.length;
  }

  pause(): void {
    this.#paused = true;
    this.#wakeReceiver();
  }

  resume(): void {
    this.#paused = false;
    this.#wakeReceiver();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeReceiver();
  }

  /** Opens again after close(), keeping every topic: what a restarted worker would see. */
  reopen(): void {
    this.#closed = false;
    this.#paused = false;
  }
}

function unknownOutcome(): BeamlineError {
  return new BeamlineError(COMMIT_OUTCOME_UNKNOWN, 'injected: the commit outcome is unknown', { retriable: true });
}
