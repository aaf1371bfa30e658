/**
 * Serves one model through a warm pool and swaps versions without dropping or duplicating
 * requests: the new pool is loaded and warmed first, traffic then moves in one step, and the
 * old pool finishes what it already holds before it closes.
 */
import { noopMetrics, silentLogger, type Logger } from '../telemetry.ts';
import { closedError } from './errors.ts';
import { ScoringMetrics } from './inference-metrics.ts';
import type { ModelArtifact, RuntimeDescription } from './model-runtime.ts';
import { WarmPool, type PoolDeps, type PoolMemory, type PredictResult, type WarmPoolOptions } from './warm-pool.ts';

export type ModelHostState = 'running' | 'closed';

export class ModelHost {
  readonly #options: WarmPoolOptions;
  readonly #deps: PoolDeps;
  readonly #log: Logger;
  readonly #metrics: ScoringMetrics;
  #pool: WarmPool;
  #state: ModelHostState = 'running';
  #swapping: Promise<void> = Promise.resolve();

  private constructor(pool: WarmPool, options: WarmPoolOptions, deps: PoolDeps) {
    this.#pool = pool;
    this.#options = options;
    this.#deps = deps;
    this.#log = (deps.log ?? silentLogger).child({ component: 'model-host', model: pool.config.model });
    this.#metrics = new ScoringMetrics(deps.metrics ?? noopMetrics(), pool.config.model);
  }

  static async create(artifact: ModelArtifact, options: WarmPoolOptions = {}, deps: PoolDeps = {}): Promise<ModelHost> {
    const pool = await WarmPool.create(artifact, options, deps);
    const host = new ModelHost(pool, options, deps);
    await host.#reportMemory(pool);
    return host;
  }

  get state(): ModelHostState {
    return this.#state;
  }

  get version(): string {
    return this.#pool.config.version;
  }

  get pool(): WarmPool {
    return this.#pool;
  }

  get parallelism(): number {
    return this.#pool.parallelism;
  }

  describe(): RuntimeDescription {
    return this.#pool.describe();
  }

  predict(batch: Float32Array, shape: readonly number[]): Promise<PredictResult> {
    if (this.#state !== 'running') return Promise.reject(closedError('model host'));
    return this.#pool.predict(batch, shape);
  }

  /**
   * Loads and warms `version`, moves traffic to it, then drains and closes the old pool.
   * Swaps are serialised. If the new version fails to load, traffic stays on the old one.
   */
  swap(artifact: ModelArtifact, version: string, overrides: WarmPoolOptions = {}): Promise<void> {
    const run = this.#swapping.then(async () => {
      if (this.#state !== 'running') throw closedError('model host');
      const next = await WarmPool.create(artifact, { ...this.#options, ...overrides, version }, this.#deps);
      const old = this.#pool;
      this.#pool = next;
      this.#log.info({ from: old.config.version, to: version, backend: next.backendChoice.backend }, 'model version swapped');
      await this.#reportMemory(next);
      await old.close();
      this.#metrics.poolMemory(old.config.version, 0);
    });
    this.#swapping = run.catch(() => undefined);
    return run;
  }

  async memory(): Promise<PoolMemory> {
    return this.#pool.memory();
  }

  async #reportMemory(pool: WarmPool): Promise<void> {
    const m = await pool.memory();
    this.#metrics.poolMemory(pool.config.version, m.totalBytes);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#swapping;
    await this.#pool.close();
  }
}
