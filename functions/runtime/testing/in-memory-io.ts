/**
 * A `WorkerIo` over in-memory topics, for unit tests of the worker loop (the integration suite
 * uses the real broker). Commits are atomic, like a Pulsar transaction; `failNextCommit()`
 * makes one fail; released messages come back with a higher redelivery count.
 */
import type { ChangeRecord } from '../../state/index.ts';
import type { InputMessage, OutputMessage, OutputTopic } from '../records.ts';
import { EXPIRES_AT_PROPERTY, splitChangelog, type ChangelogSnapshot, type WorkerIo } from '../worker-io.ts';

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
  #queue: InputMessage[] = [];
  #seq = 0;
  #failNext = false;
  #paused = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  /** Appends input messages (ids count up from 0). */
  push(...inputs: InMemoryInput[]): void {
    for (const i of inputs) {
      const id = this.#seq++;
      this.#queue.push({
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
      });
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

  failNextCommit(): void {
    this.#failNext = true;
  }

  output(topic: OutputTopic): OutputMessage[] {
    return this.topics.get(topic) ?? [];
  }

  async readChangelog(): Promise<ChangelogSnapshot> {
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
    if (this.#failNext) {
      this.#failNext = false;
      throw new Error('injected commit failure');
    }
    for (const o of outputs) {
      if (o.topic === 'state') {
        if (o.nullValue) this.stateTopic.delete(o.key ?? '');
        else {
          const exp = o.properties?.[EXPIRES_AT_PROPERTY];
          this.stateTopic.set(o.key ?? '', { key: o.key ?? '', value: o.payload, ...(exp === undefined ? {} : { expiresAtMs: Number(exp) }) });
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
  }

  release(inputs: readonly InputMessage[]): void {
    this.#queue.unshift(...inputs.map((m) => ({ ...m, redeliveryCount: m.redeliveryCount + 1 })));
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
