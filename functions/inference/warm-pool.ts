/**
 * A warm pool: N worker threads serving one model version. Each thread loads the model and
 * warms every bucket size before the pool takes traffic. Requests go to the thread with the
 * fewest outstanding batches.
 */
import { Worker } from 'node:worker_threads';
import { BeamlineError, ConfigError } from '../errors.ts';
import { noopMetrics, silentLogger, type CounterMetric, type Logger, type Metrics } from '../telemetry.ts';
import type { BackendChoice } from './backend-selection.ts';
import { INFERENCE_ERROR_CODES, closedError } from './errors.ts';
import { DEFAULT_BUCKETS } from './micro-batcher.ts';
import type { BackendName, ModelArtifact, RuntimeDescription } from './model-runtime.ts';
import type { FromWorker, PoolWorkerData, ToWorker, WorkerMemory } from './pool-protocol.ts';

export interface WarmPoolOptions {
  /** Worker threads. @default 1 */
  threads?: number;
  /** @default 'auto' */
  backend?: BackendName | 'auto';
  /** Preference order for 'auto' (see LoadRuntimeOptions.prefer). */
  prefer?: readonly BackendName[];
  /** Batch sizes warmed in every thread. @default [1, 8, 32, 128, 512] */
  buckets?: readonly number[];
  /** Threads inside each ONNX Runtime session. @default 1 */
  ortIntraOpThreads?: number;
  /** See LoadRuntimeOptions.allowSoftwareGpu. @default false */
  allowSoftwareGpu?: boolean;
  /** Model name for logs and metrics. @default 'model' */
  model?: string;
  /** Version label for logs and metrics. @default 'v1' */
  version?: string;
}

export interface WarmPoolConfig {
  readonly threads: number;
  readonly backend: BackendName | 'auto';
  readonly prefer: readonly BackendName[] | undefined;
  readonly buckets: readonly number[];
  readonly ortIntraOpThreads: number;
  readonly allowSoftwareGpu: boolean;
  readonly model: string;
  readonly version: string;
}

export function compileWarmPoolOptions(options: WarmPoolOptions = {}): WarmPoolConfig {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ConfigError('inference.pool.threads', threads, 'use an integer from 1 to 256');
  }
  const ortIntraOpThreads = options.ortIntraOpThreads ?? 1;
  if (!Number.isInteger(ortIntraOpThreads) || ortIntraOpThreads < 1) {
    throw new ConfigError('inference.pool.ortIntraOpThreads', ortIntraOpThreads, 'use an integer >= 1');
  }
  return Object.freeze({
    threads,
    backend: options.backend ?? 'auto',
    prefer: options.prefer === undefined ? undefined : Object.freeze([...options.prefer]),
    buckets: Object.freeze([...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b)),
    ortIntraOpThreads,
    allowSoftwareGpu: options.allowSoftwareGpu ?? false,
    model: options.model ?? 'model',
    version: options.version ?? 'v1',
  });
}

export interface PoolDeps {
  log?: Logger;
  metrics?: Metrics;
  /** Worker module speaking pool-protocol.ts; tests inject failing ones. @default ./pool-worker.ts */
  workerUrl?: URL;
}

export type WarmPoolState = 'running' | 'draining' | 'closed';

export interface PoolMemory {
  readonly version: string;
  readonly perThread: readonly WorkerMemory[];
  /** Sum over threads of heap + external bytes (native runtime allocations are not included). */
  readonly totalBytes: number;
}

export interface PredictResult {
  readonly output: Float32Array;
  /** Model time in the worker, excluding queueing and transfer. */
  readonly seconds: number;
  readonly version: string;
}

interface Outstanding {
  readonly resolve: (v: PredictResult) => void;
  readonly reject: (e: unknown) => void;
}

const WORKER_URL = new URL('./pool-worker.ts', import.meta.url);

class PoolThread {
  readonly worker: Worker;
  readonly outstanding = new Map<number, Outstanding>();
  readonly memoryWaiters = new Map<number, (m: WorkerMemory) => void>();
  ready: Extract<FromWorker, { type: 'ready' }> | undefined;
  exited = false;

  constructor(data: PoolWorkerData, url: URL) {
    this.worker = new Worker(url, { workerData: data });
  }
}

export class WarmPool {
  readonly config: WarmPoolConfig;
  readonly #threads: PoolThread[];
  readonly #log: Logger;
  readonly #workerData: PoolWorkerData;
  readonly #workerUrl: URL;
  readonly #deaths: CounterMetric;
  #respawning = new Set<Promise<void>>();
  readonly #description: RuntimeDescription;
  readonly #choice: BackendChoice;
  readonly #warmMs: Readonly<Record<number, number>>;
  #state: WarmPoolState = 'running';
  #nextId = 1;
  #drainWaiters: (() => void)[] = [];

  private constructor(
    config: WarmPoolConfig,
    threads: PoolThread[],
    log: Logger,
    workerData: PoolWorkerData,
    workerUrl: URL,
    metrics: Metrics,
  ) {
    this.config = config;
    this.#threads = threads;
    this.#log = log;
    this.#workerData = workerData;
    this.#workerUrl = workerUrl;
    this.#deaths = metrics.counter('beamline_inference_worker_deaths_total', 'Pool threads that died and were replaced', ['model']);
    const first = threads[0]?.ready;
    if (first === undefined) throw new Error('pool created without a ready thread');
    this.#description = first.description;
    this.#choice = first.choice;
    this.#warmMs = first.warmMs;
  }

  /** Starts the threads and resolves once every one has loaded the model and warmed all buckets. */
  static async create(artifact: ModelArtifact, options: WarmPoolOptions = {}, deps: PoolDeps = {}): Promise<WarmPool> {
    const config = compileWarmPoolOptions(options);
    const log = (deps.log ?? silentLogger).child({ component: 'warm-pool', model: config.model, version: config.version });
    const data = (backend: BackendName | 'auto'): PoolWorkerData => ({
      artifact,
      backend,
      ...(config.prefer === undefined ? {} : { prefer: config.prefer }),
      buckets: config.buckets,
      ortIntraOpThreads: config.ortIntraOpThreads,
      allowSoftwareGpu: config.allowSoftwareGpu,
      model: config.model,
    });
    // The first thread picks the backend; the others load exactly that one.
    const url = deps.workerUrl ?? WORKER_URL;
    const first = new PoolThread(data(config.backend), url);
    const threads = [first];
    let chosen: BackendName = 'tfjs-cpu';
    try {
      await WarmPool.#waitReady(first);
      chosen = first.ready?.choice.backend ?? chosen;
      for (let i = 1; i < config.threads; i++) threads.push(new PoolThread(data(chosen), url));
      await Promise.all(threads.slice(1).map((t) => WarmPool.#waitReady(t)));
    } catch (err) {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw err;
    }
    const pool = new WarmPool(config, threads, log, data(chosen), url, deps.metrics ?? noopMetrics());
    for (const t of threads) pool.#wire(t);
    log.info(
      { backend: pool.#choice.backend, reason: pool.#choice.reason, threads: threads.length, warmMs: pool.#warmMs },
      'warm pool ready',
    );
    deps.metrics
      ?.gauge('beamline_inference_backend_info', 'Backend chosen per model (value 1)', ['model', 'backend'])
      .set({ model: config.model, backend: pool.#choice.backend }, 1);
    return pool;
  }

  static #waitReady(t: PoolThread): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker): void => {
        if (msg.type === 'ready') {
          t.ready = msg;
          cleanup();
          resolve();
        } else if (msg.type === 'failed') {
          cleanup();
          reject(new BeamlineError(msg.code, `pool thread failed to start: ${msg.message}`, { details: { code: msg.code } }));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new BeamlineError(INFERENCE_ERROR_CODES.workerFailed, 'pool thread crashed while starting', { cause: err }));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new BeamlineError(INFERENCE_ERROR_CODES.workerFailed, 'pool thread exited while starting', { details: { exitCode: code } }));
      };
      const cleanup = (): void => {
        t.worker.off('message', onMessage);
        t.worker.off('error', onError);
        t.worker.off('exit', onExit);
      };
      t.worker.on('message', onMessage);
      t.worker.on('error', onError);
      t.worker.on('exit', onExit);
    });
  }

  #wire(t: PoolThread): void {
    t.worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'result' || msg.type === 'error') {
        const o = t.outstanding.get(msg.id);
        if (o === undefined) return;
        t.outstanding.delete(msg.id);
        if (msg.type === 'result') o.resolve({ output: msg.output, seconds: msg.seconds, version: this.config.version });
        else
          o.reject(
            new BeamlineError(msg.code, `inference failed: ${msg.message}`, { retriable: msg.code !== INFERENCE_ERROR_CODES.badInput }),
          );
        this.#maybeDrained();
      } else if (msg.type === 'memory') {
        t.memoryWaiters.get(msg.id)?.(msg.memory);
        t.memoryWaiters.delete(msg.id);
      }
    });
    const fail = (err: unknown): void => {
      if (t.exited) return;
      t.exited = true;
      for (const o of t.outstanding.values()) {
        o.reject(new BeamlineError(INFERENCE_ERROR_CODES.workerFailed, 'pool thread died', { retriable: true, cause: err }));
      }
      t.outstanding.clear();
      if (this.#state === 'running') {
        this.#log.error({ err }, 'pool thread died; starting a replacement');
        this.#deaths.inc({ model: this.config.model });
        this.#respawn(t);
      }
      this.#maybeDrained();
    };
    t.worker.on('error', fail);
    t.worker.on('exit', (code) => fail(new Error(`exit ${code}`)));
  }

  get state(): WarmPoolState {
    return this.#state;
  }

  /** Threads alive and serving. */
  get liveThreads(): number {
    return this.#threads.filter((t) => !t.exited).length;
  }

  /** Resolves once no replacement thread is starting (replacements load and warm first). */
  async settled(): Promise<void> {
    while (this.#respawning.size > 0) await Promise.all([...this.#respawning]);
  }

  #respawn(dead: PoolThread): void {
    const next = new PoolThread(this.#workerData, this.#workerUrl);
    const work = WarmPool.#waitReady(next)
      .then(async () => {
        if (this.#state !== 'running') {
          await next.worker.terminate();
          return;
        }
        const i = this.#threads.indexOf(dead);
        if (i >= 0) this.#threads[i] = next;
        else this.#threads.push(next);
        this.#wire(next);
        this.#log.info({ threads: this.liveThreads }, 'pool thread replaced');
      })
      .catch((err: unknown) => {
        this.#log.error({ err }, 'replacement pool thread failed to start');
        void next.worker.terminate();
      })
      .finally(() => this.#respawning.delete(work));
    this.#respawning.add(work);
  }

  describe(): RuntimeDescription {
    return this.#description;
  }

  get backendChoice(): BackendChoice {
    return this.#choice;
  }

  /** Milliseconds the first call at each bucket took while warming (thread 0). */
  get warmMs(): Readonly<Record<number, number>> {
    return this.#warmMs;
  }

  /** Batches the pool runs at once. */
  get parallelism(): number {
    return this.#threads.length;
  }

  get outstanding(): number {
    return this.#threads.reduce((n, t) => n + t.outstanding.size, 0);
  }

  predict(batch: Float32Array, shape: readonly number[]): Promise<PredictResult> {
    if (this.#state !== 'running') return Promise.reject(closedError(`warm pool ${this.config.version}`));
    let best: PoolThread | undefined;
    for (const t of this.#threads) {
      if (t.exited) continue;
      if (best === undefined || t.outstanding.size < best.outstanding.size) best = t;
    }
    if (best === undefined) {
      return Promise.reject(new BeamlineError(INFERENCE_ERROR_CODES.workerFailed, 'no live pool thread', { retriable: true }));
    }
    const id = this.#nextId++;
    const thread = best;
    return new Promise<PredictResult>((resolve, reject) => {
      thread.outstanding.set(id, { resolve, reject });
      const msg: ToWorker = { type: 'predict', id, batch, shape };
      thread.worker.postMessage(msg);
    });
  }

  async memory(): Promise<PoolMemory> {
    const perThread = await Promise.all(
      this.#threads
        .filter((t) => !t.exited)
        .map(
          (t) =>
            new Promise<WorkerMemory>((resolve) => {
              const id = this.#nextId++;
              t.memoryWaiters.set(id, resolve);
              const msg: ToWorker = { type: 'memory', id };
              t.worker.postMessage(msg);
            }),
        ),
    );
    return {
      version: this.config.version,
      perThread,
      totalBytes: perThread.reduce((n, m) => n + m.heapBytes + m.externalBytes, 0),
    };
  }

  /** Stops taking requests and waits until every outstanding one has completed. Idempotent. */
  async drain(): Promise<void> {
    if (this.#state === 'running') this.#state = 'draining';
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.drain();
    this.#state = 'closed';
    await this.settled();
    await Promise.all(
      this.#threads.map(async (t) => {
        if (t.exited) return;
        await t.worker.terminate();
      }),
    );
  }

  #maybeDrained(): void {
    if (this.#state === 'running' || this.outstanding > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
}
