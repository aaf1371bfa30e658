/**
 * Push-time validation: the model loads, scores a probe batch with finite outputs, and its
 * signature is read from the loaded runtime (not trusted from the uploader).
 * TF.js / ONNX Runtime are imported lazily so registry commands that never load a model stay fast.
 */
import type { ModelArtifact, RemoteArtifact, RemoteModelSpec } from '../../inference/index.ts';
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';
import type { ModelSignature } from './manifest.ts';

export interface ValidatedModel {
  readonly signature: ModelSignature;
  readonly backend: string;
  readonly probeRows: number;
}

/** Rows in the probe batch: zeros, ones and a ramp, so a NaN-prone model shows it. */
const PROBE_ROWS = 3;

export async function validateModel(artifact: ModelArtifact): Promise<ValidatedModel> {
  const { loadRuntime } = await import('../../inference/index.ts');
  let loaded;
  try {
    loaded = await loadRuntime(artifact, { backend: 'auto', model: 'push-probe' });
  } catch (cause) {
    throw registryError(REGISTRY_ERROR_CODES.probeFailed, `the model does not load: ${(cause as Error).message}`, {}, cause);
  }
  try {
    const d = loaded.runtime.describe();
    const width = d.rowShape.reduce((a, b) => a * b, 1);
    const batch = new Float32Array(PROBE_ROWS * width);
    for (let i = 0; i < width; i++) {
      batch[width + i] = 1;
      batch[2 * width + i] = i / Math.max(1, width);
    }
    let out: Float32Array;
    try {
      out = await loaded.runtime.predict(batch, [PROBE_ROWS, ...d.rowShape]);
    } catch (cause) {
      throw registryError(
        REGISTRY_ERROR_CODES.probeFailed,
        `the model fails on a probe batch of ${PROBE_ROWS} rows: ${(cause as Error).message}`,
        {},
        cause,
      );
    }
    if (out.length !== PROBE_ROWS * d.outputsPerRow || out.some((v) => !Number.isFinite(v))) {
      throw registryError(
        REGISTRY_ERROR_CODES.probeFailed,
        `the model's probe outputs are not ${PROBE_ROWS}x${d.outputsPerRow} finite numbers`,
        { outputs: Array.from(out).slice(0, 12) },
      );
    }
    return { signature: { input: [...d.rowShape], output: [d.outputsPerRow] }, backend: d.backend, probeRows: PROBE_ROWS };
  } finally {
    await loaded.runtime.dispose();
  }
}

/**
 * #25: a remote version. The spec is validated; with `probe` (the default) the server is asked
 * too: server and model ready, metadata matching the signature, one probe row scored. The
 * signature is the spec's (a remote server's metadata may leave shapes open).
 */
export async function validateRemoteModel(
  artifact: RemoteArtifact,
  options: { probe?: boolean } = {},
): Promise<ValidatedModel & { spec: RemoteModelSpec }> {
  const { RemoteScorer, compileRemoteModelSpec } = await import('../../inference/index.ts');
  let spec: RemoteModelSpec;
  try {
    spec = compileRemoteModelSpec(artifact.spec);
  } catch (cause) {
    throw registryError(REGISTRY_ERROR_CODES.invalidManifest, (cause as Error).message, {}, cause);
  }
  if (options.probe ?? true) {
    try {
      const scorer = await RemoteScorer.connect(spec, { version: 'push-probe' });
      await scorer.close();
    } catch (cause) {
      throw registryError(
        REGISTRY_ERROR_CODES.probeFailed,
        `the remote model fails its probe: ${(cause as Error).message}`,
        { endpoint: spec.endpoint, model: spec.model },
        cause,
      );
    }
  }
  return {
    spec,
    signature: { input: [...spec.signature.input], output: [...spec.signature.output] },
    backend: 'remote-oip',
    probeRows: (options.probe ?? true) ? 1 : 0,
  };
}

/** A model folder (model.json + weights) or a .onnx file, read into memory. */
export async function readModelPath(path: string): Promise<ModelArtifact> {
  const { readModelArtifact } = await import('../../inference/index.ts');
  return readModelArtifact(path);
}
