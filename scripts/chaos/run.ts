/**
 * `npm run chaos` (scripts/bench/suites/chaos.ts through the bench runner): every scenario of
 * scenarios.ts against a broker of the suite's own (name `chaos`, port offset 550), one after
 * another, each with its verdict; rows for bench-results/chaos.{json,md}.
 *
 *   npm run chaos                                   # every scenario, about 10-12 minutes
 *   npm run chaos -- --only proxy-resets,model-stall --fault-s 8 --rate 50
 */
import { ConfigError } from '../../functions/index.ts';
import { runScenario, startEnv, stopEnv, type ScenarioResult, type Timing } from './harness.ts';
import { DEFAULT_SCALE, scenarios, type ScenarioScale } from './scenarios.ts';

export interface ChaosOptions {
  /** Scenario names to run. @default every scenario */
  only?: readonly string[];
  /** @default 'chaos' */
  brokerName?: string;
  /** @default 550 */
  brokerOffset?: number;
  timing?: Partial<Timing>;
  scale?: Partial<ScenarioScale>;
  log?: (line: string) => void;
}

/**
 * 50 events/s: about a third of what one worker decides on a loaded 2-core machine, so a fault's
 * backlog drains at a visible rate afterwards (the producer burst goes well past it).
 */
export const DEFAULT_TIMING: Timing = { rate: 50, beforeS: 5, afterS: 10, maxRecoverS: 240, heapCeilingMiB: 384, lanes: true };

export function scenarioNames(): string[] {
  return scenarios().map((s) => s.name);
}

export async function runChaos(o: ChaosOptions = {}): Promise<ScenarioResult[]> {
  const timing: Timing = { ...DEFAULT_TIMING, ...o.timing };
  const all = scenarios({ ...DEFAULT_SCALE, ...o.scale });
  const unknown = (o.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0) throw new ConfigError('--only', unknown.join(','), `name scenarios from: ${all.map((s) => s.name).join(', ')}`);
  const chosen = o.only === undefined ? all : all.filter((s) => o.only?.includes(s.name));
  const log = o.log ?? ((line: string) => void process.stderr.write(`[chaos] ${line}\n`));
  const env = await startEnv({ brokerName: o.brokerName ?? 'chaos', brokerOffset: o.brokerOffset ?? 550, log });
  const results: ScenarioResult[] = [];
  try {
    for (const sc of chosen) {
      log(`${sc.name}: ${sc.expectation}`);
      results.push(await runScenario(env, sc, timing));
    }
  } finally {
    await stopEnv(env);
  }
  return results;
}

const ms = (v: number | null): string | number => (v === null ? '-' : v);

/** One table row per scenario (the bench report's columns). */
export function chaosRows(results: readonly ScenarioResult[]): Array<Record<string, string | number>> {
  return results.map((r) => ({
    scenario: r.scenario,
    verdict: r.verdict,
    sent: r.sent,
    lost: r.lost,
    duplicated: r.duplicated,
    'dead-lettered': r.deadLettered,
    'recover s': r.recoverS ?? '-',
    'peak lag': r.peakLag,
    // Net rate the lag fell after healing (the worker decided this much faster than the base rate).
    'net drain/s': r.recoverS !== null && r.recoverS > 0 ? Math.round(r.peakLag / r.recoverS) : '-',
    'peak broker backlog': r.peakBacklog ?? '-',
    'worker heap MiB': r.heapPeakMiB,
    'p99 before ms': ms(r.p99BeforeMs),
    'p99 during ms': ms(r.p99DuringMs),
    'p99 after ms': ms(r.p99AfterMs),
    'p99 priority/normal during ms': `${ms(r.p99PriorityDuringMs)}/${ms(r.p99NormalDuringMs)}`,
    'fallbacks during': r.fallbacksDuring,
    fallbacks: r.fallbacks,
    'blocks (missing at webhook)': `${r.blocks} (${r.actionsMissing})`,
  }));
}

/** The expectations and any failure reasons, for the notes under the table. */
export function chaosNotes(results: readonly ScenarioResult[], timing: Timing): string[] {
  return [
    `base rate ${timing.rate}/s; ${timing.beforeS} s before each fault, ${timing.afterS} s after recovery; worker heap ceiling ${timing.heapCeilingMiB} MiB; recovered = lag (sent - decided) back to <= max(50, rate) events`,
    'every scenario expects: 0 acknowledged events lost, 0 decided twice, recovery within the limit, heap under the ceiling, dead letters = poison records, every block delivered to the webhook',
    ...results.map((r) => `${r.scenario}: ${r.expectation} -> ${r.verdict}${r.reasons.length > 0 ? `: ${r.reasons.join('; ')}` : ''}`),
  ];
}
