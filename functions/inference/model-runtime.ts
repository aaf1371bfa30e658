/**
 * One interface over every model runtime (TF.js layers models, ONNX Runtime sessions).
 * Models load from bytes in memory: the registry (not this module) decides where bytes live.
 */

/** A TF.js layers model: the model.json content and the concatenated weight bytes. */
export interface TfjsLayersArtifact {
  readonly format: 'tfjs-layers';
  /** model.json as text, bytes or parsed object. */
  readonly modelJson: string | Uint8Array | Readonly<Record<string, unknown>>;
  /** All weight shards concatenated in manifest order. */
  readonly weights: Uint8Array;
}

export interface OnnxArtifact {
  readonly format: 'onnx';
  readonly bytes: Uint8Array;
}

/** Plain data only, so it can be posted to worker threads. */
export type ModelArtifact = TfjsLayersArtifact | OnnxArtifact;

export type TfjsBackend = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type OrtBackend = 'cuda' | 'webgpu' | 'cpu';
/** Qualified backend name, e.g. 'tfjs-wasm' or 'ort-cpu'. */
export type BackendName = `tfjs-${TfjsBackend}` | `ort-${OrtBackend}`;

export const TFJS_BACKENDS: readonly BackendName[] = ['tfjs-tensorflow', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu'];
export const ORT_BACKENDS: readonly BackendName[] = ['ort-cuda', 'ort-webgpu', 'ort-cpu'];

/** #25: a model served by another process over the Open Inference Protocol. */
export type RemoteBackendName = 'remote-oip';

export interface RuntimeDescription {
  readonly format: ModelArtifact['format'] | 'remote';
  readonly backend: BackendName | RemoteBackendName;
  /** Feature shape of one row (without the batch dim). */
  readonly rowShape: readonly number[];
  /** Number of output values per row. */
  readonly outputsPerRow: number;
}

export interface ModelRuntime {
  /**
   * Scores a batch. `shape[0]` is the batch size; `batch.length` equals the product of `shape`.
   * Returns `shape[0] * outputsPerRow` values, row-major.
   */
  predict(batch: Float32Array, shape: readonly number[]): Promise<Float32Array>;
  describe(): RuntimeDescription;
  /** Idempotent. */
  dispose(): Promise<void>;
}

export function rowSize(rowShape: readonly number[]): number {
  return rowShape.reduce((a, b) => a * b, 1);
}
