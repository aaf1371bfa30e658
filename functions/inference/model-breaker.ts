/**
 * Circuit breaker per model (opossum). When the model times out or fails too often, the circuit
 * opens and records get the namespace's fallback decision (e.g. `{ decision: 'review' }`)
 * instead of an error; after `resetTimeoutMs` one probe call is let through (half-open) and a
 * success closes the circuit again.
 *
 * opossum keeps its own real timers (setTimeout/setInterval): it cannot take our Clock.
 */
import CircuitBreaker from 'opossum';
import type { BreakerState } from '../breaker-state.ts';
import { ConfigError } from '../errors.ts';
import { noopMetrics, silentLogger, type Logger, type Metrics } from '../telemetry.ts';
import { ScoringMetrics } from './inference-metrics.ts';

/** What a record gets when the model cannot answer. Plain data, configured per namespace. */
export type FallbackDecision = Readonly<Record<string, string | number | boolean>>;

export interface ModelBreakerOptions {
  /** A batch taking longer than this counts as a failure. @default 1000 */
  timeoutMs?: number;
  /** Failure percentage in the rolling window that opens the circuit. @default 50 */
  errorThresholdPercentage?: number;
  /** Calls needed in the window before the circuit may open. @default 5 */
  volumeThreshold?: number;
  /** Time open before a half-open probe. @default 10000 */
  resetTimeoutMs?: number;
  /** Rolling statistics window. @default 10000 */
  rollingWindowMs?: number;
  /**
   * Decision for records the model could not score; `null` lets the error reach the caller.
   * @default { decision: 'review' }
   */
  fallback?: FallbackDecision | null;
}

export interface ModelBreakerConfig {
  readonly timeoutMs: number;
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly rollingWindowMs: number;
  readonly fallback: FallbackDecision | null;
}

export function compileModelBreakerOptions(options: ModelBreakerOptions = {}): ModelBreakerConfig {
  const cfg = {
    timeoutMs: options.timeoutMs ?? 1000,
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    volumeThreshold: options.volumeThreshold ?? 5,
    resetTimeoutMs: options.resetTimeoutMs ?? 10_000,
    rollingWindowMs: options.rollingWindowMs ?? 10_000,
    fallback:
      options.fallback === undefined
        ? Object.freeze({ decision: 'review' })
        : options.fallback === null
          ? null
          : Object.freeze({ ...options.fallback }),
  };
  for (const f of ['timeoutMs', 'resetTimeoutMs', 'rollingWindowMs'] as const) {
    if (!Number.isFinite(cfg[f]) || cfg[f] <= 0)
      throw new ConfigError(`inference.breaker.${f}`, cfg[f], 'use a duration in milliseconds > 0');
  }
  if (!(cfg.errorThresholdPercentage > 0 && cfg.errorThresholdPercentage <= 100)) {
    throw new ConfigError('inference.breaker.errorThresholdPercentage', cfg.errorThresholdPercentage, 'use a percentage in (0, 100]');
  }
  if (!Number.isInteger(cfg.volumeThreshold) || cfg.volumeThreshold < 0) {
    throw new ConfigError('inference.breaker.volumeThreshold', cfg.volumeThreshold, 'use an integer >= 0');
  }
  return Object.freeze(cfg);
}

/** Either the action's value or the fallback decision with why it was used. */
export type Guarded<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly fallback: FallbackDecision; readonly reason: 'open' | 'timeout' | 'error'; readonly error: string };

export interface ModelBreakerDeps {
  log?: Logger;
  metrics?: Metrics;
  /** @default 'model' */
  model?: string;
}

const EVENTS = ['open', 'halfOpen', 'close', 'failure', 'timeout', 'reject', 'fallback', 'success'] as const;

export class ModelBreaker<A extends unknown[], R> {
  readonly config: ModelBreakerConfig;
  readonly #breaker: CircuitBreaker<A, R>;
  readonly #metrics: ScoringMetrics;
  #closed = false;

  constructor(action: (...args: A) => Promise<R>, options: ModelBreakerOptions = {}, deps: ModelBreakerDeps = {}) {
    this.config = compileModelBreakerOptions(options);
    const model = deps.model ?? 'model';
    const log = (deps.log ?? silentLogger).child({ component: 'model-breaker', model });
    this.#metrics = new ScoringMetrics(deps.metrics ?? noopMetrics(), model);
    this.#breaker = new CircuitBreaker(action, {
      name: model,
      timeout: this.config.timeoutMs,
      errorThresholdPercentage: this.config.errorThresholdPercentage,
      volumeThreshold: this.config.volumeThreshold,
      resetTimeout: this.config.resetTimeoutMs,
      rollingCountTimeout: this.config.rollingWindowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
    });
    // opossum's typings overload `on` per event name; every listener here ignores its arguments.
    for (const event of EVENTS) this.#breaker.on(event as 'open', () => this.#metrics.breakerEvent(event));
    this.#breaker.on('open', () => {
      log.warn({ resetTimeoutMs: this.config.resetTimeoutMs }, 'inference circuit opened');
      this.#metrics.breakerState('open');
    });
    this.#breaker.on('halfOpen', () => {
      log.info({}, 'inference circuit half-open: probing');
      this.#metrics.breakerState('halfOpen');
    });
    this.#breaker.on('close', () => {
      log.info({}, 'inference circuit closed');
      this.#metrics.breakerState('closed');
    });
    this.#metrics.breakerState('closed');
  }

  get state(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  /** Runs the action through the circuit. Throws only when no fallback is configured. */
  async fire(...args: A): Promise<Guarded<R>> {
    try {
      return { ok: true, value: await this.#breaker.fire(...args) };
    } catch (err) {
      const fallback = this.config.fallback;
      if (fallback === null) throw err;
      const code = (err as { code?: string }).code;
      const reason = code === 'EOPENBREAKER' ? 'open' : code === 'ETIMEDOUT' ? 'timeout' : 'error';
      return { ok: false, fallback, reason, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Stops opossum's timers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#breaker.shutdown();
  }
}
