/**
 * One HTTP webhook sink: POSTs an action as JSON with its idempotency key, retries transient
 * failures with backoff, and sits behind its own circuit breaker (opossum) so a sink that is down
 * or slow is skipped quickly instead of holding every action for its timeout.
 *
 * Outcomes per action: `applied`, `duplicate` (this process already applied the key, or is
 * applying it right now), `rejected` (a permanent 4xx: retrying cannot help), `deferred` (breaker
 * open, or attempts used up: the caller hands the action back for a later redelivery).
 *
 * Delivery contract: at least once, with the action's idempotency key in the `Idempotency-Key`
 * header of every request. The sink never has two requests for one key in flight (a second apply
 * of a key in flight joins the first), and it sends a key again only after an attempt that failed:
 * an HTTP error, or an attempt that got no answer (`timeouts`, `connectionErrors`), which is
 * aborted before the next one starts. An unanswered attempt may still have reached the receiver,
 * so the receiver must apply each key once (dedupe by `Idempotency-Key`, as payment APIs do);
 * duplicate deliveries at the receiver are at most `timeouts + connectionErrors` (plus one per
 * key after a restart of this process, which forgets the keys it applied).
 *
 * #22: each attempt continues the action's trace: a `POST` client span under the caller's span,
 * whose W3C context goes out in `traceparent` / `tracestate`, and `x-beamline-trace-id` carries
 * the W3C trace id (the receiver can join its logs to the payment's trace).
 */
import { SINKS_ERROR_CODES } from './errors.ts';
import CircuitBreaker from 'opossum';
import { BeamlineError, ConfigError, systemClock, type Clock, type Logger, type Metrics, type TimerHandle } from '../functions/index.ts';
import {
  noopMetrics,
  noopTracer,
  silentLogger,
  traceProperties,
  type BreakerState,
  type SpanContext,
  type Tracer,
} from '../functions/control-plane.ts';

export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** A slower answer counts as a failure (the request is aborted, see `SinkStats.timeouts`). @default 5000 */
  timeoutMs?: number;
  headers?: Readonly<Record<string, string>>;
  /** Action types this sink applies (e.g. ['block']). @default every type */
  actions?: readonly string[];
  /** Attempts per delivery before the action is deferred. @default 4 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to retryMaxMs. @default 100 */
  retryBaseMs?: number;
  /** @default 2000 */
  retryMaxMs?: number;
  /** Failure percentage (over the rolling window) that opens the breaker. @default 50 */
  errorThresholdPercentage?: number;
  /** Calls in the window before the breaker may open. @default 3 */
  volumeThreshold?: number;
  /** How long the breaker stays open before a trial call. @default 10000 */
  resetTimeoutMs?: number;
  /** Idempotency keys remembered as applied. @default 100000 */
  rememberKeys?: number;
}

export type WebhookSinkConfig = Readonly<Required<Omit<WebhookSinkOptions, 'actions'>>> & { readonly actions: readonly string[] | null };

export type SinkOutcome = 'applied' | 'duplicate' | 'rejected' | 'deferred';

export interface SinkStats {
  applied: number;
  duplicates: number;
  rejected: number;
  deferred: number;
  /** Attempts after the first one. */
  retries: number;
  failures: number;
  /** Attempts aborted after `timeoutMs` without an answer: the receiver may have applied them, so the next attempt may be a duplicate delivery (same key). */
  timeouts: number;
  /** Attempts that failed without an HTTP answer (connection refused or reset): like timeouts, the receiver may have applied them. */
  connectionErrors: number;
  /** Times the breaker opened. */
  opened: number;
}

export function compileWebhookSinkOptions(o: WebhookSinkOptions): WebhookSinkConfig {
  const int = (field: string, v: number | undefined, dflt: number, min: number, max: number): number => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x < min || x > max)
      throw new ConfigError(`sinks.${o.name}.${field}`, x, `use a whole number from ${min} to ${max}`);
    return x;
  };
  if (typeof o.name !== 'string' || o.name === '') throw new ConfigError('sinks[].name', o.name, 'name each sink, e.g. "card-blocker"');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new ConfigError(`sinks.${o.name}.url`, o.url, 'give an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`sinks.${o.name}.url`, o.url, 'give an http:// or https:// URL');
  return Object.freeze({
    name: o.name,
    url: url.toString(),
    timeoutMs: int('timeoutMs', o.timeoutMs, 5000, 1, 600_000),
    headers: Object.freeze({ ...(o.headers ?? {}) }),
    actions: o.actions === undefined ? null : Object.freeze([...o.actions]),
    maxAttempts: int('maxAttempts', o.maxAttempts, 4, 1, 100),
    retryBaseMs: int('retryBaseMs', o.retryBaseMs, 100, 0, 600_000),
    retryMaxMs: int('retryMaxMs', o.retryMaxMs, 2000, 0, 600_000),
    errorThresholdPercentage: int('errorThresholdPercentage', o.errorThresholdPercentage, 50, 1, 100),
    volumeThreshold: int('volumeThreshold', o.volumeThreshold, 3, 1, 1_000_000),
    resetTimeoutMs: int('resetTimeoutMs', o.resetTimeoutMs, 10_000, 1, 3_600_000),
    rememberKeys: int('rememberKeys', o.rememberKeys, 100_000, 1, 10_000_000),
  });
}

/** An HTTP answer that retrying cannot change (4xx other than 408 and 429). */
class PermanentSinkError extends BeamlineError {
  constructor(status: number) {
    super(SINKS_ERROR_CODES.rejected, `the sink answered HTTP ${status}`, { retriable: false, details: { status } });
  }
}

/** An attempt that got no answer within `timeoutMs` (it was aborted; the receiver may still have applied it). */
class SinkTimeoutError extends BeamlineError {
  constructor(timeoutMs: number) {
    super(SINKS_ERROR_CODES.timeout, `the sink did not answer within ${timeoutMs} ms`, { retriable: true, details: { timeoutMs } });
  }
}

export type FetchFn = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number }>;

export interface WebhookSinkDeps {
  fetch?: FetchFn;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** #22: a client span per attempt. @default noopTracer() (the context still goes out in headers) */
  tracer?: Tracer;
}

export class WebhookSink {
  readonly config: WebhookSinkConfig;
  readonly stats: SinkStats = {
    applied: 0,
    duplicates: 0,
    rejected: 0,
    deferred: 0,
    retries: 0,
    failures: 0,
    timeouts: 0,
    connectionErrors: 0,
    opened: 0,
  };
  readonly #breaker: CircuitBreaker<[string, string, Record<string, string>], void>;
  readonly #applied = new Set<string>();
  /** Keys being applied now: a second apply of one joins it instead of sending the key again concurrently. */
  readonly #pending = new Map<string, Promise<SinkOutcome>>();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #outcomes: ReturnType<Metrics['counter']>;
  readonly #tracer: Tracer;
  readonly #server: { readonly 'server.address': string; readonly 'server.port': number };

  constructor(options: WebhookSinkOptions, deps: WebhookSinkDeps = {}) {
    const c = compileWebhookSinkOptions(options);
    this.config = c;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({ component: 'webhook-sink', sink: c.name });
    const metrics = deps.metrics ?? noopMetrics();
    this.#tracer = deps.tracer ?? noopTracer();
    const u = new URL(c.url);
    this.#server = { 'server.address': u.hostname, 'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
    this.#outcomes = metrics.counter('beamline_action_sink_outcomes_total', 'Actions per sink by outcome', ['sink', 'outcome']);
    const state = metrics.gauge('beamline_action_sink_breaker_state', 'Sink breaker: 1 open, 0 closed', ['sink']);
    const fetchFn: FetchFn = deps.fetch ?? ((url, init) => fetch(url, init));
    const clock = this.#clock;
    const call = async (body: string, key: string, trace: Record<string, string>): Promise<void> => {
      // One timer both aborts the request and fails the attempt, so a timed-out request is gone
      // before the retry starts (opossum's own timeout would leave it running beside the retry).
      const abort = new AbortController();
      let timer: TimerHandle | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => {
          const err = new SinkTimeoutError(c.timeoutMs);
          abort.abort(err);
          reject(err);
        }, c.timeoutMs);
      });
      let res: { ok: boolean; status: number };
      try {
        res = await Promise.race([
          fetchFn(c.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key, ...trace, ...c.headers },
            body,
            signal: abort.signal,
          }),
          timedOut,
        ]);
      } finally {
        if (timer !== undefined) clock.clearTimeout(timer);
      }
      if (res.ok) return;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentSinkError(res.status);
      throw new BeamlineError(SINKS_ERROR_CODES.failed, `the sink answered HTTP ${res.status}`, {
        retriable: true,
        details: { status: res.status },
      });
    };
    // opossum keeps its own real timers for resetTimeout (it cannot take our Clock); the call
    // timeout is ours (above).
    this.#breaker = new CircuitBreaker(call, {
      timeout: false,
      errorThresholdPercentage: c.errorThresholdPercentage,
      volumeThreshold: c.volumeThreshold,
      resetTimeout: c.resetTimeoutMs,
      // A refused action says nothing about the sink's health.
      errorFilter: (err: unknown) => err instanceof PermanentSinkError,
    });
    this.#breaker.on('open', () => {
      this.stats.opened++;
      state.set({ sink: c.name }, 1);
      this.#log.warn({ failures: this.stats.failures }, 'sink breaker opened');
    });
    this.#breaker.on('close', () => {
      state.set({ sink: c.name }, 0);
      this.#log.info({}, 'sink breaker closed');
    });
  }

  get breakerState(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  handles(actionType: string): boolean {
    return this.config.actions === null || this.config.actions.includes(actionType);
  }

  /**
   * Applies one action: at most one request per key in flight, and once applied a key is not sent
   * again by this process. A call for a key already in flight waits for that one and reports
   * `duplicate` if it applied (else its outcome). `trace` (#22): the caller's span context, which
   * the request continues.
   */
  async apply(action: Readonly<Record<string, unknown>>, key: string, trace?: SpanContext): Promise<SinkOutcome> {
    if (this.#applied.has(key)) return this.#count('duplicate');
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      const first = await pending;
      return this.#count(first === 'applied' ? 'duplicate' : first);
    }
    const p = this.#send(action, key, trace).finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }

  async #send(action: Readonly<Record<string, unknown>>, key: string, trace: SpanContext | undefined): Promise<SinkOutcome> {
    const body = JSON.stringify(action);
    const fallbackTraceId = typeof action['traceId'] === 'string' ? action['traceId'] : '';
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      if (attempt > 1) this.stats.retries++;
      const span = this.#tracer.startSpan('POST', {
        kind: 'client',
        parent: trace,
        attributes: {
          'http.request.method': 'POST',
          ...this.#server,
          'beamline.sink': this.config.name,
          ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
        },
      });
      const ctx = span.context;
      const headers = { ...traceProperties(ctx), 'x-beamline-trace-id': ctx?.traceId ?? fallbackTraceId };
      try {
        await this.#breaker.fire(body, key, headers);
        span.end();
        this.#remember(key);
        return this.#count('applied');
      } catch (err) {
        span.setError((err as { code?: string }).code ?? 'request failed');
        span.end();
        if (err instanceof PermanentSinkError) {
          this.#log.warn({ key, err: err.message }, 'sink rejected the action');
          return this.#count('rejected');
        }
        if ((err as { code?: string }).code === 'EOPENBREAKER') return this.#count('deferred');
        this.stats.failures++;
        if (err instanceof SinkTimeoutError) this.stats.timeouts++;
        // fetch fails with a plain TypeError when no answer came (refused, reset); opossum's own errors carry a code.
        else if (!(err instanceof BeamlineError) && (err as { code?: unknown }).code === undefined) this.stats.connectionErrors++;
        this.#log.debug({ key, attempt, err: (err as Error).message }, 'sink call failed');
        if (attempt < this.config.maxAttempts)
          await this.#sleep(Math.min(this.config.retryMaxMs, this.config.retryBaseMs * 2 ** (attempt - 1)));
      }
    }
    return this.#count('deferred');
  }

  close(): void {
    this.#breaker.shutdown();
  }

  #count(outcome: SinkOutcome): SinkOutcome {
    const field = outcome === 'duplicate' ? 'duplicates' : outcome;
    this.stats[field]++;
    this.#outcomes.inc({ sink: this.config.name, outcome });
    return outcome;
  }

  #remember(key: string): void {
    this.#applied.add(key);
    if (this.#applied.size > this.config.rememberKeys) {
      const oldest = this.#applied.values().next().value;
      if (oldest !== undefined) this.#applied.delete(oldest);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }
}
