import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BeamlineError, ConfigError } from '../../../../functions/errors.ts';
import {
  COMPILE_ERROR_CODES,
  compileTfjsToOnnx,
  compileTfjsToOnnxOptions,
  maxDifference,
  supportedLayerClasses,
} from '../../../../functions/inference/compile/index.ts';
import { tfjsArtifactFromSave } from '../../../../functions/inference/tfjs-runtime.ts';
import { artifactsOf, randomArtifacts } from './models.ts';

async function refusal(promise: Promise<unknown>): Promise<BeamlineError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BeamlineError);
  return err as BeamlineError;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compileTfjsToOnnx refusals', () => {
  it('refuses an unsupported layer with BL_COMPILE_UNSUPPORTED_LAYER naming the layer and its class', async () => {
    const art = await artifactsOf(
      tf.sequential({
        layers: [
          tf.layers.conv2dTranspose({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'upsample_features' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1 }),
        ],
      }),
    );
    const err = await refusal(compileTfjsToOnnx(art));
    expect(err.code).toBe('BL_COMPILE_UNSUPPORTED_LAYER');
    expect(err.message).toContain('"upsample_features"');
    expect(err.message).toContain('Conv2DTranspose');
    expect(err.details).toMatchObject({ layer: 'upsample_features', className: 'Conv2DTranspose' });
    expect(supportedLayerClasses()).not.toContain('Conv2DTranspose');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses a setting it cannot translate (Embedding mask_zero) with BL_COMPILE_UNSUPPORTED_CONFIG', async () => {
    const art = await artifactsOf(
      tf.sequential({
        layers: [tf.layers.embedding({ inputShape: [4], inputDim: 10, outputDim: 3, maskZero: true, name: 'tokens' }), tf.layers.flatten()],
      }),
    );
    const err = await refusal(compileTfjsToOnnx(art));
    expect(err.code).toBe(COMPILE_ERROR_CODES.unsupportedConfig);
    expect(err.message).toContain('"tokens"');
    expect(err.message).toContain('maskZero');
  });

  it('refuses with BL_COMPILE_MISMATCH and the difference when outputs differ by more than the tolerance', async () => {
    // Float rounding differs between TF.js and ORT GRU kernels, so a zero tolerance cannot be met.
    const art = await randomArtifacts(() => tf.sequential({ layers: [tf.layers.gru({ inputShape: [12, 6], units: 16 })] }), 3, 1);
    const err = await refusal(compileTfjsToOnnx(art, { tolerance: 0, probeBatch: 16 }));
    expect(err.code).toBe('BL_COMPILE_MISMATCH');
    const diff = err.details['maxAbsDiff'] as number;
    expect(diff).toBeGreaterThan(0);
    expect(err.message).toContain(`differs from TF.js by ${diff}`);
    expect(err.details).toMatchObject({ tolerance: 0, probeRows: 16 });
  });

  it('GRU reset_after=true: tfjs-layers itself rejects it, so the artifact is refused as unloadable', async () => {
    expect(() => tf.layers.gru({ units: 4, resetAfter: true } as never)).toThrow(/reset_after/);
    const saved = await artifactsOf(tf.sequential({ layers: [tf.layers.gru({ inputShape: [5, 3], units: 4 })] }));
    const topology = JSON.parse(JSON.stringify(saved.modelTopology)) as { config: { layers: { config: Record<string, unknown> }[] } };
    for (const l of topology.config.layers) l.config['reset_after'] = true;
    const err = await refusal(compileTfjsToOnnx({ ...saved, modelTopology: topology }));
    expect(err.code).toBe(COMPILE_ERROR_CODES.badArtifact);
    expect(err.message).toContain('reset_after');
  });

  it('accepts the runtime artifact shape (model.json + weight bytes) as well as tf.io.ModelArtifacts', async () => {
    const saved = await randomArtifacts(() => tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] }));
    const c = await compileTfjsToOnnx(tfjsArtifactFromSave(saved));
    expect(c.manifest.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const err = await refusal(compileTfjsToOnnx({ format: 'tfjs-layers', modelJson: '{"modelTopology":{}}', weights: new Uint8Array(0) }));
    expect(err.code).toBe(COMPILE_ERROR_CODES.badArtifact);
  });

  it('validates options into a frozen config with documented defaults', () => {
    const c = compileTfjsToOnnxOptions();
    expect(c).toMatchObject({ probeBatch: 8, tolerance: 1e-4, seed: 1, referenceBackend: 'cpu', probeDynamicDim: 5 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => compileTfjsToOnnxOptions({ probeBatch: 0 })).toThrow(ConfigError);
    expect(() => compileTfjsToOnnxOptions({ tolerance: Number.NaN })).toThrow(/tolerance/);
    expect(() => compileTfjsToOnnxOptions({ referenceBackend: 'webgl' as never })).toThrow(/referenceBackend/);
  });

  it('maxDifference treats shape mismatches and one-sided NaN as infinite', () => {
    expect(maxDifference([Float32Array.of(1, 2)], [Float32Array.of(1, 2.5)])).toBeCloseTo(0.5);
    expect(maxDifference([Float32Array.of(1, 2)], [Float32Array.of(1)])).toBe(Infinity);
    expect(maxDifference([Float32Array.of(Number.NaN)], [Float32Array.of(0)])).toBe(Infinity);
    expect(maxDifference([Float32Array.of(Number.NaN)], [Float32Array.of(Number.NaN)])).toBe(0);
  });
});
