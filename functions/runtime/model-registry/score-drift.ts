/**
 * Prediction drift: the population stability index (PSI) of a model version's live score
 * distribution against its training baseline, over ten equal bins of [0, 1].
 *
 * The baseline travels in the version's manifest metrics as `score_bin_0` .. `score_bin_9`: the
 * share (or count) of training scores in each bin, written by `beamline model push --metric`.
 * Rule of thumb: PSI < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift.
 */

export const SCORE_BINS = 10;

/** Bin shares of zero are replaced by this before the logarithm (the usual PSI smoothing). */
const EPSILON = 1e-4;

/** The bin of a score: [0, 0.1) -> 0 ... [0.9, 1] -> 9; out-of-range scores clamp to the ends. */
export function scoreBin(score: number): number {
  if (!(score > 0)) return 0;
  return Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS));
}

/** The baseline of a manifest's metrics, or undefined when it has none (or an unusable one). */
export function scoreBaseline(metrics: Readonly<Record<string, number>>): number[] | undefined {
  const bins = Array.from({ length: SCORE_BINS }, (_, i) => metrics[`score_bin_${i}`]);
  if (bins.some((b) => b === undefined || !(b >= 0))) return undefined;
  const counts = bins as number[];
  return counts.reduce((a, b) => a + b, 0) > 0 ? counts : undefined;
}

/**
 * PSI = sum over bins of (actual - expected) * ln(actual / expected), both as shares. Takes counts
 * or shares (each side is normalised); zero shares are smoothed, so the result is always finite.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length || expected.length === 0) {
    throw new RangeError(
      `populationStabilityIndex: expected and actual need the same number of bins (got ${expected.length} and ${actual.length})`,
    );
  }
  const share = (xs: readonly number[]): number[] => {
    const total = xs.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('populationStabilityIndex: a distribution with no mass has no shares');
    return xs.map((x) => Math.max(EPSILON, x / total));
  };
  const e = share(expected);
  const a = share(actual);
  let psi = 0;
  for (let i = 0; i < e.length; i++) psi += ((a[i] as number) - (e[i] as number)) * Math.log((a[i] as number) / (e[i] as number));
  return psi;
}

/** Live score counts of one model version, with its PSI once enough scores have arrived. */
export class ScoreDrift {
  readonly #baseline: readonly number[];
  readonly #counts = new Array<number>(SCORE_BINS).fill(0);
  readonly #minScores: number;
  #n = 0;

  /** @param minScores scores needed before a PSI means anything. @default 100 */
  constructor(baseline: readonly number[], minScores = 100) {
    this.#baseline = baseline;
    this.#minScores = minScores;
  }

  observe(score: number): void {
    const b = scoreBin(score);
    this.#counts[b] = (this.#counts[b] ?? 0) + 1;
    this.#n++;
  }

  get scores(): number {
    return this.#n;
  }

  /** The PSI since this version started scoring; undefined until `minScores` scores. */
  psi(): number | undefined {
    return this.#n < this.#minScores ? undefined : populationStabilityIndex(this.#baseline, this.#counts);
  }
}
