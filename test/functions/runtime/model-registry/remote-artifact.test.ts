import { describe, expect, it } from 'vitest';
import {
  decodeArtifact,
  encodeArtifact,
  sha256Hex,
  validateManifest,
  validateRemoteModel,
} from '../../../../functions/runtime/model-registry/index.ts';
import type { RemoteModelSpec } from '../../../../functions/inference/index.ts';

const spec: RemoteModelSpec = {
  protocol: 'oip-rest',
  endpoint: 'https://models.internal:8443',
  model: 'fraud',
  signature: { input: [4], output: [1] },
  auth: { kind: 'secret', name: 'fraud-token' },
};

describe('remote artifacts in the registry (#25)', () => {
  it('round-trip as a spec with no body, and never hold a credential', () => {
    const bytes = encodeArtifact({ format: 'remote', spec });
    const back = decodeArtifact(bytes);
    expect(back).toMatchObject({
      format: 'remote',
      spec: { endpoint: 'https://models.internal:8443', auth: { kind: 'secret', name: 'fraud-token' } },
    });
    expect(sha256Hex(bytes)).toMatch(/^[0-9a-f]{64}$/);
    expect(bytes.toString('utf8')).not.toMatch(/Bearer/);
  });

  it('refuses a stored spec that no longer validates, as a corrupt artifact', () => {
    const bad = encodeArtifact({ format: 'remote', spec: { ...spec, endpoint: 'ftp://x' } });
    expect(() => decodeArtifact(bad)).toThrow(expect.objectContaining({ code: 'BL_REGISTRY_ARTIFACT_CORRUPT' }));
  });

  it('accepts "remote" manifests, and validates a spec without probing when asked', async () => {
    const m = {
      name: 'fraud',
      version: '3',
      sha256: 'a'.repeat(64),
      format: 'remote',
      sizeBytes: 10,
      signature: { input: [4], output: [1] },
      author: 'ana',
      createdAtMs: 1,
    };
    expect(validateManifest(m).format).toBe('remote');
    const v = await validateRemoteModel({ format: 'remote', spec }, { probe: false });
    expect(v).toMatchObject({ backend: 'remote-oip', signature: { input: [4], output: [1] }, probeRows: 0 });
    await expect(validateRemoteModel({ format: 'remote', spec: { ...spec, model: '' } }, { probe: false })).rejects.toThrow(
      expect.objectContaining({ code: 'BL_REGISTRY_INVALID_MANIFEST' }),
    );
  });
});
