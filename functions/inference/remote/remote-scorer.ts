/**
 * A model version served by another process (#25), as a `Scorer` the InferenceEngine drives like
 * a warm pool: the engine's micro-batcher forms batches (one request per batch), its breaker turns
 * an unhealthy server into the namespace's fallback decision. This adds what only a remote call
 * needs:
 * - a bound on requests in flight (a semaphore: the batcher may hand over overdue batches even
 *   when its own slots are busy, so the bound is enforced here, backoff waits included);
 * - a per-request timeout, and retries with full-jitter exponential backoff for retriable
 *   failures only (timeouts, connection errors, 5xx; never 4xx or a malformed answer);
 * - a health probe before the version takes traffic: server ready, model ready, metadata that
 *   fits the signature, and one probe row scored.
 *
 * Rows and results: each request carries the batch's rows in order and the answer's row i is
 * the batch's row i (checked: same row count, same request id), so calls may complete in any
 * order without a result reaching the wrong record. Per-key order is the worker's: it awaits a
 * key's records one after another.
 */
import { systemClock, type Clock } from '../../clock.ts';
import { BeamlineError } from '../../errors.ts';
import { noopMetrics, silentLogger, type Logger, type Metrics } from '../../telemetry.ts';
import { INFERENCE_ERROR_CODES, closedError } from '../errors.ts';
import type { Scorer } from '../inference-engine.ts';
import type { RuntimeDescription } from '../model-runtime.ts';
import { OipClient, RemoteCallError, type OipModelMetadata } from './oip-client.ts';
import { resolveAuthHeaders } from './remote-auth.ts';
import { RemoteMetrics } from './remote-metrics.ts';
import { compileRemoteCallOptions, compileRemoteModelSpec, type RemoteCallConfig, type RemoteModelSpec } from './remote-spec.ts';

export interface RemoteScorerDeps {
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** The version id reported with every score and used as the metric label, e.g. `fraud@3`. @default the spec's model */
  version?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Where `env` credentials come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Uniform [0, 1) for the backoff jitter. @default Math.random */
  random?: () => number;
}

export type RemoteScorerState = 'probing' | 'ready' | 'closed';

/** Full jitter: uniform in [0, min(max, base * 2^(retry-1))). `retry` counts from 1. */
export function jitteredBackoffMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/** Slots for requests in flight; waiters are served first come, first served. */
class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

export class RemoteScorer implements Scorer {
  readonly spec: RemoteModelSpec;
  readonly config: RemoteCallConfig;
  readonly version: string;
  readonly #client: OipClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: RemoteMetrics;
  readonly #random: () => number;
  readonly #slots: Slots;
  readonly #description: RuntimeDescription;
  #inputName: string;
  #state: RemoteScorerState = 'probing';
  #inFlight = 0;
  #peakInFlight = 0;

  private constructor(spec: RemoteModelSpec, headers: Readonly<Record<string, string>>, deps: RemoteScorerDeps) {
    this.spec = spec;
    this.config = compileRemoteCallOptions(spec.calls);
    this.version = deps.version ?? spec.model;
    this.#clock = deps.clock ?? systemClock;
    this.#client = new OipClient(spec, headers, { clock: this.#clock, ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }) });
    this.#log = (deps.log ?? silentLogger).child({
      component: 'remote-scorer',
      model: this.version,
      endpoint: spec.endpoint,
      remoteModel: spec.model,
    });
    this.#metrics = new RemoteMetrics(deps.metrics ?? noopMetrics(), this.version);
    this.#random = deps.random ?? Math.random;
    this.#slots = new Slots(this.config.maxInFlight);
    this.#inputName = spec.inputName ?? 'input-0';
    this.#description = Object.freeze({
      format: 'remote',
      backend: 'remote-oip',
      rowShape: spec.signature.input,
      outputsPerRow: spec.signature.output.reduce((a, b) => a * b, 1),
    });
  }

  /**
   * Resolves the credential, then probes the server until it and the model are ready (or
   * `readyTimeoutMs` passes), checks the metadata against the signature and scores one probe row.
   * Only then does the scorer take traffic: a version whose server is down never goes live.
   */
  static async connect(spec: unknown, deps: RemoteScorerDeps = {}): Promise<RemoteScorer> {
    const s = compileRemoteModelSpec(spec);
    const headers = await resolveAuthHeaders(s.auth, deps.env);
    const scorer = new RemoteScorer(s, headers, deps);
    await scorer.#probe();
    return scorer;
  }

  get state(): RemoteScorerState {
    return this.#state;
  }

  /** Batches the engine may hand over at once: the in-flight bound. */
  get parallelism(): number {
    return this.config.maxInFlight;
  }

  /** Requests awaiting an answer now, and the most at once so far. */
  get inFlight(): { now: number; peak: number } {
    return { now: this.#inFlight, peak: this.#peakInFlight };
  }

  /**
   * Worst time one batch can take: every attempt timing out, every backoff at its cap. The
   * breaker's timeout is set from it, so the breaker's own timer never cuts a call that is still
   * within its budget.
   */
  get worstCaseMs(): number {
    const c = this.config;
    return c.maxAttempts * c.requestTimeoutMs + (c.maxAttempts - 1) * c.retryMaxMs;
  }

  describe(): RuntimeDescription {
    return this.#description;
  }

  async predict(batch: Float32Array, shape: readonly number[]): Promise<{ output: Float32Array; seconds: number; version: string }> {
    if (this.#state === 'closed') throw closedError('remote scorer');
    const rows = shape[0] ?? 0;
    const t0 = this.#clock.monotonic();
    await this.#slots.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await this.#call(batch, rows);
          return { output: r, seconds: (this.#clock.monotonic() - t0) / 1000, version: this.version };
        } catch (err) {
          const retriable = err instanceof BeamlineError && err.retriable;
          if (!retriable || attempt >= this.config.maxAttempts || (this.#state as RemoteScorerState) === 'closed') throw err;
          this.#metrics.retry();
          const delay = jitteredBackoffMs(attempt, this.config.retryBaseMs, this.config.retryMaxMs, this.#random);
          this.#log.debug({ attempt, delayMs: delay, code: err.code }, 'remote call retried');
          if (delay > 0) await this.#clock.sleep(delay);
        }
      }
    } finally {
      this.#slots.release();
    }
  }

  /** Stops taking batches (calls in flight finish on their own timeouts). Idempotent. */
  close(): Promise<void> {
    this.#state = 'closed';
    return Promise.resolve();
  }

  async #call(batch: Float32Array, rows: number): Promise<Float32Array> {
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    this.#metrics.inFlight(1);
    const t0 = this.#clock.monotonic();
    try {
      const r = await this.#client.infer(batch, rows, this.#inputName, this.config.requestTimeoutMs);
      this.#metrics.request('ok', (this.#clock.monotonic() - t0) / 1000);
      return r.values;
    } catch (err) {
      this.#metrics.request(err instanceof RemoteCallError ? err.kind : 'bad-response', (this.#clock.monotonic() - t0) / 1000);
      throw err;
    } finally {
      this.#inFlight--;
      this.#metrics.inFlight(-1);
    }
  }

  async #probe(): Promise<void> {
    const deadline = this.#clock.monotonic() + this.config.readyTimeoutMs;
    const perCall = Math.max(this.config.requestTimeoutMs, 1000);
    let last: string;
    for (;;) {
      try {
        if (!(await this.#client.serverReady(perCall))) last = 'server not ready';
        else if (!(await this.#client.modelReady(perCall))) last = 'model not ready';
        else break;
      } catch (err) {
        // A 4xx on a readiness path is a misconfiguration (wrong auth, wrong path): waiting cannot fix it.
        if (err instanceof RemoteCallError && err.kind === 'rejected') throw err;
        last = err instanceof Error ? err.message : String(err);
      }
      const left = deadline - this.#clock.monotonic();
      if (left <= 0) {
        this.#metrics.ready(false);
        throw new BeamlineError(
          INFERENCE_ERROR_CODES.remoteNotReady,
          `remote model ${this.spec.model} at ${this.spec.endpoint} did not report ready within ${this.config.readyTimeoutMs} ms (${last})`,
          {
            retriable: true,
            details: { endpoint: this.spec.endpoint, model: this.spec.model, readyTimeoutMs: this.config.readyTimeoutMs, last },
          },
        );
      }
      await this.#clock.sleep(Math.min(250, left));
    }
    this.#inputName = this.#checkMetadata(await this.#client.metadata(perCall));
    // One probe row: the output tensor, its columns and the signature's width all fit.
    const width = this.#description.rowShape.reduce((a, b) => a * b, 1);
    const out = await this.#client.infer(new Float32Array(width), 1, this.#inputName, perCall);
    if (out.values.length !== this.#description.outputsPerRow || Array.from(out.values).some((v) => !Number.isFinite(v))) {
      throw new RemoteCallError('bad-response', "the probe row did not give the signature's outputs as finite numbers", {
        outputs: Array.from(out.values).slice(0, 8),
      });
    }
    this.#metrics.ready(true);
    this.#state = 'ready';
    this.#log.info(
      { inputName: this.#inputName, maxInFlight: this.config.maxInFlight, requestTimeoutMs: this.config.requestTimeoutMs },
      'remote model ready',
    );
  }

  /** The input tensor to send; refuses metadata that contradicts the signature. */
  #checkMetadata(m: OipModelMetadata): string {
    const wanted = this.spec.inputName;
    const input = wanted === undefined ? m.inputs[0] : m.inputs.find((i) => i.name === wanted);
    if (wanted !== undefined && input === undefined && m.inputs.length > 0) {
      throw new RemoteCallError('rejected', `the remote model has no input named ${wanted}`, { inputs: m.inputs.map((i) => i.name) });
    }
    if (input === undefined) return wanted ?? 'input-0';
    const sig = this.spec.signature.input;
    const dims = input.shape.slice(1);
    const fits = dims.length === 0 || (dims.length === sig.length && dims.every((d, i) => d < 0 || d === sig[i]));
    if (!fits) {
      throw new RemoteCallError('rejected', "the remote model's input shape does not match the signature", {
        input: input.name,
        shape: input.shape,
        signatureInput: sig,
      });
    }
    return input.name;
  }
}
