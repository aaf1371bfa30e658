import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileTfjsToOnnx } from '../../../../functions/inference/compile/index.ts';
import type { CompiledOnnxModel } from '../../../../functions/inference/compile/index.ts';
import { randomArtifacts } from './models.ts';

const TOL = 1e-4;

async function roundTrip(build: () => tf.LayersModel, probeBatch = 6): Promise<CompiledOnnxModel> {
  const compiled = await compileTfjsToOnnx(await randomArtifacts(build), { probeBatch, tolerance: TOL });
  expect(compiled.manifest.maxAbsDiff).toBeLessThanOrEqual(TOL);
  expect(compiled.manifest.probeRows).toBe(probeBatch);
  expect(compiled.manifest.opset).toBe(17);
  return compiled;
}

const classes = (c: CompiledOnnxModel): string[] => c.manifest.layers.map((l) => l.className);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compileTfjsToOnnx round trips (TF.js cpu vs ONNX Runtime cpu, 1e-4)', () => {
  it('MLP 64-256-256-1 with a dynamic batch dim that serves any batch size', async () => {
    const c = await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [64], units: 256, activation: 'relu' }),
          tf.layers.dropout({ rate: 0.3 }),
          tf.layers.dense({ units: 256, activation: 'relu' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
    );
    expect(c.manifest.inputs[0]?.shape).toEqual(['batch', 64]);
    expect(c.manifest.outputs[0]?.shape).toEqual(['batch', 1]);
    expect(classes(c)).toEqual(['Dense', 'Dropout', 'Dense', 'Dense']);
    const session = await ort.InferenceSession.create(c.onnx);
    try {
      for (const rows of [1, 33]) {
        const name = c.manifest.inputs[0]?.name ?? '';
        const out = await session.run({ [name]: new ort.Tensor('float32', new Float32Array(rows * 64).fill(0.1), [rows, 64]) });
        expect(out[c.manifest.outputs[0]?.name ?? '']?.dims).toEqual([rows, 1]);
      }
    } finally {
      await session.release();
    }
  });

  it('every activation TF.js layers offers, plus activation layers', async () => {
    const acts = [
      'relu',
      'relu6',
      'elu',
      'selu',
      'sigmoid',
      'hardSigmoid',
      'tanh',
      'softmax',
      'logSoftmax',
      'softplus',
      'softsign',
      'swish',
      'mish',
      'gelu',
      'linear',
    ];
    // 'gelu_new' is left out: tfjs-layers 4.22 saves it as 'geluNew' and then cannot load it.
    const c = await roundTrip(() => {
      const input = tf.input({ shape: [16] });
      const h = tf.layers.dense({ units: 12 }).apply(input) as tf.SymbolicTensor;
      const branches = acts.map((a) => tf.layers.activation({ activation: a as never }).apply(h) as tf.SymbolicTensor);
      branches.push(
        tf.layers.leakyReLU({ alpha: 0.1 }).apply(h) as tf.SymbolicTensor,
        tf.layers.reLU({ maxValue: 0.5 }).apply(h) as tf.SymbolicTensor,
        tf.layers.elu({}).apply(h) as tf.SymbolicTensor,
        tf.layers.softmax().apply(h) as tf.SymbolicTensor,
        tf.layers.thresholdedReLU({ theta: 0.1 }).apply(h) as tf.SymbolicTensor,
        tf.layers.prelu().apply(h) as tf.SymbolicTensor,
        tf.layers.dense({ units: 4, activation: 'swish' }).apply(h) as tf.SymbolicTensor,
      );
      const out = tf.layers.concatenate().apply(branches) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    });
    expect(classes(c)).toEqual(
      expect.arrayContaining(['Activation', 'LeakyReLU', 'ReLU', 'ELU', 'Softmax', 'ThresholdedReLU', 'PReLU', 'Concatenate']),
    );
  });

  it('1-D conv: same/dilated/strided conv, max/average pooling, global pooling', async () => {
    const c = await roundTrip(() => {
      const input = tf.input({ shape: [20, 6] });
      let x = tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
      x = tf.layers.conv1d({ filters: 8, kernelSize: 3, dilationRate: 2 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.maxPooling1d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.conv1d({ filters: 5, kernelSize: 3, strides: 2, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.averagePooling1d({ poolSize: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
      const gmax = tf.layers.globalMaxPooling1d().apply(x) as tf.SymbolicTensor;
      const gavg = tf.layers.globalAveragePooling1d().apply(x) as tf.SymbolicTensor;
      const out = tf.layers
        .dense({ units: 2 })
        .apply(tf.layers.concatenate().apply([gmax, gavg]) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    });
    expect(classes(c)).toContain('GlobalAveragePooling1D');
  });

  it('2-D conv (channels_last) with pooling, global pooling and flatten', async () => {
    const c = await roundTrip(() => {
      const input = tf.input({ shape: [12, 12, 3] });
      let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
      x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.conv2d({ filters: 6, kernelSize: [3, 2], strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
      const g1 = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
      const g2 = tf.layers.globalMaxPooling2d({}).apply(x) as tf.SymbolicTensor;
      const flat = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
      const out = tf.layers
        .dense({ units: 3, activation: 'softmax' })
        .apply(tf.layers.concatenate().apply([g1, g2, flat]) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    });
    expect(c.manifest.inputs[0]?.shape).toEqual(['batch', 12, 12, 3]);
  });

  it('GRU (reset_after=false, TF.js hard_sigmoid default) with and without return_sequences', async () => {
    const c = await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.gru({ inputShape: [7, 4], units: 8, returnSequences: true }),
          tf.layers.gru({ units: 6, recurrentActivation: 'sigmoid', goBackwards: true }),
          tf.layers.dense({ units: 1 }),
        ],
      }),
    );
    expect(c.manifest.layers[0]?.ops).toContain('GRU');
  });

  it('LSTM with and without return_sequences, go_backwards sequences', async () => {
    await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.lstm({ inputShape: [7, 4], units: 8, returnSequences: true, goBackwards: true }),
          tf.layers.lstm({ units: 6, returnSequences: true, recurrentActivation: 'sigmoid' }),
          tf.layers.lstm({ units: 5 }),
        ],
      }),
    );
  });

  it('SimpleRNN with and without return_sequences', async () => {
    await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.simpleRNN({ inputShape: [7, 4], units: 8, returnSequences: true }),
          tf.layers.simpleRNN({ units: 6, activation: 'relu' }),
        ],
      }),
    );
  });

  it('Embedding + dense and Embedding + GRU, probed with integer ids', async () => {
    const c = await roundTrip(() => {
      const ids = tf.input({ shape: [10] });
      const e = tf.layers.embedding({ inputDim: 50, outputDim: 8 }).apply(ids) as tf.SymbolicTensor;
      const flat = tf.layers.flatten().apply(e) as tf.SymbolicTensor;
      const seq = tf.layers.gru({ units: 4 }).apply(e) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 3 }).apply(tf.layers.concatenate().apply([flat, seq]) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return tf.model({ inputs: ids, outputs: out });
    });
    expect(c.manifest.inputs[0]?.idVocabulary).toBe(50);
  });

  it('functional model: two inputs, branching, Add/Multiply/Concatenate/Reshape, two outputs', async () => {
    const c = await roundTrip(() => {
      const a = tf.input({ shape: [12], name: 'a' });
      const b = tf.input({ shape: [12], name: 'b' });
      const x = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(a) as tf.SymbolicTensor;
      const y = tf.layers.dense({ units: 8 }).apply(b) as tf.SymbolicTensor;
      const sum = tf.layers.add().apply([x, y]) as tf.SymbolicTensor;
      const prod = tf.layers.multiply().apply([x, y, sum]) as tf.SymbolicTensor;
      const cat = tf.layers.concatenate().apply([sum, prod, a]) as tf.SymbolicTensor;
      const r = tf.layers.reshape({ targetShape: [4, 7] }).apply(cat) as tf.SymbolicTensor;
      const d = tf.layers.dense({ units: 3 }).apply(r) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(d) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: [out, sum] });
    });
    expect(c.manifest.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(c.manifest.outputs).toHaveLength(2);
  });

  it('BatchNormalization (moving statistics) and LayerNormalization after conv and dense', async () => {
    const c = await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3 }),
          tf.layers.batchNormalization({}),
          tf.layers.layerNormalization({}),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10 }),
          tf.layers.batchNormalization({ epsilon: 0.01 }),
          tf.layers.layerNormalization({ epsilon: 1e-5, center: false }),
          tf.layers.dense({ units: 2 }),
        ],
      }),
    );
    expect(classes(c)).toEqual(expect.arrayContaining(['BatchNormalization', 'LayerNormalization']));
  });

  it('uses the wasm backend as reference when asked and restores the caller backend', async () => {
    const art = await randomArtifacts(() => tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3, activation: 'elu' })] }));
    const c = await compileTfjsToOnnx(art, { referenceBackend: 'wasm', probeBatch: 4 });
    expect(c.manifest.referenceBackend).toBe('wasm');
    expect(c.manifest.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(tf.getBackend()).toBe('cpu');
  });
});
