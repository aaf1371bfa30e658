/**
 * The chaos scenarios: what each one breaks, for how long, and the written expectation its
 * verdict checks. Every scenario also expects (harness): no acknowledged event lost, none decided
 * twice, the lag back under the threshold after healing, the worker's heap under the ceiling,
 * dead letters exactly the poison records, every block delivered to the webhook.
 */
import { killBroker, restartBroker, type Scenario, type ScenarioResult } from './harness.ts';

export interface ScenarioScale {
  /** Seconds a timed fault is held (latency, resets, sinks, model stall). */
  faultS: number;
  /** Seconds the broker stays paused. @default 30 */
  pauseS: number;
  /** Seconds of the producer burst. @default 20 */
  burstS: number;
  /**
   * The burst's rate as a multiple of the base rate (50/s): 5,000/s, about 5x what one worker
   * sustains on a 2-core machine that also runs the broker, the suite and the model server
   * (it drained about 1,050/s past the base rate there). The backlog must grow on the broker.
   * @default 100
   */
  burstFactor: number;
  /** Poison records in the burst. @default 500 */
  poison: number;
}

export const DEFAULT_SCALE: ScenarioScale = { faultS: 20, pauseS: 30, burstS: 20, burstFactor: 100, poison: 500 };

export function scenarios(scale: ScenarioScale = DEFAULT_SCALE): Scenario[] {
  let resetTimer: NodeJS.Timeout | undefined;
  return [
    {
      name: 'broker-kill',
      expectation: 'broker JVM SIGKILLed, restarted on its data: decisions resume after restart, exactly once',
      faultS: 0,
      inject: (env) => killBroker(env),
      heal: (env) => restartBroker(env),
    },
    {
      name: 'broker-pause',
      expectation: `broker SIGSTOPped for ${scale.pauseS} s then SIGCONT: the worker waits (no crash, no loss), lag drains after`,
      faultS: scale.pauseS,
      inject: async (env) => void process.kill(env.broker.pid, 'SIGSTOP'),
      heal: async (env) => void process.kill(env.broker.pid, 'SIGCONT'),
    },
    {
      name: 'proxy-latency',
      expectation: `100 ms ± 50 ms added each way worker<->broker for ${scale.faultS} s: slower commits, no loss, p99 back after`,
      faultS: scale.faultS,
      inject: async (env) => env.proxy.set({ latencyMs: 100, jitterMs: 50 }),
      heal: async (env) => env.proxy.heal(),
    },
    {
      name: 'proxy-bandwidth',
      expectation: `worker<->broker limited to 256 KiB/s for ${scale.faultS} s: throughput bound by the link, lag on the broker, drains after`,
      faultS: scale.faultS,
      inject: async (env) => env.proxy.set({ bandwidthBytesPerSec: 256 * 1024 }),
      heal: async (env) => env.proxy.heal(),
    },
    {
      name: 'proxy-resets',
      expectation: `every worker<->broker connection reset (RST) every 3 s for ${scale.faultS} s: reconnects, aborted commits handed back, no loss or duplicate`,
      faultS: scale.faultS,
      inject: async (env) => {
        env.proxy.resetAll();
        resetTimer = setInterval(() => env.proxy.resetAll(), 3_000);
      },
      heal: async () => {
        clearInterval(resetTimer);
      },
    },
    {
      name: 'webhook-slow',
      expectation: `webhook answers after 800 ms for ${scale.faultS} s: decisions unaffected (the sink is off the decision path), actions catch up`,
      faultS: scale.faultS,
      inject: async (env) => env.webhook.set({ delayMs: 800 }),
      heal: async (env) => env.webhook.heal(),
    },
    {
      name: 'webhook-failing',
      expectation: `webhook answers 503 for ${scale.faultS} s: decisions unaffected; blocks retried, breaker opens, every block delivered after`,
      faultS: scale.faultS,
      inject: async (env) => env.webhook.set({ failing: true }),
      heal: async (env) => env.webhook.heal(),
    },
    {
      name: 'model-stall',
      expectation: `model server holds every call for ${scale.faultS} s: calls time out, the breaker opens, records get the fallback decision (exactly once), scoring resumes after`,
      faultS: scale.faultS,
      inject: async (env) => env.model.set({ stalled: true }),
      heal: async (env) => env.model.heal(),
      check: (r) => (r.fallbacks > 0 ? [] : ['no fallback decisions while the model was stalled']),
    },
    {
      name: 'poison-burst',
      expectation: `${scale.poison} records that are not JSON at once: each dead-lettered with its reason, the rest decided, no stall`,
      faultS: Math.min(scale.faultS, 10),
      poison: scale.poison,
      inject: async () => undefined,
      heal: async () => undefined,
    },
    {
      name: 'producer-burst',
      expectation: `producer at ${scale.burstFactor}x the base rate (past what the worker sustains) for ${scale.burstS} s: backlog grows on the broker, not in the worker (heap bounded), priority events keep their latency (their own lane), drains at full rate after`,
      faultS: scale.burstS,
      rateFactor: scale.burstFactor,
      inject: async () => undefined,
      heal: async () => undefined,
      check: burstChecks,
    },
  ];
}

/**
 * The burst must overload the worker (else it shows neither backpressure nor a lane), and with
 * the priority lane on, priority events must keep their latency while ordinary ones wait.
 */
export function burstChecks(r: ScenarioResult): string[] {
  const normal = r.p99NormalDuringMs;
  const priority = r.p99PriorityDuringMs;
  const before = r.p99BeforeMs;
  if (normal === null || priority === null || before === null) return ['no latency measured before or during the burst'];
  const reasons: string[] = [];
  if (normal < Math.max(2_000, 5 * before)) {
    reasons.push(`the burst did not overload the worker (normal p99 ${normal} ms during, ${before} ms before): raise --burst-factor`);
  } else if (r.lanes && priority > Math.max(1_000, normal / 10)) {
    reasons.push(`priority events did not keep their latency: p99 ${priority} ms during the burst, normal ${normal} ms`);
  }
  return reasons;
}
