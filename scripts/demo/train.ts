/**
 * Trains the demo's fraud model: synthetic payments -> the built-in handler's features (computed
 * by the handler itself through the in-process test driver, so training and serving agree) ->
 * a small TF.js MLP. Standardization is folded into the first layer, so the model takes the
 * handler's feature values as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { createScoringHandler, createTestDriver, type ModelScore, type ScoreFn } from '../../functions/index.ts';
import { DEMO_FEATURES } from './features.ts';
import { PaymentGenerator, type CardAuthorization } from './generator.ts';

export interface TrainOptions {
  /** @default 7 */
  seed?: number;
  /** @default 1000 */
  cards?: number;
  /** @default 0.01 */
  fraudRate?: number;
  /** Synthetic events to learn from. @default 40000 */
  events?: number;
  /**
   * Events per simulated run: each run starts from empty per-card history, as a live run of
   * that length does. @default all events in one run
   */
  runEvents?: number;
  /**
   * Time between two synthetic payments. Serving sees a card every cards x spacing ms: train
   * with the live run's cards and rate, or the velocity features mean something else.
   * @default 25
   */
  eventSpacingMs?: number;
  /** @default 8 */
  epochs?: number;
}

export interface TrainedModel {
  /** TF.js layers artifact, as `readModelArtifact` would give it. */
  modelJson: string;
  weights: Uint8Array;
  /** Held-out precision/recall of "score >= threshold" per threshold. */
  evaluation: Array<{ threshold: number; precision: number; recall: number }>;
  trainRows: number;
  fraudShare: number;
}

/** Feature rows and labels for `n` synthetic events, computed by the built-in handler. */
export async function featureRows(gen: PaymentGenerator, n: number, startMs: number, spacingMs = 25): Promise<{ x: Float32Array[]; y: number[] }> {
  const x: Float32Array[] = [];
  const fallback: ModelScore = { kind: 'fallback', decision: 'review', reason: 'no-model' };
  const record: ScoreFn = async (f) => {
    x.push(Float32Array.from(f));
    return fallback;
  };
  const driver = createTestDriver<CardAuthorization>({ process: createScoringHandler<CardAuthorization>({ features: DEMO_FEATURES }), score: record });
  const y: number[] = [];
  let t = startMs;
  for (let i = 0; i < n; i++) {
    t += spacingMs;
    const p = gen.next(t);
    await driver.send(p.event, { key: p.event.cardId, eventTimeMs: p.event.timestamp });
    y.push(p.fraud === null ? 0 : 1);
  }
  return { x, y };
}

export async function trainFraudModel(o: TrainOptions = {}): Promise<TrainedModel> {
  await tf.setBackend('cpu');
  const total = o.events ?? 40_000;
  const perRun = Math.max(1, Math.min(total, o.runEvents ?? total));
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let run = 0; x.length < total; run++) {
    const gen = new PaymentGenerator({ seed: (o.seed ?? 7) + run, cards: o.cards ?? 1000, fraudRate: o.fraudRate ?? 0.01 });
    const rows = await featureRows(gen, Math.min(perRun, total - x.length), Date.UTC(2026, 0, 1), o.eventSpacingMs ?? 25);
    x.push(...rows.x);
    y.push(...rows.y);
  }
  const split = Math.floor(total * 0.8);
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
    tf.tensor2d(rows.map((r) => Array.from(r, (v, j) => (v - (mean[j] ?? 0)) / (std[j] ?? 1))), [rows.length, d]);

  const frauds = y.slice(0, split).filter((v) => v === 1).length;
  // Seeded initializers and no shuffling: the same data gives the same model, run after run.
  const init = (n: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: (o.seed ?? 7) * 100 + n });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [d], units: 32, activation: 'relu', name: 'hidden1', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'fraud', kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  const xs = norm(logged.slice(0, split));
  const ys = tf.tensor2d(y.slice(0, split), [split, 1]);
  await model.fit(xs, ys, {
    epochs: o.epochs ?? 8,
    batchSize: 256,
    shuffle: false,
    verbose: 0,
    // Frauds are rare: weight them up so the model does not learn "never".
    classWeight: { 0: 1, 1: Math.max(1, (split - frauds) / Math.max(1, frauds) / 4) },
  });

  const exact = foldInputTransform(model, mean, std);
  const test = exact.predict(tf.tensor2d(x.slice(split).map((r) => Array.from(r)), [total - split, d])) as tf.Tensor;
  const scores = Array.from(await test.data());
  const evaluation = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95].map((threshold) => {
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
    trainRows: split,
    fraudShare: y.filter((v) => v === 1).length / total,
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
