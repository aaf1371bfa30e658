/**
 * `beamline model compare`: shadow and canary versions against live, from the audit trail.
 * Shadow rows are paired with the live score of the same record (agreement = same decision band);
 * canary rows decide different keys, so they are compared by distribution (score drift).
 */
import type { AuditEvent, DecisionAuditEvent } from './audit.ts';

export interface SlotStats {
  readonly modelVersion: string;
  readonly decisions: number;
  readonly meanScore: number | null;
  readonly decisionShare: Readonly<Record<'approve' | 'review' | 'block', number>>;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export interface ShadowStats {
  readonly modelVersion: string;
  /** Records scored by both this shadow and the deciding model. */
  readonly compared: number;
  /** Share of those where the shadow's decision band equals the one acted on. */
  readonly agreementRate: number | null;
  /** Mean of (shadow score - deciding score). */
  readonly meanScoreDrift: number | null;
  readonly meanAbsScoreDiff: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export interface CanaryStats extends SlotStats {
  /** Canary mean score minus the live mean score over the same period. */
  readonly scoreDriftVsLive: number | null;
}

export interface CompareReport {
  readonly decisions: number;
  readonly live: readonly SlotStats[];
  readonly canary: readonly CanaryStats[];
  readonly shadow: readonly ShadowStats[];
}

export function compareFromAudit(events: readonly AuditEvent[], options: { model?: string; sinceMs?: number } = {}): CompareReport {
  const prefix = options.model === undefined ? undefined : `${options.model}@`;
  const decisions = events.filter(
    (e): e is DecisionAuditEvent =>
      e.type === 'decision' &&
      e.modelVersion !== null &&
      (prefix === undefined || e.modelVersion.startsWith(prefix)) &&
      (options.sinceMs === undefined || e.eventTimeMs >= options.sinceMs),
  );
  const by = (route: 'live' | 'canary'): Map<string, DecisionAuditEvent[]> =>
    group(
      decisions.filter((d) => (d.route ?? 'live') === route),
      (d) => d.modelVersion as string,
    );
  const live = [...by('live')].map(([v, ds]) => slotStats(v, ds));
  const liveMean = mean(
    decisions.filter((d) => (d.route ?? 'live') === 'live').flatMap((d) => (d.output.score === null ? [] : [d.output.score])),
  );
  const canary = [...by('canary')].map(([v, ds]) => {
    const s = slotStats(v, ds);
    return { ...s, scoreDriftVsLive: s.meanScore === null || liveMean === null ? null : s.meanScore - liveMean };
  });
  const shadowed = group(
    decisions.filter((d) => d.shadow !== null),
    (d) => d.shadow?.modelVersion ?? '',
  );
  const shadow = [...shadowed].map(([v, ds]): ShadowStats => {
    const pairs = ds.filter((d) => d.output.score !== null);
    const diffs = pairs.map((d) => (d.shadow?.score ?? 0) - (d.output.score ?? 0));
    const agree = pairs.filter((d) => d.shadow?.decision === d.output.decision).length;
    const lat = ds.map((d) => d.shadow?.latencyMs ?? 0);
    return {
      modelVersion: v,
      compared: pairs.length,
      agreementRate: pairs.length === 0 ? null : agree / pairs.length,
      meanScoreDrift: mean(diffs),
      meanAbsScoreDiff: mean(diffs.map(Math.abs)),
      latencyP50Ms: quantile(lat, 0.5),
      latencyP99Ms: quantile(lat, 0.99),
    };
  });
  return { decisions: decisions.length, live, canary, shadow };
}

function slotStats(modelVersion: string, ds: readonly DecisionAuditEvent[]): SlotStats {
  const share = { approve: 0, review: 0, block: 0 };
  for (const d of ds) share[d.output.decision] += 1 / ds.length;
  return {
    modelVersion,
    decisions: ds.length,
    meanScore: mean(ds.flatMap((d) => (d.output.score === null ? [] : [d.output.score]))),
    decisionShare: share,
    latencyP50Ms: quantile(
      ds.flatMap((d) => (d.latencyMs === null ? [] : [d.latencyMs])),
      0.5,
    ),
    latencyP99Ms: quantile(
      ds.flatMap((d) => (d.latencyMs === null ? [] : [d.latencyMs])),
      0.99,
    ),
  };
}

function group<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list === undefined) m.set(k, [x]);
    else list.push(x);
  }
  return m;
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? null;
}
