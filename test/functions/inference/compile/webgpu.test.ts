/**
 * Compiled models on ONNX Runtime's WebGPU provider agree with TF.js. In CI the adapter is Mesa's
 * software Vulkan (lavapipe) and BEAMLINE_EXPECT_BACKENDS names ort-webgpu, so a missing driver
 * fails here; without an adapter elsewhere, the test checks the clean CPU fallback instead.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseOnnxProviders, compileTfjsToOnnx, makeProbe } from '../../../../functions/inference/compile/index.ts';
import { randomArtifacts } from './models.ts';

const TOL = 1e-4;
const required = (process.env['BEAMLINE_EXPECT_BACKENDS'] ?? '').split(',').includes('ort-webgpu');

async function webgpuSession(bytes: Uint8Array): Promise<ort.InferenceSession | Error> {
  try {
    return await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
  } catch (err) {
    return err as Error;
  }
}

const models: Array<[string, () => tf.LayersModel]> = [
  [
    'MLP',
    () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [16], units: 32, activation: 'relu' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
  ],
  [
    '1-D conv',
    () =>
      tf.sequential({
        layers: [
          tf.layers.conv1d({ inputShape: [12, 4], filters: 6, kernelSize: 3, activation: 'relu' }),
          tf.layers.globalAveragePooling1d(),
          tf.layers.dense({ units: 1 }),
        ],
      }),
  ],
  // ORT's WebGPU GRU/LSTM kernels lack HardSigmoid (TF.js's default recurrent activation), so
  // these use sigmoid, the Keras default; the hard_sigmoid case is pinned down below.
  [
    'GRU',
    () =>
      tf.sequential({
        layers: [tf.layers.gru({ inputShape: [8, 4], units: 6, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 1 })],
      }),
  ],
  [
    'LSTM',
    () =>
      tf.sequential({
        layers: [tf.layers.lstm({ inputShape: [8, 4], units: 6, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 1 })],
      }),
  ],
  [
    'embedding+dense',
    () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 5 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
  ],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compiled models on ONNX Runtime WebGPU', () => {
  it.each(models)('%s agrees with TF.js within 1e-4 (or falls back to CPU cleanly without an adapter)', async (_name, build) => {
    const artifacts = await randomArtifacts(build);
    const compiled = await compileTfjsToOnnx(artifacts, { probeBatch: 8, tolerance: TOL });
    const session = await webgpuSession(compiled.onnx);
    if (session instanceof Error) {
      expect(required, `ort-webgpu is required here but failed: ${session.message}`).toBe(false);
      // No adapter: provider choice must not offer WebGPU, so serving stays on the CPU.
      const choice = chooseOnnxProviders({ prefer: 'auto' });
      expect(choice.providers.at(-1)).toBe('cpu');
      return;
    }
    try {
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const input = compiled.manifest.inputs[0];
      if (input === undefined) throw new Error('compiled model has no input');
      const [probe] = makeProbe(compiled.manifest.inputs, 8, 4, 11);
      if (probe === undefined) throw new Error('no probe');
      const expected = (model.predict(tf.tensor(probe.data, [...probe.shape])) as tf.Tensor).dataSync();
      const out = await session.run({ [input.name]: new ort.Tensor('float32', probe.data, [...probe.shape]) });
      const got = out[compiled.manifest.outputs[0]?.name ?? '']?.data as Float32Array;
      let diff = 0;
      for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs((expected[i] ?? 0) - (got[i] ?? 0)));
      expect(got.length).toBe(expected.length);
      expect(diff).toBeLessThan(TOL);
      model.dispose();
    } finally {
      await session.release();
    }
  });
});

describe('known WebGPU gap', () => {
  it('a GRU with TF.js default hard_sigmoid does not run on ORT WebGPU (serve it on CPU); still exact on CPU', async () => {
    const artifacts = await randomArtifacts(() =>
      tf.sequential({ layers: [tf.layers.gru({ inputShape: [8, 4], units: 6 }), tf.layers.dense({ units: 1 })] }),
    );
    const compiled = await compileTfjsToOnnx(artifacts, { probeBatch: 8, tolerance: TOL });
    expect(compiled.manifest.maxAbsDiff).toBeLessThan(TOL);
    const session = await webgpuSession(compiled.onnx);
    if (!(session instanceof Error)) {
      await session.release();
      // TODO(#8): if ORT gains HardSigmoid in its WebGPU RNN kernels, this gap closes.
      expect.fail('ORT WebGPU accepted a HardSigmoid GRU: drop the sigmoid-only note above');
    }
    if (required) expect(session.message).toMatch(/HardSigmoid/);
  });
});
