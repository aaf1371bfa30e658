import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileTfjsToOnnx } from '../../../../functions/inference/compile/index.ts';
import type { CompiledOnnxModel } from '../../../../functions/inference/compile/index.ts';
import { randomArtifacts } from './models.ts';

async function roundTrip(build: () => tf.LayersModel): Promise<CompiledOnnxModel> {
  const compiled = await compileTfjsToOnnx(await randomArtifacts(build), { probeBatch: 5, tolerance: 1e-4 });
  expect(compiled.manifest.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  return compiled;
}

const sym = (x: unknown): tf.SymbolicTensor => x as tf.SymbolicTensor;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compileTfjsToOnnx round trips: wrappers and more image layers', () => {
  it('Bidirectional GRU/LSTM/SimpleRNN with each merge mode, and TimeDistributed(Dense)', async () => {
    const c = await roundTrip(() => {
      const input = tf.input({ shape: [6, 4] });
      const seq = sym(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 5, returnSequences: true }) as never }).apply(input));
      const td = sym(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'relu' }) }).apply(seq));
      const a = sym(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4 }) as never, mergeMode: 'sum' }).apply(td));
      const b = sym(tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4 }) as never, mergeMode: 'ave' }).apply(input));
      const m = sym(
        tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }) as never, mergeMode: 'mul' }).apply(input),
      );
      const out = sym(tf.layers.concatenate().apply([a, b, sym(tf.layers.flatten().apply(m))]));
      return tf.model({ inputs: input, outputs: out });
    });
    expect(c.manifest.layers.map((l) => l.className)).toEqual(expect.arrayContaining(['Bidirectional', 'TimeDistributed']));
  });

  it('DepthwiseConv2D, SeparableConv2D, ZeroPadding2D, Cropping2D, UpSampling2D (nearest, bilinear), Rescaling', async () => {
    await roundTrip(() => {
      const input = tf.input({ shape: [10, 10, 3] });
      let x = sym(tf.layers.rescaling({ scale: 0.5, offset: -0.25 }).apply(input));
      x = sym(
        tf.layers
          .zeroPadding2d({
            padding: [
              [1, 2],
              [0, 1],
            ],
          })
          .apply(x),
      );
      x = sym(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, activation: 'relu' }).apply(x));
      x = sym(tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x));
      x = sym(
        tf.layers
          .cropping2D({
            cropping: [
              [1, 0],
              [2, 1],
            ],
          })
          .apply(x),
      );
      const near = sym(tf.layers.upSampling2d({ size: [2, 2] }).apply(x));
      const bil = sym(tf.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }).apply(x));
      const out = sym(tf.layers.concatenate().apply([sym(tf.layers.flatten().apply(near)), sym(tf.layers.flatten().apply(bil))]));
      return tf.model({ inputs: input, outputs: out });
    });
  });

  it('Embedding behind an int32 input (served as float32 ids)', async () => {
    const c = await roundTrip(() => {
      const ids = tf.input({ shape: [7], dtype: 'int32' });
      const e = sym(tf.layers.embedding({ inputDim: 20, outputDim: 4 }).apply(ids));
      return tf.model({ inputs: ids, outputs: sym(tf.layers.globalAveragePooling1d({}).apply(e)) });
    });
    expect(c.manifest.inputs[0]).toMatchObject({ dtype: 'float32', idVocabulary: 20 });
  });

  it('SimpleRNN over a dynamic number of time steps keeps the time dim symbolic', async () => {
    const c = await roundTrip(() => tf.sequential({ layers: [tf.layers.simpleRNN({ inputShape: [null, 3] as never, units: 4 })] }));
    expect(c.manifest.inputs[0]?.shape).toEqual(['batch', expect.any(String), 3]);
  });
});

describe('compileTfjsToOnnx round trips: remaining merge, shape and 3-D layers', () => {
  it('Maximum/Minimum/Average, Permute, RepeatVector, GaussianNoise', async () => {
    await roundTrip(() => {
      const input = tf.input({ shape: [8] });
      const a = sym(tf.layers.dense({ units: 6 }).apply(input));
      const b = sym(tf.layers.dense({ units: 6 }).apply(input));
      const merged = [tf.layers.maximum(), tf.layers.minimum(), tf.layers.average()].map((l) => sym(l.apply([a, b])));
      const rep = sym(tf.layers.repeatVector({ n: 3 }).apply(sym(tf.layers.concatenate().apply(merged))));
      const perm = sym(tf.layers.permute({ dims: [2, 1] }).apply(sym(tf.layers.gaussianNoise({ stddev: 1 }).apply(rep))));
      return tf.model({ inputs: input, outputs: sym(tf.layers.flatten().apply(perm)) });
    });
  });

  it('Conv3D with 3-D max and average pooling', async () => {
    await roundTrip(() =>
      tf.sequential({
        layers: [
          tf.layers.conv3d({ inputShape: [6, 6, 6, 2], filters: 3, kernelSize: 2, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling3d({ poolSize: 2 }),
          tf.layers.averagePooling3d({ poolSize: 2, padding: 'same' }),
          tf.layers.flatten(),
        ],
      }),
    );
  });
});

describe('compileTfjsToOnnx round trips: nested models', () => {
  it('inlines a Sequential used twice inside a functional model (shared weights)', async () => {
    const c = await roundTrip(() => {
      const tower = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [6], units: 5, activation: 'tanh' }), tf.layers.dense({ units: 3 })],
      });
      const a = tf.input({ shape: [6] });
      const b = tf.input({ shape: [6] });
      const out = sym(tf.layers.add().apply([sym(tower.apply(a)), sym(tower.apply(b))]));
      return tf.model({ inputs: [a, b], outputs: out });
    });
    expect(c.manifest.layers.filter((l) => l.className === 'Dense')).toHaveLength(4);
  });
});
