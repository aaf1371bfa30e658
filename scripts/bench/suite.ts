/**
 * The contract between `npm run bench -- SUITE` (scripts/bench/run.ts) and a suite module
 * `scripts/bench/suites/<suite>.ts`. A suite exports
 *
 *   export const needsBroker = false;               // optional; default true
 *   export async function run(ctx: BenchContext): Promise<SuiteResult> { ... }
 *
 * and returns rows; the runner adds machine info and writes bench-results/<suite>.{json,md}.
 * Perf goals live in suites, never in tests.
 */
import { ConfigError, type Logger } from '../../functions/index.ts';

export type BenchCell = string | number;

export interface SuiteResult {
  /** One row per measurement; every row should use the same column names. */
  rows: Array<Record<string, BenchCell>>;
  /** Free text printed under the table (conditions, caveats, versions). */
  notes?: string[];
  /**
   * For suites that report a latency: what its end is. `received` = a read-committed consumer
   * received the output (what a user sees); `publish` = the output's publish time (before any
   * commit); `commit` = the worker's own commit.
   */
  latencyBasis?: 'received' | 'publish' | 'commit';
  /** #26: the run failed its own verdicts (the report is still written; the command exits 1). */
  failed?: boolean;
}

export interface BenchContext {
  suite: string;
  /** Pulsar binary-protocol URL. Empty string when the suite declared `needsBroker = false` and none was configured. */
  serviceUrl: string;
  /** Pulsar admin REST URL. Empty string as for serviceUrl. */
  adminUrl: string;
  /** Bearer token for both URLs, when the broker has auth on. Never log it. */
  token?: string;
  /** Structured progress logging (to stderr). */
  log: Logger;
  /** Extra CLI flags after the suite name: `--duration-s 10 --quick` -> { 'duration-s': '10', quick: 'true' }. */
  options: Readonly<Record<string, string>>;
  /** Absolute folder the results go to (git-ignored); a suite may write extra artifacts there. */
  resultsDir: string;
}

export interface SuiteModule {
  needsBroker?: boolean;
  run: (ctx: BenchContext) => Promise<SuiteResult>;
}

/** Reads a numeric option with a default; a non-number is a ConfigError naming the flag. */
export function numberOption(ctx: Pick<BenchContext, 'options'>, name: string, dflt: number): number {
  const raw = ctx.options[name];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${name}`, raw, 'pass a number');
  return n;
}
