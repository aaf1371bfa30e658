/**
 * An in-process stand-in for the worker: feeds records to a handler through the contract in
 * functions/contract.ts with a FakeClock, a real state store and window operator, and collects
 * what the handler emits. No broker, no timers of its own.
 *
 * Each `send()` behaves like one committed transaction: on success the state changelog is
 * "written" (kept in a compacted in-memory topic) and the outputs are kept; if the handler throws,
 * state rolls back to the last commit, the outputs are dropped and `send()` rejects.
 * `restart()` simulates a crash: new stores restored from that topic.
 */
import { FakeClock } from '../../clock.ts';
import type {
  EmitOptions,
  EventRecord,
  HandlerContext,
  ProcessFn,
  ProcessWindowFn,
  RecordMeta,
  WindowInfo,
} from '../../contract.ts';
import { ConfigError } from '../../errors.ts';
import {
  createStateStore,
  type ChangeRecord,
  type KeyValueStore,
  type StateStore,
  type StoreOptions,
} from '../../state/index.ts';
import { noopMetrics, silentLogger, type Logger, type Metrics } from '../../telemetry.ts';
import {
  compileWindowOptions,
  WindowOperator,
  type LateReason,
  type TimedValue,
  type WindowConfig,
  type WindowOptions,
  type WindowOutput,
  type WindowResult,
  type WindowStoreValue,
} from '../../windows/index.ts';

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
}

/** A per-record handler, no windows. */
export interface RecordDriverOptions<T> extends CommonOptions {
  process: ProcessFn<T>;
  windows?: undefined;
  processWindow?: undefined;
}

/** Windows aggregate record values; the handler gets each `WindowResult` as a record value. */
export interface AggregateDriverOptions<T> extends CommonOptions {
  process: ProcessFn<WindowResult>;
  windows: WindowOptions<T>;
  processWindow?: undefined;
}

/** A window handler gets each fired window's records (`windows.aggregate` must be unset). */
export interface WindowDriverOptions<T> extends CommonOptions {
  processWindow: ProcessWindowFn<T>;
  windows: WindowOptions<T>;
  process?: undefined;
}

export type TestDriverOptions<T = unknown> =
  | RecordDriverOptions<T>
  | AggregateDriverOptions<T>
  | WindowDriverOptions<T>;

/** One output the handler emitted. */
export interface EmittedOutput {
  readonly value: unknown;
  readonly key: string | undefined;
  readonly eventTimeMs: number;
  readonly properties: Readonly<Record<string, string>>;
  /** The input record (or `window:<key>:<start>:<end>`) it was emitted for. */
  readonly sourceId: string;
}

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

/** A record no window accepted. */
export interface LateRecord<T = unknown> {
  readonly record: EventRecord<T>;
  readonly reason: LateReason;
  /** Watermark when it arrived (null before the first record). */
  readonly watermarkMs: number | null;
}

type WindowMode = 'records' | 'values';

export function createTestDriver<T = unknown>(options: TestDriverOptions<T>): TestDriver<T> {
  return new InProcessDriver<T>(options);
}

class InProcessDriver<T> implements TestDriver<T> {
  readonly clock: FakeClock;
  readonly outputs: EmittedOutput[] = [];
  readonly late: LateRecord<T>[] = [];
  readonly #options: TestDriverOptions<T>;
  readonly #windowConfig: WindowConfig | undefined;
  readonly #windowMode: WindowMode | undefined;
  readonly #topic: string;
  readonly #metrics: Metrics;
  // The compacted `state` topics: key -> last committed change.
  readonly #stateTopic = new Map<string, ChangeRecord>();
  readonly #windowTopic = new Map<string, ChangeRecord>();
  #state: StateStore<unknown>;
  #windowState: StateStore<WindowStoreValue>;
  #operator: WindowOperator<unknown> | undefined;
  #seq = 0;

  constructor(options: TestDriverOptions<T>) {
    if ((options.process === undefined) === (options.processWindow === undefined)) {
      throw new ConfigError('testDriver.process', undefined, 'give exactly one of process or processWindow');
    }
    if (options.processWindow !== undefined) {
      if (options.windows === undefined) {
        const fix = 'processWindow needs windows, e.g. { type: "tumbling", sizeMs: 60000 }';
        throw new ConfigError('testDriver.windows', undefined, fix);
      }
      if (options.windows.aggregate !== undefined || options.windows.extract !== undefined) {
        const fix = 'leave aggregate and extract unset with processWindow: it receives the records';
        throw new ConfigError('testDriver.windows.aggregate', options.windows.aggregate, fix);
      }
    }
    this.#options = options;
    this.clock = options.clock ?? new FakeClock();
    this.#topic = options.topic ?? 'persistent://test-tenant/test-namespace/input';
    this.#metrics = options.metrics ?? noopMetrics();
    if (options.windows !== undefined) {
      this.#windowMode = options.processWindow !== undefined ? 'records' : 'values';
      const windows = options.windows as WindowOptions<unknown>;
      this.#windowConfig = compileWindowOptions(
        this.#windowMode === 'records' ? { ...windows, aggregate: 'collect' } : windows,
      );
    }
    this.#state = this.#newStateStore();
    this.#windowState = createStateStore<WindowStoreValue>({ clock: this.clock, name: 'windows', coalesce: true });
    this.#operator = this.#newOperator();
  }

  get state(): KeyValueStore<unknown> {
    return this.#state.store;
  }

  get watermarkMs(): number | null {
    return this.#operator?.watermarkMs ?? null;
  }

  async send(value: T, meta: SendMeta = {}): Promise<void> {
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
    await this.#transaction(async (emitted) => {
      if (this.#operator === undefined) {
        const ctx = this.#context(emitted, record.key, record.eventTimeMs, record.messageId);
        await (this.#options.process as ProcessFn<T>)(record, ctx);
        return;
      }
      // Window handlers get their records back, so then the operator collects whole records.
      const windowed = this.#windowMode === 'records' ? record : record.value;
      const out = this.#operator.process({ key: record.key ?? '', eventTimeMs: record.eventTimeMs, value: windowed });
      for (const l of out.late) this.late.push({ record, reason: l.reason, watermarkMs: l.watermarkMs });
      await this.#deliver(out, emitted);
    });
  }

  async advanceTime(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await this.#transaction(() => {
      this.#state.store.purgeExpired();
    });
  }

  async advanceWatermark(toMs: number): Promise<void> {
    const operator = this.#operator;
    if (operator === undefined) return;
    await this.#transaction((emitted) => this.#deliver(operator.advanceWatermark(toMs), emitted));
  }

  endOfStream(): Promise<void> {
    return this.advanceWatermark(Number.MAX_SAFE_INTEGER);
  }

  restart(): void {
    this.#state = this.#newStateStore();
    this.#state.restore(this.#stateTopic.values());
    this.#windowState = createStateStore<WindowStoreValue>({ clock: this.clock, name: 'windows', coalesce: true });
    this.#windowState.restore(this.#windowTopic.values());
    this.#operator = this.#newOperator();
  }

  takeOutputs(): EmittedOutput[] {
    return this.outputs.splice(0, this.outputs.length);
  }

  async #transaction(body: (emitted: EmittedOutput[]) => Promise<void> | void): Promise<void> {
    const emitted: EmittedOutput[] = [];
    const lateBefore = this.late.length;
    try {
      await body(emitted);
    } catch (err) {
      // Abort: nothing emitted, state back to the last commit.
      this.late.length = lateBefore;
      this.restart();
      throw err;
    }
    commit(this.#stateTopic, this.#state.flush());
    commit(this.#windowTopic, this.#windowState.flush());
    this.outputs.push(...emitted);
  }

  async #deliver(out: WindowOutput<unknown>, emitted: EmittedOutput[]): Promise<void> {
    for (const result of out.results) {
      const sourceId = `window:${result.key}:${result.startMs}:${result.endMs}`;
      const ctx = this.#context(emitted, result.key, result.endMs - 1, sourceId);
      if (this.#windowMode === 'records') {
        const records = (result.value as TimedValue<EventRecord<T>>[]).map((tv) => tv.value);
        const { key, startMs, endMs, trigger } = result;
        const window: WindowInfo = { key, startMs, endMs, trigger };
        await (this.#options.processWindow as ProcessWindowFn<T>)(records, ctx, window);
      } else {
        const record: EventRecord<WindowResult> = {
          key: result.key,
          eventTimeMs: result.endMs - 1,
          publishTimeMs: this.clock.now(),
          properties: {},
          messageId: sourceId,
          topic: this.#topic,
          value: result,
        };
        await (this.#options.process as ProcessFn<WindowResult>)(record, ctx);
      }
    }
  }

  #context(emitted: EmittedOutput[], key: string | undefined, eventTimeMs: number, sourceId: string): HandlerContext {
    return {
      tenant: this.#options.tenant ?? 'test-tenant',
      namespace: this.#options.namespace ?? 'test-namespace',
      log: this.#options.log ?? silentLogger,
      metrics: this.#metrics,
      state: this.#state.store,
      emit: (value: unknown, options: EmitOptions = {}) => {
        emitted.push({
          value,
          key: options.key ?? key,
          eventTimeMs: options.eventTimeMs ?? eventTimeMs,
          properties: options.properties ?? {},
          sourceId,
        });
      },
    };
  }

  #newStateStore(): StateStore<unknown> {
    const options = this.#options.state;
    return createStateStore<unknown>({ ...options, clock: this.clock, metrics: this.#metrics, name: 'handler' });
  }

  #newOperator(): WindowOperator<unknown> | undefined {
    const config = this.#windowConfig;
    if (config === undefined) return undefined;
    return new WindowOperator<unknown>(config, this.#windowState.store, { metrics: this.#metrics, name: 'windows' });
  }
}

function commit(topic: Map<string, ChangeRecord>, changes: readonly ChangeRecord[]): void {
  for (const change of changes) {
    if (change.value.byteLength === 0) topic.delete(change.key);
    else topic.set(change.key, change);
  }
}
