/**
 * Trains the demo's fraud model (#23): a synthetic warm-up stream (a fresh seed each run) ->
 * the built-in handler's features, computed by FeatureReplay, the same feature code the worker
 * runs and `beamline features export` replays -> a small TF.js MLP. The stream starts from empty
 * per-card history, as the live run does, and runs long enough for the short velocity windows to
 * reach their steady state, so the model has seen every phase the live run goes through.
 * Standardization is folded into the first layer, so the model takes the handler's feature
 * values as they are.
 */
import { randomInt } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { FeatureReplay } from '../functions/control-plane.ts';
import { DEMO_FEATURES } from './features.ts';
import { PaymentGenerator } from './generator.ts';

export interface TrainOptions {
  /** @default a fresh random seed every run, so the model is not tuned to one stream */
  seed?: number;
  /** @default 1000 */
  cards?: number;
  /** @default 0.01 */
  fraudRate?: number;
  /** Synthetic events in the warm-up stream (all from one stream, empty history at its start). @default 40000 */
  events?: number;
  /**
   * Time between two synthetic payments. Serving sees a card every cards x spacing ms: train
   * with the live run's cards and rate, or the velocity features mean something else.
   * @default 25
   */
  eventSpacingMs?: number;
  /** @default 8 */
  epochs?: number;
  /** Events in the live run: when fewer than `events`, short streams of this length are added. @default none */
  liveRunEvents?: number;
}

export interface TrainedModel {
  /** TF.js layers artifact, as `readModelArtifact` would give it. */
  modelJson: string;
  weights: Uint8Array;
  /** Held-out precision/recall of "score >= threshold" per threshold (the stream's last 20%). */
  evaluation: Array<{ threshold: number; precision: number; recall: number }>;
  /** Where the review band starts for this model (reviewThresholdFor on the held-out rows). */
  reviewAtScore: number;
  trainRows: number;
  fraudShare: number;
  seed: number;
  /** The TF.js backend it trained on, and why: `wasm`, or `cpu` when WebAssembly did not load. */
  backend: string;
}

/** Candidate starts of the review band, highest first preferred (fewer items for analysts). */
const REVIEW_THRESHOLDS = [0.1, 0.15, 0.2, 0.25, 0.3] as const;

/**
 * Held-out recall the review band aims for. Above the demo's 90% goal for blocked-or-review
 * recall because live recall came out below held-out recall (a 600 s run: 60.5% of fraud blocked
 * live against 71% held out at 0.9; 88.7% flagged live with the band fixed at 0.3).
 */
export const REVIEW_TARGET_RECALL = 0.95;

/**
 * Where the review band starts (#23): the highest candidate threshold whose held-out recall
 * reaches REVIEW_TARGET_RECALL, else the lowest candidate. Chosen per trained model from its
 * held-out rows, never from the live stream, so the band is not tuned to the run it is judged on.
 */
export function reviewThresholdFor(evaluation: ReadonlyArray<{ threshold: number; recall: number }>): number {
  const candidates = evaluation.filter((e) => (REVIEW_THRESHOLDS as readonly number[]).includes(e.threshold));
  const best = candidates.filter((e) => e.recall >= REVIEW_TARGET_RECALL).sort((a, b) => b.threshold - a.threshold)[0];
  return best?.threshold ?? REVIEW_THRESHOLDS[0];
}

/** Feature rows and labels for `n` synthetic events, through the worker's own feature code. */
export function featureRows(gen: PaymentGenerator, n: number, startMs: number, spacingMs = 25): { x: Float32Array[]; y: number[] } {
  const replay = new FeatureReplay(DEMO_FEATURES);
  const x: Float32Array[] = [];
  const y: number[] = [];
  let t = startMs;
  for (let i = 0; i < n; i++) {
    t += spacingMs;
    const p = gen.next(t);
    x.push(replay.push(p.event.cardId, p.event, p.event.timestamp).row);
    y.push(p.fraud === null ? 0 : 1);
  }
  return { x, y };
}

/** One honest training row in this many is kept (and weighted this much). */
const HONEST_KEEP = 4;

export async function trainFraudModel(o: TrainOptions = {}): Promise<TrainedModel> {
  // WebAssembly trains several times faster than the pure-JS backend; CPU when it cannot load.
  await import('@tensorflow/tfjs-backend-wasm');
  const onWasm = await tf.setBackend('wasm').catch(() => false);
  if (!onWasm) await tf.setBackend('cpu');
  const backend = onWasm ? 'TF.js wasm' : 'TF.js cpu (WebAssembly did not load)';
  const total = o.events ?? 40_000;
  const seed = o.seed ?? randomInt(1, 2 ** 31 - 1);
  const x: Float32Array[] = [];
  const y: number[] = [];
  // Runs shorter than the warm-up never leave the first phase (little history per card): a few
  // streams of that length first, so the model has seen it as often as the live run will.
  const shortEvents = o.liveRunEvents !== undefined && o.liveRunEvents < total ? o.liveRunEvents : 0;
  for (let run = 1; shortEvents > 0 && x.length < total / 4; run++) {
    const rows = featureRows(
      new PaymentGenerator({ seed: (seed + run * 7919) % 2 ** 31, cards: o.cards ?? 1000, fraudRate: o.fraudRate ?? 0.01 }),
      shortEvents,
      Date.UTC(2026, 0, 1),
      o.eventSpacingMs ?? 25,
    );
    x.push(...rows.x);
    y.push(...rows.y);
  }
  const gen = new PaymentGenerator({ seed, cards: o.cards ?? 1000, fraudRate: o.fraudRate ?? 0.01 });
  const warm = featureRows(gen, total, Date.UTC(2026, 0, 1), o.eventSpacingMs ?? 25);
  x.push(...warm.x);
  y.push(...warm.y);
  const rowsTotal = x.length;
  // Held out: the end of the warm-up stream (steady state).
  const split = Math.floor(rowsTotal * 0.8);
  const d = DEMO_FEATURES.length;
  // Heavy-tailed features are log-compressed by the handler itself (FeatureSpec.log).
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  const logged = x;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < split; i++) s += logged[i]?.[j] ?? 0;
    mean[j] = s / split;
    let v = 0;
    for (let i = 0; i < split; i++) v += ((logged[i]?.[j] ?? 0) - (mean[j] ?? 0)) ** 2;
    std[j] = Math.sqrt(v / split) || 1;
  }
  const norm = (rows: Float32Array[]): tf.Tensor2D =>
    tf.tensor2d(
      rows.map((r) => Array.from(r, (v, j) => (v - (mean[j] ?? 0)) / (std[j] ?? 1))),
      [rows.length, d],
    );

  // Seeded initializers: the seed names the stream and the model's starting point.
  const init = (n: number): ReturnType<typeof tf.initializers.glorotUniform> =>
    tf.initializers.glorotUniform({ seed: (seed % 1_000_000) * 100 + n });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [d], units: 32, activation: 'relu', name: 'hidden1', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'fraud', kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  // Every fraud row, one honest row in HONEST_KEEP weighted HONEST_KEEP: the same expected loss
  // (scores stay calibrated) on a fraction of the rows, so training takes seconds, not minutes.
  const pick = new PaymentGenerator({ seed: seed ^ 0x5bd1e995, cards: 1 });
  const keep: number[] = [];
  for (let i = 0; i < split; i++) if (y[i] === 1 || pick.uniform() < 1 / HONEST_KEEP) keep.push(i);
  const xs = norm(keep.map((i) => logged[i] as Float32Array));
  const ys = tf.tensor2d(
    keep.map((i) => y[i] ?? 0),
    [keep.length, 1],
  );
  await model.fit(xs, ys, {
    epochs: o.epochs ?? 8,
    batchSize: 256,
    shuffle: true,
    verbose: 0,
    // #23: no up-weighting of frauds: it inflated every score, and blocks at 0.9 hit honest
    // payments by the thousand. Calibrated scores keep "block" meaning "almost surely fraud".
    classWeight: { 0: HONEST_KEEP, 1: 1 },
  });

  const exact = foldInputTransform(model, mean, std);
  const test = exact.predict(
    tf.tensor2d(
      x.slice(split).map((r) => Array.from(r)),
      [rowsTotal - split, d],
    ),
  ) as tf.Tensor;
  const scores = Array.from(await test.data());
  const evaluation = [...REVIEW_THRESHOLDS, 0.5, 0.7, 0.8, 0.9, 0.95].map((threshold) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    scores.forEach((s, i) => {
      const label = y[split + i] === 1;
      if (s >= threshold && label) tp++;
      else if (s >= threshold) fp++;
      else if (label) fn++;
    });
    return { threshold, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
  });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await exact.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (artifacts === undefined) throw new Error('model did not save');
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: 'beamline demo',
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  });
  xs.dispose();
  ys.dispose();
  test.dispose();
  return {
    modelJson,
    weights: new Uint8Array(artifacts.weightData as ArrayBuffer),
    evaluation,
    reviewAtScore: reviewThresholdFor(evaluation),
    trainRows: keep.length,
    fraudShare: y.filter((v) => v === 1).length / rowsTotal,
    seed,
    backend,
  };
}

/**
 * The same network with (x - mean) / std folded into its first Dense layer:
 * W' = W / std (per input row), b' = b - sum_j W[j] * mean[j] / std[j]. Exact, and the served
 * model needs no preprocessing.
 */
function foldInputTransform(model: tf.Sequential, mean: Float32Array, std: Float32Array): tf.Sequential {
  const layers = model.layers;
  const first = layers[0] as tf.layers.Layer;
  const [w, b] = first.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const wData = w.arraySync();
  const bData = Array.from(b.dataSync());
  const units = bData.length;
  const w2 = wData.map((row, j) => row.map((v) => v / (std[j] ?? 1)));
  const b2 = bData.map((bias, k) => bias - wData.reduce((acc, row, j) => acc + (row[k] ?? 0) * ((mean[j] ?? 0) / (std[j] ?? 1)), 0));
  const folded = tf.sequential();
  layers.forEach((l, i) => {
    const cfg = l.getConfig() as Record<string, unknown>;
    folded.add(
      tf.layers.dense({
        units: cfg['units'] as number,
        activation: cfg['activation'] as 'relu' | 'sigmoid',
        name: l.name,
        ...(i === 0 ? { inputShape: [wData.length] } : {}),
      }),
    );
  });
  folded.layers[0]?.setWeights([tf.tensor2d(w2, [wData.length, units]), tf.tensor1d(b2)]);
  layers.slice(1).forEach((l, i) => folded.layers[i + 1]?.setWeights(l.getWeights()));
  return folded;
}
