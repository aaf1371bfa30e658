/**
 * Runs a tenant's handler over records: keyed state, the window operator and the emit buffer.
 * Shared by the namespace worker (Pulsar I/O around it) and the in-process test driver (in-memory
 * topics around it), so a handler behaves the same in tests and in production.
 *
 * No I/O. Durability is the caller's: `flush()` returns the changelog records to commit with the
 * outputs and `checkpoint()` marks them committed; after a failed commit or a handler error,
 * `rollback()` undoes everything since the checkpoint (O(keys touched)), or, when it cannot,
 * `reset()` rebuilds everything from the committed changelog.
 */
import { systemClock, type Clock } from '../clock.ts';
import type {
  EmitOptions,
  EmitTarget,
  EventRecord,
  HandlerContext,
  ModelScore,
  ScoreFn,
  ProcessFn,
  ProcessWindowFn,
  WindowInfo,
} from '../contract.ts';
import { ConfigError } from '../errors.ts';
import { createStateStore, type ChangeRecord, type KeyValueStore, type StateStore, type StoreOptions } from '../state/index.ts';
import {
  activeSpanContext,
  noopMetrics,
  noopTracer,
  silentLogger,
  type Logger,
  type Metrics,
  type Span,
  type SpanContext,
  type Tracer,
} from '../telemetry.ts';
import { CountedState } from './counted-state.ts';
import { JournaledStore } from './undo-journal.ts';
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
} from '../windows/index.ts';

interface CommonOptions {
  tenant: string;
  namespace: string;
  /** Input topic, for records built from window results. */
  topic: string;
  /** @default systemClock */
  clock?: Clock;
  /** Limits for the handler's keyed state. */
  state?: StoreOptions;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** @default silentLogger */
  log?: Logger;
  /** The namespace's scorer. @default no model: every score is a 'no-model' fallback */
  score?: ScoreFn;
  /** #22: a `windows` span per traced record, under the active span context. @default noopTracer() */
  tracer?: Tracer;
}

const NO_MODEL: ModelScore = Object.freeze({ kind: 'fallback', decision: 'review', reason: 'no-model' });
const noModel: ScoreFn = async () => NO_MODEL;

/** A per-record handler, no windows. */
export interface RecordHandlerOptions<T> extends CommonOptions {
  process: ProcessFn<T>;
  windows?: undefined;
  processWindow?: undefined;
}

/** Windows aggregate record values; the handler gets each `WindowResult` as a record value. */
export interface AggregateHandlerOptions<T> extends CommonOptions {
  process: ProcessFn<WindowResult>;
  windows: WindowOptions<T>;
  processWindow?: undefined;
}

/** A window handler gets each fired window's records (`windows.aggregate` must be unset). */
export interface WindowHandlerOptions<T> extends CommonOptions {
  processWindow: ProcessWindowFn<T>;
  windows: WindowOptions<T>;
  process?: undefined;
}

export type HandlerEngineOptions<T = unknown> = RecordHandlerOptions<T> | AggregateHandlerOptions<T> | WindowHandlerOptions<T>;

/** One output the handler emitted. */
export interface EmittedOutput {
  readonly to: EmitTarget;
  readonly value: unknown;
  readonly key: string | undefined;
  readonly eventTimeMs: number;
  readonly properties: Readonly<Record<string, string>>;
  /** The input record (or `window:<key>:<start>:<end>`) it was emitted for. */
  readonly sourceId: string;
}

/** A record no window accepted. */
export interface LateRecord<T = unknown> {
  readonly record: EventRecord<T>;
  readonly reason: LateReason;
  /** Watermark when it arrived (null before the first record). */
  readonly watermarkMs: number | null;
}

/** What one step produced. */
export interface EngineStep<T = unknown> {
  readonly emitted: EmittedOutput[];
  readonly late: LateRecord<T>[];
  /** #22: keyed-state reads and writes (puts and deletes) the handler made, when traced. */
  stateReads?: number;
  stateWrites?: number;
}

/** Both changelogs: the handler's keyed state and the window operator's state. */
export interface EngineChanges {
  readonly state: readonly ChangeRecord[];
  readonly windows: readonly ChangeRecord[];
}

type WindowMode = 'records' | 'values';

export class HandlerEngine<T = unknown> {
  readonly #options: HandlerEngineOptions<T>;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #tracer: Tracer;
  readonly #windowConfig: WindowConfig | undefined;
  readonly #windowMode: WindowMode | undefined;
  #state: StateStore<unknown>;
  #windowState: StateStore<WindowStoreValue>;
  /** What the handler and the window operator see: the stores above, with undo. */
  #stateJournal: JournaledStore<unknown>;
  #windowJournal: JournaledStore<WindowStoreValue>;
  #operator: WindowOperator<unknown> | undefined;

  constructor(options: HandlerEngineOptions<T>) {
    if ((options.process === undefined) === (options.processWindow === undefined)) {
      throw new ConfigError('handler.process', undefined, 'give exactly one of process or processWindow');
    }
    if (options.processWindow !== undefined) {
      if (options.windows === undefined) {
        throw new ConfigError('handler.windows', undefined, 'processWindow needs windows, e.g. { type: "tumbling", sizeMs: 60000 }');
      }
      if (options.windows.aggregate !== undefined || options.windows.extract !== undefined) {
        throw new ConfigError(
          'handler.windows.aggregate',
          options.windows.aggregate,
          'leave aggregate and extract unset with processWindow: it receives the records',
        );
      }
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics();
    this.#tracer = options.tracer ?? noopTracer();
    if (options.windows !== undefined) {
      this.#windowMode = options.processWindow !== undefined ? 'records' : 'values';
      const windows = options.windows as WindowOptions<unknown>;
      this.#windowConfig = compileWindowOptions(this.#windowMode === 'records' ? { ...windows, aggregate: 'collect' } : windows);
    }
    this.#state = this.#newStateStore();
    this.#windowState = this.#newWindowStore();
    this.#stateJournal = this.#journal(this.#state);
    this.#windowJournal = this.#journal(this.#windowState);
    this.#operator = this.#newOperator();
    this.#windowJournal.checkpoint();
  }

  /** The handler's keyed state, as the handler sees it. */
  get state(): KeyValueStore<unknown> {
    return this.#stateJournal;
  }

  get hasWindows(): boolean {
    return this.#operator !== undefined;
  }

  /** Watermark of the window operator (null before the first record or without windows). */
  get watermarkMs(): number | null {
    return this.#operator?.watermarkMs ?? null;
  }

  /**
   * Runs one record. Throws what the handler throws; then call `reset()` before going on.
   * `traceId` (#22): the record's W3C trace id, for `ctx.traceId`.
   */
  async run(record: EventRecord<T>, traceId?: string): Promise<EngineStep<T>> {
    const step: EngineStep<T> = { emitted: [], late: [] };
    const parent = this.#tracer.enabled ? activeSpanContext() : undefined;
    const traced = parent !== undefined && parent.sampled;
    // A traced record counts its own state reads and writes (for its process span).
    const state = traced ? new CountedState(this.#stateJournal, step) : this.#stateJournal;
    if (this.#operator === undefined) {
      const ctx = this.#context(step.emitted, record.key, record.eventTimeMs, record.messageId, state, traceId);
      await (this.#options.process as ProcessFn<T>)(record, ctx);
      return step;
    }
    // Window handlers get their records back, so then the operator collects whole records.
    const windowed = this.#windowMode === 'records' ? record : record.value;
    const span = traced ? this.#windowSpan(parent) : undefined;
    const out = this.#operator.process({ key: record.key ?? '', eventTimeMs: record.eventTimeMs, value: windowed });
    if (span !== undefined) {
      span.setAttribute('beamline.window.fired', out.results.length);
      span.setAttribute('beamline.window.late', out.late.length);
      const wm = this.#operator.watermarkMs;
      if (wm !== null) span.setAttribute('beamline.window.watermark_ms', wm);
      span.end();
    }
    for (const l of out.late) step.late.push({ record, reason: l.reason, watermarkMs: l.watermarkMs });
    await this.#deliver(out, step.emitted, state);
    return step;
  }

  /** A `windows` span (the operator's assign / fire / late step) under the record's span. */
  #windowSpan(parent: SpanContext): Span {
    const c = this.#windowConfig;
    return this.#tracer.startSpan('windows', {
      parent,
      attributes: c === undefined ? {} : { 'beamline.window.type': c.type, 'beamline.window.mode': this.#windowMode ?? 'values' },
    });
  }

  /** Moves the watermark as an idle source would; fires complete windows. */
  async advanceWatermark(toMs: number): Promise<EngineStep<T>> {
    const step: EngineStep<T> = { emitted: [], late: [] };
    if (this.#operator !== undefined) await this.#deliver(this.#operator.advanceWatermark(toMs), step.emitted);
    return step;
  }

  /** Removes expired keys (their tombstones go out with the next flush). */
  purgeExpired(): readonly string[] {
    return this.#stateJournal.purgeExpired();
  }

  /** Everything flushed so far is committed: the next rollback returns here. */
  checkpoint(): void {
    this.#stateJournal.checkpoint();
    this.#windowJournal.checkpoint();
  }

  /**
   * Undoes every state and window change since the last checkpoint (or reset), without I/O.
   * The undo is itself recorded, so the next flush also rewrites what a failed at-least-once
   * commit may have left half-written. False when it cannot (a value JSON cannot hold): then
   * `reset()` from the committed changelog.
   */
  rollback(): boolean {
    const ok = this.#stateJournal.rollback() && this.#windowJournal.rollback();
    if (!ok) return false;
    // The operator's timers, session index and watermark are derived from its store.
    this.#operator = this.#newOperator();
    this.#windowJournal.checkpoint();
    return true;
  }

  /** Changes since the last flush, to commit with this step's outputs. */
  flush(): EngineChanges {
    return { state: this.#state.flush(), windows: this.#windowState.flush() };
  }

  /** Rebuilds state and windows from the committed changelogs (after a crash or a failed step). */
  reset(state: Iterable<ChangeRecord>, windows: Iterable<ChangeRecord>): void {
    this.#state = this.#newStateStore();
    this.#state.restore(state);
    this.#windowState = this.#newWindowStore();
    this.#windowState.restore(windows);
    this.#stateJournal = this.#journal(this.#state);
    this.#windowJournal = this.#journal(this.#windowState);
    this.#operator = this.#newOperator();
    // Building the operator reads every window: that is not a change to undo.
    this.#windowJournal.checkpoint();
  }

  async #deliver(out: WindowOutput<unknown>, emitted: EmittedOutput[], state: KeyValueStore<unknown> = this.#stateJournal): Promise<void> {
    for (const result of out.results) {
      const sourceId = `window:${result.key}:${result.startMs}:${result.endMs}`;
      const ctx = this.#context(emitted, result.key, result.endMs - 1, sourceId, state);
      if (this.#windowMode === 'records') {
        const records = (result.value as TimedValue<EventRecord<T>>[]).map((tv) => tv.value);
        const window: WindowInfo = { key: result.key, startMs: result.startMs, endMs: result.endMs, trigger: result.trigger };
        await (this.#options.processWindow as ProcessWindowFn<T>)(records, ctx, window);
      } else {
        const record: EventRecord<WindowResult> = {
          key: result.key,
          eventTimeMs: result.endMs - 1,
          publishTimeMs: this.#clock.now(),
          properties: {},
          messageId: sourceId,
          topic: this.#options.topic,
          value: result,
        };
        await (this.#options.process as ProcessFn<WindowResult>)(record, ctx);
      }
    }
  }

  #context(
    emitted: EmittedOutput[],
    key: string | undefined,
    eventTimeMs: number,
    sourceId: string,
    state: KeyValueStore<unknown> = this.#stateJournal,
    traceId?: string,
  ): HandlerContext {
    return {
      tenant: this.#options.tenant,
      namespace: this.#options.namespace,
      log: this.#options.log ?? silentLogger,
      metrics: this.#metrics,
      state,
      traceId,
      score: this.#options.score ?? noModel,
      emit: (value: unknown, options: EmitOptions = {}) => {
        emitted.push({
          to: options.to ?? 'predictions',
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
    return createStateStore<unknown>({ ...this.#options.state, clock: this.#clock, metrics: this.#metrics, name: 'handler' });
  }

  #newWindowStore(): StateStore<WindowStoreValue> {
    // One record per changed window per flush: re-serialising whole accumulators per event
    // would make collect/lastN/distinct windows quadratic.
    return createStateStore<WindowStoreValue>({ clock: this.#clock, metrics: this.#metrics, name: 'windows', coalesce: true });
  }

  #newOperator(): WindowOperator<unknown> | undefined {
    return this.#windowConfig === undefined ? undefined : new WindowOperator<unknown>(this.#windowConfig, this.#windowJournal);
  }

  #journal<V>(store: StateStore<V>): JournaledStore<V> {
    return new JournaledStore<V>(store.store, () => this.#clock.now());
  }
}
