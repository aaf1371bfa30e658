import { describe, expect, it } from 'vitest';
import type { BeamlineError } from '../../../../functions/errors.ts';
import {
  checkModelName,
  checkSignature,
  decodeArtifact,
  encodeArtifact,
  sha256Hex,
  validateFeatureSchema,
  validateManifest,
} from '../../../../functions/runtime/model-registry/index.ts';

const good = {
  name: 'fraud',
  version: '3',
  sha256: 'a'.repeat(64),
  format: 'tfjs-layers',
  sizeBytes: 1234,
  signature: { input: [7], output: [1] },
  metrics: { auc: 0.93 },
  author: 'alice',
  createdAtMs: 1_700_000_000_000,
};

const thrown = (f: () => unknown): BeamlineError => {
  try {
    f();
  } catch (e) {
    return e as BeamlineError;
  }
  throw new Error('expected an error');
};

describe('manifests', () => {
  it('accept a valid manifest (retiredAtMs defaults to null) and freeze it', () => {
    const m = validateManifest(good);
    expect(m).toEqual({ ...good, retiredAtMs: null });
    expect(Object.isFrozen(m)).toBe(true);
  });

  it('name the field that is wrong', () => {
    expect(thrown(() => validateManifest({ ...good, sha256: 'xyz' })).message).toContain('manifest.sha256');
    expect(thrown(() => validateManifest({ ...good, signature: { input: [0], output: [1] } })).message).toContain(
      'manifest.signature.input',
    );
    expect(thrown(() => validateManifest({ ...good, metrics: { auc: 'high' } })).code).toBe('BL_REGISTRY_INVALID_MANIFEST');
    expect(thrown(() => validateManifest({ ...good, version: 'a/b' })).code).toBe('BL_REGISTRY_INVALID_NAME');
  });

  it('model names and versions cannot contain key separators', () => {
    expect(checkModelName('name', 'fraud-v2.1')).toBe('fraud-v2.1');
    expect(thrown(() => checkModelName('name', 'fraud/x')).code).toBe('BL_REGISTRY_INVALID_NAME');
    expect(thrown(() => checkModelName('version', '')).code).toBe('BL_REGISTRY_INVALID_NAME');
  });
});

describe('signatures against the feature schema', () => {
  const schema = validateFeatureSchema({ features: ['amount', 'count_1h', 'speed_kmh'] });

  it('pass when input width and outputs match', () => {
    expect(schema.outputs).toBe(1);
    expect(() => checkSignature({ input: [3], output: [1] }, schema)).not.toThrow();
  });

  it('fail with expected and actual shapes in the message and details', () => {
    const e = thrown(() => checkSignature({ input: [5], output: [2] }, schema));
    expect(e.code).toBe('BL_REGISTRY_SIGNATURE_MISMATCH');
    expect(e.message).toContain('expected input [batch, 3] (amount, count_1h, speed_kmh) and output [batch, 1]');
    expect(e.message).toContain('got input [batch, 5] and output [batch, 2]');
    expect(e.details).toMatchObject({ expected: { input: [3], output: [1] }, actual: { input: [5], output: [2] } });
  });

  it('feature schemas need unique names', () => {
    expect(thrown(() => validateFeatureSchema({ features: ['a', 'a'] })).code).toBe('BL_REGISTRY_INVALID_MANIFEST');
    expect(thrown(() => validateFeatureSchema({ features: [] })).code).toBe('BL_REGISTRY_INVALID_MANIFEST');
  });
});

describe('artifact bytes', () => {
  it('round-trip TF.js and ONNX artifacts', () => {
    const tfjs = { format: 'tfjs-layers' as const, modelJson: '{"modelTopology":{}}', weights: Uint8Array.of(1, 2, 3) };
    const back = decodeArtifact(encodeArtifact(tfjs));
    expect(back).toEqual(tfjs);
    const onnx = { format: 'onnx' as const, bytes: Uint8Array.of(9, 8, 7) };
    expect(decodeArtifact(encodeArtifact(onnx))).toEqual(onnx);
    expect(sha256Hex(encodeArtifact(onnx))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuse bytes that are not an artifact', () => {
    expect(thrown(() => decodeArtifact(Buffer.from('hello world'))).code).toBe('BL_REGISTRY_ARTIFACT_CORRUPT');
  });
});
