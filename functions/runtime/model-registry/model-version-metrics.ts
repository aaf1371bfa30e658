/**
 * Per-version model metrics of the router: traffic share by route, prediction confidence (score
 * histogram) and drift (PSI of the live scores against the version's training baseline).
 */
import type { GaugeMetric, HistogramMetric, Metrics } from '../../telemetry.ts';
import type { RolloutState } from './rollout.ts';
import { ScoreDrift, scoreBaseline } from './score-drift.ts';

const SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** PSI is recomputed every this many scores of a version (ten bins: cheap, but not per record). */
const DRIFT_EVERY = 50;

export class ModelVersionMetrics {
  readonly #model: string;
  readonly #traffic: GaugeMetric;
  readonly #scores: HistogramMetric;
  readonly #drift: GaugeMetric;
  readonly #baselineOf: (version: string) => Readonly<Record<string, number>> | undefined;
  /** null: the version has no baseline, so no drift. */
  readonly #drifts = new Map<string, ScoreDrift | null>();
  #routed: Array<{ version: string; route: string }> = [];

  constructor(m: Metrics, model: string, baselineOf: (version: string) => Readonly<Record<string, number>> | undefined) {
    this.#model = model;
    this.#baselineOf = baselineOf;
    this.#traffic = m.gauge(
      'beamline_model_traffic_ratio',
      'Share of records a model version scores, by route (shadow scores all, decides none)',
      ['model', 'version', 'route'],
    );
    this.#scores = m.histogram(
      'beamline_model_score_ratio',
      'Prediction confidence: the deciding score per model version',
      ['model', 'version'],
      SCORE_BUCKETS,
    );
    this.#drift = m.gauge('beamline_model_score_drift_ratio', 'Population stability index of live scores against the training baseline', [
      'model',
      'version',
    ]);
  }

  /** A rollout was applied: the old routes drop to zero, the new ones get their shares. */
  routed(r: RolloutState): void {
    for (const { version, route } of this.#routed) this.#traffic.set({ model: this.#model, version, route }, 0);
    const canary = r.canary === null || r.canary.percent === 0 ? undefined : r.canary;
    const next: Array<{ version: string; route: string; share: number }> = [];
    if (r.live !== null) next.push({ version: r.live, route: 'live', share: 1 - (canary?.percent ?? 0) / 100 });
    if (canary !== undefined) next.push({ version: canary.version, route: 'canary', share: canary.percent / 100 });
    if (r.shadow !== null) next.push({ version: r.shadow, route: 'shadow', share: 1 });
    for (const n of next) this.#traffic.set({ model: this.#model, version: n.version, route: n.route }, n.share);
    this.#routed = next;
  }

  scored(version: string, score: number): void {
    const labels = { model: this.#model, version };
    this.#scores.observe(labels, score);
    let d = this.#drifts.get(version);
    if (d === undefined) {
      const baseline = scoreBaseline(this.#baselineOf(version) ?? {});
      d = baseline === undefined ? null : new ScoreDrift(baseline);
      this.#drifts.set(version, d);
    }
    if (d === null) return;
    d.observe(score);
    if (d.scores % DRIFT_EVERY === 0) {
      const psi = d.psi();
      if (psi !== undefined) this.#drift.set(labels, psi);
    }
  }
}
