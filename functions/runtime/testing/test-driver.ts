/**
 * An in-process stand-in for the worker: feeds records to a handler through the same
 * `HandlerEngine` the worker uses, with a FakeClock and in-memory compacted "topics", and
 * collects what the handler emits. No broker, no timers of its own.
 *
 * Each `send()` behaves like one committed transaction: on success the state changelog is
 * "written" (kept in a compacted in-memory topic) and the outputs are kept; if the handler throws,
 * state rolls back to the last commit, the outputs are dropped and `send()` rejects.
 * `restart()` simulates a crash: new stores restored from that topic.
 */
import { FakeClock } from '../../clock.ts';
import type { EventRecord, RecordMeta, ScoreFn } from '../../contract.ts';
import type { ChangeRecord, KeyValueStore, StoreOptions } from '../../state/index.ts';
import type { Logger, Metrics } from '../../telemetry.ts';
import {
  HandlerEngine,
  type AggregateHandlerOptions,
  type EmittedOutput,
  type EngineStep,
  type LateRecord,
  type RecordHandlerOptions,
  type WindowHandlerOptions,
} from '../handler-engine.ts';

interface CommonOptions {
  /** @default new FakeClock() */
  clock?: FakeClock;
  /** @default 'test-tenant' */
  tenant?: string;
  /** @default 'test-namespace' */
  namespace?: string;
  /** Input topic name on records. @default 'persistent://test-tenant/test-namespace/input' */
  topic?: string;
  /** Limits for the handler's keyed state. */
  state?: StoreOptions;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** @default silentLogger */
  log?: Logger;
  /** The scorer handlers see as `ctx.score`. @default every score is a 'no-model' fallback */
  score?: ScoreFn;
}

type Handler<O> = Omit<O, 'tenant' | 'namespace' | 'topic' | 'clock' | 'state' | 'metrics' | 'log' | 'score'>;
export type RecordDriverOptions<T> = CommonOptions & Handler<RecordHandlerOptions<T>>;
export type AggregateDriverOptions<T> = CommonOptions & Handler<AggregateHandlerOptions<T>>;
export type WindowDriverOptions<T> = CommonOptions & Handler<WindowHandlerOptions<T>>;
export type TestDriverOptions<T = unknown> = RecordDriverOptions<T> | AggregateDriverOptions<T> | WindowDriverOptions<T>;

export type { EmittedOutput, LateRecord } from '../handler-engine.ts';

export type SendMeta = Partial<Omit<RecordMeta, 'messageId'>>;

export interface TestDriver<T = unknown> {
  readonly clock: FakeClock;
  /** Everything emitted by committed sends, in order. */
  readonly outputs: readonly EmittedOutput[];
  /** Records no window accepted (late beyond allowedLatenessMs, or a bad event time). */
  readonly late: readonly LateRecord<T>[];
  /** The handler's keyed state, as the handler sees it. */
  readonly state: KeyValueStore<unknown>;
  /** Watermark of the window operator (null before the first record or without windows). */
  readonly watermarkMs: number | null;
  /** Feeds one record. Event time defaults to the clock's now; key to undefined. */
  send(value: T, meta?: SendMeta): Promise<void>;
  /** Moves the fake clock (state TTLs expire; expired keys are purged). */
  advanceTime(ms: number): Promise<void>;
  /** Moves the watermark as an idle source would; fires complete windows. */
  advanceWatermark(toMs: number): Promise<void>;
  /** Fires every open window, as at the end of a bounded input. */
  endOfStream(): Promise<void>;
  /** Simulates a crash and restart: state and windows restored from the committed changelog. */
  restart(): void;
  /** Returns the outputs so far and forgets them. */
  takeOutputs(): EmittedOutput[];
}

export function createTestDriver<T = unknown>(options: TestDriverOptions<T>): TestDriver<T> {
  return new InProcessDriver<T>(options);
}

class InProcessDriver<T> implements TestDriver<T> {
  readonly clock: FakeClock;
  readonly outputs: EmittedOutput[] = [];
  readonly late: LateRecord<T>[] = [];
  readonly #engine: HandlerEngine<T>;
  readonly #topic: string;
  // The compacted `state` topics: key -> last committed change.
  readonly #stateTopic = new Map<string, ChangeRecord>();
  readonly #windowTopic = new Map<string, ChangeRecord>();
  #seq = 0;

  constructor(options: TestDriverOptions<T>) {
    this.clock = options.clock ?? new FakeClock();
    this.#topic = options.topic ?? 'persistent://test-tenant/test-namespace/input';
    this.#engine = new HandlerEngine<T>({
      ...options,
      tenant: options.tenant ?? 'test-tenant',
      namespace: options.namespace ?? 'test-namespace',
      topic: this.#topic,
      clock: this.clock,
    } as ConstructorParameters<typeof HandlerEngine<T>>[0]);
  }

  get state(): KeyValueStore<unknown> {
    return this.#engine.state;
  }

  get watermarkMs(): number | null {
    return this.#engine.watermarkMs;
  }

  send(value: T, meta: SendMeta = {}): Promise<void> {
    const now = this.clock.now();
    const record: EventRecord<T> = {
      key: meta.key,
      eventTimeMs: meta.eventTimeMs ?? now,
      publishTimeMs: meta.publishTimeMs ?? now,
      properties: meta.properties ?? {},
      messageId: `${this.#seq++}:0:-1`,
      topic: meta.topic ?? this.#topic,
      value,
    };
    return this.#transaction(() => this.#engine.run(record));
  }

  async advanceTime(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await this.#transaction(() => {
      this.#engine.purgeExpired();
      return { emitted: [], late: [] };
    });
  }

  advanceWatermark(toMs: number): Promise<void> {
    return this.#transaction(() => this.#engine.advanceWatermark(toMs));
  }

  endOfStream(): Promise<void> {
    return this.advanceWatermark(Number.MAX_SAFE_INTEGER);
  }

  restart(): void {
    this.#engine.reset(this.#stateTopic.values(), this.#windowTopic.values());
  }

  takeOutputs(): EmittedOutput[] {
    return this.outputs.splice(0, this.outputs.length);
  }

  async #transaction(body: () => Promise<EngineStep<T>> | EngineStep<T>): Promise<void> {
    let step: EngineStep<T>;
    try {
      step = await body();
    } catch (err) {
      // Abort: nothing emitted, state back to the last commit.
      this.restart();
      throw err;
    }
    const changes = this.#engine.flush();
    commit(this.#stateTopic, changes.state);
    commit(this.#windowTopic, changes.windows);
    this.#engine.checkpoint();
    this.outputs.push(...step.emitted);
    this.late.push(...step.late);
  }
}

function commit(topic: Map<string, ChangeRecord>, changes: readonly ChangeRecord[]): void {
  for (const change of changes) {
    if (change.value.byteLength === 0) topic.delete(change.key);
    else topic.set(change.key, change);
  }
}
