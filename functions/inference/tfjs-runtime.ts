/**
 * TF.js layers models. TF.js has one active backend per thread, so a runtime switches the
 * global backend to its own before each call; warm pools give each model its own thread.
 */
import { tf } from './tfjs.ts';
import '@tensorflow/tfjs-backend-wasm';
import { BeamlineError } from '../errors.ts';
import { INFERENCE_ERROR_CODES } from './errors.ts';
import type { ModelRuntime, RuntimeDescription, TfjsBackend, TfjsLayersArtifact } from './model-runtime.ts';
import { rowSize } from './model-runtime.ts';
import { ensureTfjsNode, ensureTfjsWebgpu } from './tfjs-backends.ts';

export class TfjsRuntime implements ModelRuntime {
  readonly #model: tf.LayersModel;
  readonly #backend: TfjsBackend;
  readonly #description: RuntimeDescription;
  #disposed = false;

  private constructor(model: tf.LayersModel, backend: TfjsBackend, description: RuntimeDescription) {
    this.#model = model;
    this.#backend = backend;
    this.#description = description;
  }

  static async create(artifact: TfjsLayersArtifact, backend: TfjsBackend): Promise<TfjsRuntime> {
    await activateTfjsBackend(backend);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifact)));
    } catch (cause) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'tfjs layers model failed to load', { cause, details: { backend } });
    }
    const input = model.inputs[0];
    const output = model.outputs[0];
    if (input === undefined || output === undefined || model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'only single-input single-output models are supported', {
        details: { inputs: model.inputs.length, outputs: model.outputs.length },
      });
    }
    const rowShape = input.shape.slice(1).map((d) => d ?? -1);
    if (rowShape.some((d) => d < 0)) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'model input must have fixed non-batch dims', {
        details: { shape: input.shape },
      });
    }
    const outputsPerRow = rowSize(output.shape.slice(1).map((d) => d ?? 1));
    return new TfjsRuntime(model, backend, { format: 'tfjs-layers', backend: `tfjs-${backend}`, rowShape, outputsPerRow });
  }

  describe(): RuntimeDescription {
    return this.#description;
  }

  async predict(batch: Float32Array, shape: readonly number[]): Promise<Float32Array> {
    if (this.#disposed) throw new BeamlineError(INFERENCE_ERROR_CODES.closed, 'runtime is disposed', { retriable: true });
    if (tf.getBackend() !== this.#backend) await tf.setBackend(this.#backend);
    const out = tf.tidy(() => this.#model.predict(tf.tensor(batch, [...shape], 'float32')) as tf.Tensor);
    try {
      const data = await out.data();
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    } finally {
      out.dispose();
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose();
  }
}

async function activateTfjsBackend(backend: TfjsBackend): Promise<void> {
  if (backend === 'webgpu' && !(await ensureTfjsWebgpu())) {
    throw new BeamlineError(INFERENCE_ERROR_CODES.noBackend, 'no WebGPU adapter', { details: { backend } });
  }
  if (backend === 'tensorflow' && !(await ensureTfjsNode())) {
    throw new BeamlineError(INFERENCE_ERROR_CODES.noBackend, '@tensorflow/tfjs-node is not installed', { details: { backend } });
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new BeamlineError(INFERENCE_ERROR_CODES.noBackend, 'tfjs backend failed to initialise', { details: { backend } });
  await tf.ready();
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function toModelArtifacts(artifact: TfjsLayersArtifact): tf.io.ModelArtifacts {
  const raw = artifact.modelJson;
  const json = (
    typeof raw === 'string' ? JSON.parse(raw) : raw instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(raw)) : raw
  ) as ModelJson;
  const weightSpecs = (json.weightsManifest ?? []).flatMap((group) => group.weights);
  const w = artifact.weights;
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
  };
}

/** Turns in-memory save output (`tf.io.withSaveHandler`) into the artifact this runtime loads. */
export function tfjsArtifactFromSave(saved: tf.io.ModelArtifacts): TfjsLayersArtifact {
  const data = saved.weightData;
  const weights =
    data === undefined
      ? new Uint8Array(0)
      : Array.isArray(data)
        ? new Uint8Array(tf.io.concatenateArrayBuffers(data))
        : new Uint8Array(data as ArrayBuffer);
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs ?? [] }],
  };
  return { format: 'tfjs-layers', modelJson: JSON.stringify(modelJson), weights };
}
