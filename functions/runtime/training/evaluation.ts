/**
 * #23: how a model would have decided a labelled window, before anyone promotes it: block
 * precision, recall (blocked, and blocked-or-review), the share of honest events blocked, and
 * the scoring latency. Pure: the caller scores the rows (evaluateModel does, through a ScoreFn).
 */
import type { ScoreFn } from '../../contract.ts';
import { decide, type DecisionPolicy } from '../decision-policy.ts';
import { TRAINING_ERROR_CODES, trainingError } from './errors.ts';
import type { TrainingRow } from './training-set.ts';

export interface EvaluationReport {
  readonly modelVersion: string;
  readonly policyVersion: string;
  readonly rows: number;
  /** Rows with a label: the only ones precision and recall count. */
  readonly labelled: number;
  readonly frauds: number;
  readonly honest: number;
  readonly blocked: number;
  readonly fraudsBlocked: number;
  readonly fraudsFlagged: number;
  /** Of the labelled rows blocked, the share that were fraud (1 when none blocked). */
  readonly precision: number;
  /** Of the frauds, the share blocked. */
  readonly recall: number;
  /** Of the frauds, the share blocked or sent to review. */
  readonly flaggedRecall: number;
  /** Of the honest rows, the share blocked. */
  readonly honestBlockedRate: number;
  /** Rows the model did not score (breaker open, model error): decided by the fallback. */
  readonly fallbacks: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export interface ScoredRow {
  label: boolean | null;
  /** null: the model did not score it (fallback decision). */
  score: number | null;
  decision: 'approve' | 'review' | 'block';
  latencyMs: number | null;
}

export function summarizeEvaluation(modelVersion: string, policy: DecisionPolicy, scored: readonly ScoredRow[]): EvaluationReport {
  const labelled = scored.filter((r) => r.label !== null);
  const frauds = labelled.filter((r) => r.label === true);
  const honest = labelled.filter((r) => r.label === false);
  const blocked = labelled.filter((r) => r.decision === 'block');
  const fraudsBlocked = frauds.filter((r) => r.decision === 'block').length;
  const fraudsFlagged = frauds.filter((r) => r.decision !== 'approve').length;
  const honestBlocked = honest.filter((r) => r.decision === 'block').length;
  const lat = scored.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])).sort((a, b) => a - b);
  const q = (p: number): number | null => (lat.length === 0 ? null : (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? null));
  return {
    modelVersion,
    policyVersion: policy.version,
    rows: scored.length,
    labelled: labelled.length,
    frauds: frauds.length,
    honest: honest.length,
    blocked: blocked.length,
    fraudsBlocked,
    fraudsFlagged,
    precision: blocked.length === 0 ? 1 : fraudsBlocked / blocked.length,
    recall: frauds.length === 0 ? 1 : fraudsBlocked / frauds.length,
    flaggedRecall: frauds.length === 0 ? 1 : fraudsFlagged / frauds.length,
    honestBlockedRate: honest.length === 0 ? 0 : honestBlocked / honest.length,
    fallbacks: scored.filter((r) => r.score === null).length,
    latencyP50Ms: q(0.5),
    latencyP99Ms: q(0.99),
  };
}

/** Scores every row through `score` (concurrently, as the worker's micro-batcher sees it) and summarizes. */
export async function evaluateModel(
  modelVersion: string,
  policy: DecisionPolicy,
  rows: readonly Pick<TrainingRow, 'row' | 'label'>[],
  score: ScoreFn,
  options: { concurrency?: number; now?: () => number } = {},
): Promise<EvaluationReport> {
  if (!rows.some((r) => r.label !== null)) {
    throw trainingError(
      TRAINING_ERROR_CODES.noLabels,
      `no labelled events in the window to evaluate ${modelVersion} on; widen --from/--to or write labels (beamline features label)`,
      {
        modelVersion,
      },
    );
  }
  const now = options.now ?? (() => performance.now());
  const concurrency = options.concurrency ?? 64;
  const scored: ScoredRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i += concurrency) {
    await Promise.all(
      rows.slice(i, i + concurrency).map(async (r, j) => {
        const t0 = now();
        const s = await score(r.row);
        const latencyMs = now() - t0;
        scored[i + j] =
          s.kind === 'scored'
            ? { label: r.label, score: s.score, decision: decide(policy, s.score), latencyMs }
            : { label: r.label, score: null, decision: s.decision, latencyMs: null };
      }),
    );
  }
  return summarizeEvaluation(modelVersion, policy, scored);
}

export interface EvaluationGate {
  minPrecision?: number;
  minRecall?: number;
}

/** Throws BL_TRAINING_BELOW_GATE naming the figure when the report misses a floor. */
export function checkEvaluationGate(report: EvaluationReport, gate: EvaluationGate): void {
  const misses: string[] = [];
  if (gate.minPrecision !== undefined && report.precision < gate.minPrecision)
    misses.push(`precision ${report.precision.toFixed(4)} < --min-precision ${gate.minPrecision}`);
  if (gate.minRecall !== undefined && report.recall < gate.minRecall)
    misses.push(`recall ${report.recall.toFixed(4)} < --min-recall ${gate.minRecall}`);
  if (misses.length > 0) {
    throw trainingError(
      TRAINING_ERROR_CODES.belowGate,
      `refusing to promote ${report.modelVersion}: ${misses.join('; ')} on ${report.labelled} labelled events; train a better model or lower the floor`,
      { modelVersion: report.modelVersion, precision: report.precision, recall: report.recall, ...gate },
    );
  }
}
