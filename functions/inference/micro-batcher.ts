/**
 * Micro-batcher: collects records into batches for one model. Pure logic: time comes from the
 * injected Clock, work goes to an injected executor.
 *
 * Dispatch rule, evaluated on every arrival, completion and timer:
 * - a record is never held longer than `maxWaitMs` (overdue records go out even when every
 *   executor slot is busy: the executor queues them, the batcher does not);
 * - with a free executor slot, a batch goes out when it is full, or (adaptive) when the next
 *   record is not expected before the oldest record's deadline: under low load a lone record is
 *   scored at once instead of waiting out the window;
 * - high-priority records fill a batch before normal ones;
 * - the queue is bounded: beyond `maxQueued` submit fails with BL_INFERENCE_OVERLOADED.
 *
 * Priority lanes (#26): high-priority records have their own, tighter rule: a high batch goes
 * out when `highMaxBatchSize` high records wait, when the oldest has waited `highMaxWaitMs`, or at
 * once with a free slot (adaptive); it is topped up with normal records to `highMaxBatchSize` (a
 * small bucket costs the same either way). Normal records fill larger batches on the rules above.
 * Under overload the normal lane sheds first: normal records are refused at `maxQueued`, high
 * ones only `highHeadroom` records later.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { ConfigError, type BeamlineError } from '../errors.ts';
import { noopMetrics, silentLogger, type Logger, type Metrics } from '../telemetry.ts';
import { closedError, overloadedError } from './errors.ts';
import { BatchMetrics } from './inference-metrics.ts';

export type Priority = 'high' | 'normal';

export interface MicroBatcherOptions {
  /** Most records per batch; must not exceed the largest bucket. @default 128 */
  maxBatchSize?: number;
  /** Longest a record waits in the batcher before its batch is dispatched. @default 5 */
  maxWaitMs?: number;
  /** Batch sizes the model is warmed for; batches are padded up to the next one. @default [1, 8, 32, 128, 512] */
  buckets?: readonly number[];
  /** Queued records (both lanes) beyond which submit fails fast. @default 10000 */
  maxQueued?: number;
  /** Batches handed to the executor at once before records wait for a slot. @default 1 */
  maxInFlight?: number;
  /** Shorten the wait when the next record is not expected in time. @default true */
  adaptive?: boolean;
  /** #26: most records in a batch dispatched for the high lane. @default min(8, maxBatchSize) */
  highMaxBatchSize?: number;
  /** #26: longest a high-priority record waits. @default min(1, maxWaitMs) */
  highMaxWaitMs?: number;
  /** #26: queue room beyond maxQueued that only high-priority records may use. @default ceil(maxQueued / 10) */
  highHeadroom?: number;
}

export interface MicroBatcherConfig {
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  readonly buckets: readonly number[];
  readonly maxQueued: number;
  readonly maxInFlight: number;
  readonly adaptive: boolean;
  readonly highMaxBatchSize: number;
  readonly highMaxWaitMs: number;
  readonly highHeadroom: number;
}

export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([1, 8, 32, 128, 512]);

export function compileMicroBatcherOptions(options: MicroBatcherOptions = {}): MicroBatcherConfig {
  const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b);
  if (buckets.length === 0 || buckets.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new ConfigError('inference.batching.buckets', options.buckets, 'give positive integer batch sizes, e.g. [1, 8, 32, 128, 512]');
  }
  const largest = buckets[buckets.length - 1] ?? 1;
  const maxBatchSize = options.maxBatchSize ?? Math.min(128, largest);
  positiveInt('inference.batching.maxBatchSize', maxBatchSize);
  if (maxBatchSize > largest) {
    throw new ConfigError('inference.batching.maxBatchSize', maxBatchSize, `must not exceed the largest bucket (${largest})`);
  }
  const maxWaitMs = options.maxWaitMs ?? 5;
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new ConfigError('inference.batching.maxWaitMs', maxWaitMs, 'use a duration in milliseconds >= 0');
  }
  const maxQueued = options.maxQueued ?? 10_000;
  positiveInt('inference.batching.maxQueued', maxQueued);
  const maxInFlight = options.maxInFlight ?? 1;
  positiveInt('inference.batching.maxInFlight', maxInFlight);
  const highMaxBatchSize = options.highMaxBatchSize ?? Math.min(8, maxBatchSize);
  positiveInt('inference.batching.highMaxBatchSize', highMaxBatchSize);
  if (highMaxBatchSize > maxBatchSize) {
    throw new ConfigError('inference.batching.highMaxBatchSize', highMaxBatchSize, `must not exceed maxBatchSize (${maxBatchSize})`);
  }
  const highMaxWaitMs = options.highMaxWaitMs ?? Math.min(1, maxWaitMs);
  if (!Number.isFinite(highMaxWaitMs) || highMaxWaitMs < 0 || highMaxWaitMs > maxWaitMs) {
    throw new ConfigError(
      'inference.batching.highMaxWaitMs',
      highMaxWaitMs,
      `use a duration in milliseconds from 0 to maxWaitMs (${maxWaitMs})`,
    );
  }
  const highHeadroom = options.highHeadroom ?? Math.ceil(maxQueued / 10);
  if (!Number.isInteger(highHeadroom) || highHeadroom < 0)
    throw new ConfigError('inference.batching.highHeadroom', highHeadroom, 'use an integer >= 0');
  return Object.freeze({
    maxBatchSize,
    maxWaitMs,
    buckets: Object.freeze(buckets),
    maxQueued,
    maxInFlight,
    adaptive: options.adaptive ?? true,
    highMaxBatchSize,
    highMaxWaitMs,
    highHeadroom,
  });
}

function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(field, v, 'use an integer >= 1');
}

/** Smallest bucket that holds `n` records (the largest bucket when none does). */
export function bucketFor(n: number, buckets: readonly number[]): number {
  for (const b of buckets) if (b >= n) return b;
  return buckets[buckets.length - 1] ?? n;
}

/** Runs one batch; returns one result per item, in item order. */
export type BatchExecutor<I, O> = (items: readonly I[], bucket: number) => Promise<readonly O[]>;

export interface MicroBatcherDeps {
  clock?: Clock;
  metrics?: Metrics;
  log?: Logger;
  /** Metric label. @default 'model' */
  model?: string;
}

export type MicroBatcherState = 'running' | 'draining' | 'closed';

interface Pending<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  readonly resolve: (v: O) => void;
  readonly reject: (e: unknown) => void;
}

class Lane<T> {
  #items: T[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(v: T): void {
    this.#items.push(v);
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  shift(): T | undefined {
    const v = this.#items[this.#head];
    if (v === undefined) return undefined;
    this.#head++;
    // Compact occasionally so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
}

const GAP_EWMA_WEIGHT = 0.2;

export class MicroBatcher<I, O> {
  readonly config: MicroBatcherConfig;
  readonly #execute: BatchExecutor<I, O>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: BatchMetrics;
  readonly #high = new Lane<Pending<I, O>>();
  readonly #normal = new Lane<Pending<I, O>>();
  #state: MicroBatcherState = 'running';
  #inFlight = 0;
  #lastArrival: number | undefined;
  #gapEwmaMs: number | undefined;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #idleWaiters: (() => void)[] = [];

  constructor(execute: BatchExecutor<I, O>, options: MicroBatcherOptions = {}, deps: MicroBatcherDeps = {}) {
    this.config = compileMicroBatcherOptions(options);
    this.#execute = execute;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({ component: 'micro-batcher', model: deps.model ?? 'model' });
    this.#metrics = new BatchMetrics(deps.metrics ?? noopMetrics(), deps.model ?? 'model');
  }

  get state(): MicroBatcherState {
    return this.#state;
  }

  get queued(): number {
    return this.#high.size + this.#normal.size;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  submit(item: I, priority: Priority = 'normal'): Promise<O> {
    const r = this.trySubmit(item, priority);
    return r.accepted ? r.result : Promise.reject(r.error);
  }

  /** Like submit, but says synchronously whether the record was accepted. */
  trySubmit(item: I, priority: Priority = 'normal'): { accepted: true; result: Promise<O> } | { accepted: false; error: BeamlineError } {
    if (this.#state !== 'running') return { accepted: false, error: closedError('micro-batcher') };
    const limit = priority === 'high' ? this.config.maxQueued + this.config.highHeadroom : this.config.maxQueued;
    if (this.queued >= limit) {
      this.#metrics.shed(priority);
      return { accepted: false, error: overloadedError(this.queued, limit) };
    }
    const now = this.#clock.monotonic();
    if (this.#lastArrival !== undefined) {
      // Capped so that one long idle spell does not poison the estimate for long.
      const gap = Math.min(now - this.#lastArrival, 10 * this.config.maxWaitMs + 1);
      this.#gapEwmaMs = this.#gapEwmaMs === undefined ? gap : (1 - GAP_EWMA_WEIGHT) * this.#gapEwmaMs + GAP_EWMA_WEIGHT * gap;
    }
    this.#lastArrival = now;
    const result = new Promise<O>((resolve, reject) => {
      (priority === 'high' ? this.#high : this.#normal).push({ item, enqueuedAt: now, resolve, reject });
    });
    this.#pump();
    return { accepted: true, result };
  }

  /** Stops taking records, dispatches everything queued and waits for in-flight batches. Idempotent. */
  async drain(): Promise<void> {
    if (this.#state === 'running') this.#state = 'draining';
    this.#pump();
    if (this.queued === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    this.#state = 'closed';
    this.#clearTimer();
  }

  #oldestEnqueuedAt(): number {
    const h = this.#high.peek()?.enqueuedAt ?? Infinity;
    const n = this.#normal.peek()?.enqueuedAt ?? Infinity;
    return Math.min(h, n);
  }

  #worthWaiting(now: number, oldestAt: number): boolean {
    if (this.#state !== 'running') return false;
    if (!this.config.adaptive) return true;
    if (this.#gapEwmaMs === undefined) return false;
    return now - oldestAt + this.#gapEwmaMs < this.config.maxWaitMs;
  }

  #pump(): void {
    const now = this.#clock.monotonic();
    while (this.queued > 0) {
      const slotFree = this.#inFlight < this.config.maxInFlight;
      if (this.#highDue(now, slotFree)) {
        this.#dispatch(now, this.config.highMaxBatchSize, 'high');
        continue;
      }
      const oldestAt = this.#oldestEnqueuedAt();
      const overdue = now - oldestAt >= this.config.maxWaitMs;
      const full = this.queued >= this.config.maxBatchSize;
      if (!(overdue || (slotFree && (full || !this.#worthWaiting(now, oldestAt))))) break;
      this.#dispatch(now, this.config.maxBatchSize, 'normal');
    }
    this.#metrics.queue(this.#high.size, this.#normal.size);
    this.#armTimer(now);
    this.#notifyIdle();
  }

  /** #26: the high lane's own rule (see the top of this file). */
  #highDue(now: number, slotFree: boolean): boolean {
    const oldest = this.#high.peek();
    if (oldest === undefined) return false;
    if (now - oldest.enqueuedAt >= this.config.highMaxWaitMs) return true;
    if (!slotFree) return false;
    return this.#high.size >= this.config.highMaxBatchSize || this.#state !== 'running' || this.config.adaptive;
  }

  #armTimer(now: number): void {
    if (this.queued === 0) {
      this.#clearTimer();
      return;
    }
    const oldestAt = this.#oldestEnqueuedAt();
    let at = oldestAt + this.config.maxWaitMs;
    const highAt = this.#high.peek()?.enqueuedAt;
    if (highAt !== undefined) at = Math.min(at, highAt + this.config.highMaxWaitMs);
    // With a free slot, waiting only pays while the next record is expected before the deadline.
    if (this.config.adaptive && this.#gapEwmaMs !== undefined && this.#inFlight < this.config.maxInFlight) {
      at = Math.min(at, oldestAt + this.config.maxWaitMs - this.#gapEwmaMs);
    }
    at = Math.max(at, now);
    if (this.#timer !== undefined && this.#timerAt === at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#pump();
    }, at - now);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #dispatch(now: number, maxSize: number, lane: Priority): void {
    const batch: Pending<I, O>[] = [];
    while (batch.length < maxSize) {
      const next = this.#high.shift() ?? this.#normal.shift();
      if (next === undefined) break;
      batch.push(next);
    }
    const bucket = bucketFor(batch.length, this.config.buckets);
    this.#metrics.batch(
      batch.length,
      bucket,
      batch.map((p) => (now - p.enqueuedAt) / 1000),
      lane,
    );
    this.#inFlight++;
    const items = batch.map((p) => p.item);
    void Promise.resolve()
      .then(() => this.#execute(items, bucket))
      .then((results) => {
        if (results.length !== batch.length) {
          throw new Error(`executor returned ${results.length} results for ${batch.length} records`);
        }
        batch.forEach((p, i) => p.resolve(results[i] as O));
      })
      .catch((err: unknown) => {
        this.#log.warn({ err, size: batch.length }, 'inference batch failed');
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        this.#inFlight--;
        this.#pump();
      });
  }

  #notifyIdle(): void {
    if (this.#state === 'running' || this.queued > 0 || this.#inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
