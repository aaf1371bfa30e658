import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../../../functions/errors.ts';
import { activationKey, applyActivation } from '../../../../functions/inference/compile/activations.ts';
import { GraphBuilder, permute } from '../../../../functions/inference/compile/graph-builder.ts';
import { encodeCompiledModel } from '../../../../functions/inference/compile/onnx-writer.ts';

const X = Float32Array.from({ length: 41 }, (_, i) => (i - 20) / 5);

/** Runs one activation subgraph through ONNX Runtime on X. */
async function onnxActivation(name: string): Promise<Float32Array> {
  const g = new GraphBuilder();
  g.reserve('x');
  const y = applyActivation(g, 'x', name, 'act', { name: 'probe', className: 'Activation' });
  g.opInto('Identity', [y], [g.fresh('y')]);
  const bytes = encodeCompiledModel(
    g.build(
      'act',
      [{ name: 'x', dtype: 'float32', dims: ['batch', X.length] }],
      [{ name: 'y', dtype: 'float32', dims: ['batch', X.length] }],
    ),
    { opset: 17, producerName: 'test', producerVersion: '0', docString: '', metadata: {} },
  );
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', X, [1, X.length]) });
    return out['y']?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('activation subgraphs', () => {
  it('gelu_new (which tfjs-layers cannot reload, so no round trip covers it) matches its formula', async () => {
    const expected = X.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    expect(maxAbs(await onnxActivation('gelu_new'), expected)).toBeLessThan(1e-5);
  });

  it('every supported name agrees with TF.js applied through an Activation layer', async () => {
    for (const name of [
      'relu',
      'relu6',
      'elu',
      'selu',
      'sigmoid',
      'hardSigmoid',
      'tanh',
      'softplus',
      'softsign',
      'swish',
      'mish',
      'gelu',
      'linear',
      'softmax',
      'logSoftmax',
    ]) {
      const layer = tf.layers.activation({ activation: name as never });
      const expected = (layer.apply(tf.tensor2d(X, [1, X.length])) as tf.Tensor).dataSync();
      expect(maxAbs(await onnxActivation(name), expected), name).toBeLessThan(1e-5);
    }
  });

  it('accepts Keras spellings and refuses unknown activations with a typed error', async () => {
    expect(activationKey('hard_sigmoid')).toBe(activationKey('hardSigmoid'));
    const err = await onnxActivation('exponential').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_COMPILE_UNSUPPORTED_CONFIG');
  });

  it('permute transposes N-D row-major data', () => {
    // [2,3] -> [3,2]
    expect([...permute(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], [1, 0])]).toEqual([1, 4, 2, 5, 3, 6]);
    // [k=2, in=1, out=2] -> [out, in, k]
    expect([...permute(Float32Array.of(1, 2, 3, 4), [2, 1, 2], [2, 1, 0])]).toEqual([1, 3, 2, 4]);
  });
});
