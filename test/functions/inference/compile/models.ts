/**
 * Small TF.js models with random weights (biases and BatchNorm statistics included, which the
 * default initialisers leave at 0/1) for round-trip tests.
 */
import * as tf from '@tensorflow/tfjs';

export async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  if (saved === undefined) throw new Error('save handler was not called');
  return saved;
}

/** Replaces every weight with seeded uniform values; variances stay positive. */
export function randomize(model: tf.LayersModel, seed = 7, scale = 0.5): tf.LayersModel {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      s += 1;
      return w.name.includes('variance')
        ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', s)
        : tf.randomUniform(w.shape as number[], -scale, scale, 'float32', s);
    });
    if (values.length > 0) layer.setWeights(values);
    for (const v of values) v.dispose();
  }
  return model;
}

export async function randomArtifacts(build: () => tf.LayersModel, seed = 7, scale = 0.5): Promise<tf.io.ModelArtifacts> {
  return artifactsOf(randomize(build(), seed, scale));
}
