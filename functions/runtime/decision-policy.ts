/**
 * A namespace's decision policy: score bands map to approve, review or block. Scores are the
 * model's probability of the bad outcome (fraud, unsafe ride) in [0, 1].
 *
 *   score < reviewAtScore                 -> approve
 *   reviewAtScore <= score < blockAtScore -> review (a human decides)
 *   score >= blockAtScore                 -> block
 */
import { ConfigError } from '../errors.ts';

export type Decision = 'approve' | 'review' | 'block';

export interface DecisionPolicyOptions {
  /** Version recorded with every decision, so the audit trail can explain it. @default 'v1' */
  version?: string;
  /** Lowest score sent to human review. @default 0.5 */
  reviewAtScore?: number;
  /** Lowest score blocked outright. @default 0.9 */
  blockAtScore?: number;
  /**
   * What to decide when no score is available (model down, breaker open).
   * @default 'review'
   */
  fallback?: Decision;
}

export type DecisionPolicy = Readonly<Required<DecisionPolicyOptions>>;

export function compileDecisionPolicy(o: DecisionPolicyOptions = {}, field = 'decisionPolicy'): DecisionPolicy {
  const reviewAtScore = o.reviewAtScore ?? 0.5;
  const blockAtScore = o.blockAtScore ?? 0.9;
  for (const [name, v] of [
    ['reviewAtScore', reviewAtScore],
    ['blockAtScore', blockAtScore],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new ConfigError(`${field}.${name}`, v, 'use a score between 0 and 1, e.g. 0.9');
    }
  }
  if (reviewAtScore > blockAtScore) {
    throw new ConfigError(
      `${field}.reviewAtScore`,
      reviewAtScore,
      `make it at most blockAtScore (${blockAtScore}); equal values mean no review band`,
    );
  }
  const fallback = o.fallback ?? 'review';
  if (fallback !== 'approve' && fallback !== 'review' && fallback !== 'block') {
    throw new ConfigError(`${field}.fallback`, fallback, 'use "approve", "review" or "block"');
  }
  const version = o.version ?? 'v1';
  if (typeof version !== 'string' || version.length === 0)
    throw new ConfigError(`${field}.version`, version, 'give a non-empty version string');
  return Object.freeze({ version, reviewAtScore, blockAtScore, fallback });
}

/** The decision for a score; `undefined` (no score) gets the policy's fallback. */
export function decide(policy: DecisionPolicy, score: number | undefined): Decision {
  if (score === undefined || Number.isNaN(score)) return policy.fallback;
  if (score >= policy.blockAtScore) return 'block';
  if (score >= policy.reviewAtScore) return 'review';
  return 'approve';
}
