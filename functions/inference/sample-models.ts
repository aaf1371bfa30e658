/**
 * Small deterministic MLPs built in-process, as both a TF.js layers artifact and an ONNX
 * artifact with identical weights. Tests, benchmarks and smoke checks use them; nothing is
 * read from disk.
 */
import { tf } from './tfjs.ts';
import { seededRandom } from '../random.ts';
import { denseGraph, encodeOnnxModel } from './onnx/index.ts';
import type { DenseActivation, DenseLayerSpec } from './onnx/index.ts';
import type { OnnxArtifact, TfjsLayersArtifact } from './model-runtime.ts';
import { tfjsArtifactFromSave } from './tfjs-runtime.ts';

export interface SampleMlpSpec {
  /** Layer widths including input and output, e.g. [64, 256, 256, 1]. */
  readonly sizes: readonly number[];
  /** @default 1 */
  readonly seed?: number;
  /** Hidden activation; the last layer is always sigmoid (a score). @default 'relu' */
  readonly hidden?: DenseActivation;
}

export function sampleMlpLayers(spec: SampleMlpSpec): DenseLayerSpec[] {
  const rand = seededRandom(spec.seed ?? 1);
  const layers: DenseLayerSpec[] = [];
  for (let i = 1; i < spec.sizes.length; i++) {
    const fanIn = spec.sizes[i - 1] ?? 1;
    const units = spec.sizes[i] ?? 1;
    const scale = Math.sqrt(2 / fanIn);
    const kernel = new Float32Array(fanIn * units).map(() => (rand() * 2 - 1) * scale);
    const bias = new Float32Array(units).map(() => (rand() * 2 - 1) * 0.1);
    layers.push({ kernel, bias, activation: i === spec.sizes.length - 1 ? 'sigmoid' : (spec.hidden ?? 'relu') });
  }
  return layers;
}

export function sampleOnnxMlp(spec: SampleMlpSpec): OnnxArtifact {
  return { format: 'onnx', bytes: encodeOnnxModel(denseGraph(spec.sizes[0] ?? 1, sampleMlpLayers(spec), 'sample_mlp')) };
}

export async function sampleTfjsMlp(spec: SampleMlpSpec): Promise<TfjsLayersArtifact> {
  const layers = sampleMlpLayers(spec);
  // Building layers allocates tensors, which needs some backend initialised.
  await tf.ready();
  const model = tf.sequential();
  layers.forEach((l, i) => {
    model.add(
      tf.layers.dense({
        units: l.bias.length,
        activation: l.activation,
        ...(i === 0 ? { inputShape: [spec.sizes[0] ?? 1] } : {}),
      }),
    );
  });
  model.layers.forEach((layer, i) => {
    const l = layers[i];
    if (l === undefined) return;
    const fanIn = l.kernel.length / l.bias.length;
    layer.setWeights([tf.tensor2d(l.kernel, [fanIn, l.bias.length]), tf.tensor1d(l.bias)]);
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  if (saved === undefined) throw new Error('tfjs save handler was not called');
  return tfjsArtifactFromSave(saved);
}

/** Deterministic rows in [-1, 1). */
export function sampleRows(rows: number, width: number, seed = 7): Float32Array {
  const rand = seededRandom(seed);
  return new Float32Array(rows * width).map(() => rand() * 2 - 1);
}
