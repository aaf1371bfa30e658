/**
 * The scoring patterns over one model:
 * - micro-batched (default): `score()` queues the record; the batcher forms padded batches;
 * - inline: `scoreInline()` scores one record now, bypassing the queue (lowest latency, worst
 *   throughput: for request/response paths with very low rates);
 * - asynchronous: `scoreAsync()` accepts the record and returns; the score is written later to
 *   an `AsyncScoreSink` (the runtime implements it by producing to a scores topic).
 * Every model call goes through the circuit breaker, so an unhealthy model yields the fallback
 * decision instead of an error.
 */
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import { noopMetrics, silentLogger, type Logger, type Metrics } from '../telemetry.ts';
import { INFERENCE_ERROR_CODES, closedError } from './errors.ts';
import { ScoringMetrics } from './inference-metrics.ts';
import { MicroBatcher, type MicroBatcherOptions, type Priority } from './micro-batcher.ts';
import { ModelBreaker, type FallbackDecision, type ModelBreakerOptions } from './model-breaker.ts';
import { rowSize, type ModelRuntime, type RuntimeDescription } from './model-runtime.ts';

/** Anything that scores a padded batch: a WarmPool, a ModelHost, or a runtime on this thread. */
export interface Scorer {
  predict(
    batch: Float32Array,
    shape: readonly number[],
  ): Promise<{ readonly output: Float32Array; readonly seconds: number; readonly version: string }>;
  describe(): RuntimeDescription;
  /** Batches it can run at once (pool threads). @default 1 */
  readonly parallelism?: number;
}

/** Adapts a runtime on the calling thread to `Scorer`. */
export function runtimeScorer(runtime: ModelRuntime, version = 'v1', clock: Clock = systemClock): Scorer {
  return {
    async predict(batch, shape) {
      const t0 = clock.monotonic();
      const output = await runtime.predict(batch, shape);
      return { output, seconds: (clock.monotonic() - t0) / 1000, version };
    },
    describe: () => runtime.describe(),
  };
}

export type Score =
  | {
      readonly kind: 'scored';
      readonly outputs: Float32Array;
      readonly version: string;
      /** #22: rows in the micro-batch that scored this one (before padding to its bucket). */
      readonly batchSize: number;
    }
  | { readonly kind: 'fallback'; readonly decision: FallbackDecision; readonly reason: 'open' | 'timeout' | 'error' };

/** Where asynchronous scores go (e.g. a producer on a scores topic). */
export interface AsyncScoreSink {
  write(key: string, score: Score): Promise<void>;
}

export interface InferenceEngineOptions {
  /** Name in logs and metrics. @default 'model' */
  model?: string;
  /** maxInFlight defaults to the scorer's parallelism. */
  batching?: MicroBatcherOptions;
  breaker?: ModelBreakerOptions;
}

export interface InferenceEngineDeps {
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
}

export type InferenceEngineState = 'running' | 'draining' | 'closed';

export class InferenceEngine {
  readonly #scorer: Scorer;
  readonly #batcher: MicroBatcher<Float32Array, Score>;
  readonly #breaker: ModelBreaker<[readonly Float32Array[], number], Score[]>;
  readonly #metrics: ScoringMetrics;
  readonly #log: Logger;
  #state: InferenceEngineState = 'running';
  #asyncPending = new Set<Promise<void>>();

  constructor(scorer: Scorer, options: InferenceEngineOptions = {}, deps: InferenceEngineDeps = {}) {
    const model = options.model ?? 'model';
    const metrics = deps.metrics ?? noopMetrics();
    this.#scorer = scorer;
    this.#log = (deps.log ?? silentLogger).child({ component: 'inference-engine', model });
    this.#metrics = new ScoringMetrics(metrics, model);
    this.#breaker = new ModelBreaker((rows, bucket) => this.#runBatch(rows, bucket), options.breaker, {
      model,
      metrics,
      ...(deps.log ? { log: deps.log } : {}),
    });
    this.#batcher = new MicroBatcher<Float32Array, Score>(
      (rows, bucket) => this.#guarded(rows, bucket),
      { maxInFlight: scorer.parallelism ?? 1, ...options.batching },
      { model, metrics, ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.log ? { log: deps.log } : {}) },
    );
  }

  get state(): InferenceEngineState {
    return this.#state;
  }

  get breakerState(): ModelBreaker<[readonly Float32Array[], number], Score[]>['state'] {
    return this.#breaker.state;
  }

  /** Micro-batched scoring (the default pattern). */
  score(row: Float32Array, priority: Priority = 'normal'): Promise<Score> {
    const bad = this.#check(row);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#batcher.submit(row, priority);
  }

  /** Scores one record now, in its own batch of one. */
  async scoreInline(row: Float32Array): Promise<Score> {
    const bad = this.#check(row);
    if (bad !== undefined) throw bad;
    // The smallest bucket: the pool warmed it, so an inline call never compiles a new shape.
    const [score] = await this.#guarded([row], this.#batcher.config.buckets[0] ?? 1);
    if (score === undefined) throw new BeamlineError(INFERENCE_ERROR_CODES.predictFailed, 'no score for the record');
    return score;
  }

  /**
   * Accepts the record (rejecting at once when overloaded or malformed) and writes its score to
   * `sink` later. Resolves on acceptance, not on scoring.
   */
  async scoreAsync(key: string, row: Float32Array, sink: AsyncScoreSink, priority: Priority = 'normal'): Promise<void> {
    const bad = this.#check(row);
    if (bad !== undefined) throw bad;
    const r = this.#batcher.trySubmit(row, priority);
    if (!r.accepted) throw r.error;
    const work: Promise<void> = r.result
      .then((score) => sink.write(key, score))
      .catch((err: unknown) => {
        this.#metrics.error(err instanceof BeamlineError ? err.code : INFERENCE_ERROR_CODES.sinkFailed);
        this.#log.warn({ err, key }, 'async score not delivered');
      })
      .finally(() => this.#asyncPending.delete(work));
    this.#asyncPending.add(work);
  }

  /** Stops taking records, finishes queued and asynchronous ones. Idempotent. */
  async drain(): Promise<void> {
    if (this.#state === 'running') this.#state = 'draining';
    await this.#batcher.drain();
    await Promise.all([...this.#asyncPending]);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.drain();
    await this.#batcher.close();
    this.#breaker.close();
    this.#state = 'closed';
  }

  #check(row: Float32Array): BeamlineError | undefined {
    if (this.#state !== 'running') return closedError('inference engine');
    const width = rowSize(this.#scorer.describe().rowShape);
    if (row.length !== width) {
      return new BeamlineError(INFERENCE_ERROR_CODES.badInput, 'record has the wrong number of features', {
        details: { expected: width, got: row.length },
      });
    }
    return undefined;
  }

  async #guarded(rows: readonly Float32Array[], bucket: number): Promise<Score[]> {
    const r = await this.#breaker.fire(rows, bucket);
    if (r.ok) return r.value;
    this.#metrics.fallbackRows(rows.length);
    const score: Score = { kind: 'fallback', decision: r.fallback, reason: r.reason };
    return rows.map(() => score);
  }

  async #runBatch(rows: readonly Float32Array[], bucket: number): Promise<Score[]> {
    const desc = this.#scorer.describe();
    const width = rowSize(desc.rowShape);
    // Padding to the warmed bucket size: zeros, whose outputs are discarded.
    const batch = new Float32Array(bucket * width);
    rows.forEach((row, i) => batch.set(row, i * width));
    let result;
    try {
      result = await this.#scorer.predict(batch, [bucket, ...desc.rowShape]);
    } catch (err) {
      this.#metrics.error(err instanceof BeamlineError ? err.code : INFERENCE_ERROR_CODES.predictFailed);
      throw err;
    }
    const per = desc.outputsPerRow;
    if (result.output.length < rows.length * per) {
      this.#metrics.error(INFERENCE_ERROR_CODES.predictFailed);
      throw new BeamlineError(INFERENCE_ERROR_CODES.predictFailed, 'model returned fewer outputs than rows', {
        details: { expected: bucket * per, got: result.output.length },
      });
    }
    const scores: Score[] = rows.map((_, i) => ({
      kind: 'scored',
      outputs: result.output.slice(i * per, (i + 1) * per),
      version: result.version,
      batchSize: rows.length,
    }));
    this.#metrics.batch(
      desc.backend,
      bucket,
      result.seconds,
      rows.length,
      scores.map((s) => (s.kind === 'scored' ? (s.outputs[0] ?? 0) : 0)),
    );
    return scores;
  }
}
