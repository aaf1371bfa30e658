/**
 * ONNX Runtime sessions (onnxruntime-node). The CPU and WebGPU execution providers ship in the
 * npm package; CUDA needs libraries the package lacks, so it is probed, never assumed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { BeamlineError } from '../errors.ts';
import { INFERENCE_ERROR_CODES } from './errors.ts';
import type { ModelRuntime, OnnxArtifact, OrtBackend, RuntimeDescription } from './model-runtime.ts';
import { rowSize } from './model-runtime.ts';

export interface OrtRuntimeOptions {
  /** Threads inside one session; pools scale with worker threads instead. @default 1 */
  intraOpThreads?: number;
}

export class OrtRuntime implements ModelRuntime {
  readonly #session: ort.InferenceSession;
  readonly #inputName: string;
  readonly #outputName: string;
  readonly #description: RuntimeDescription;
  #disposed = false;

  private constructor(session: ort.InferenceSession, description: RuntimeDescription) {
    this.#session = session;
    this.#inputName = session.inputNames[0] ?? '';
    this.#outputName = session.outputNames[0] ?? '';
    this.#description = description;
  }

  static async create(artifact: OnnxArtifact, backend: OrtBackend, options: OrtRuntimeOptions = {}): Promise<OrtRuntime> {
    if (backend === 'cuda' && !cudaProviderInstalled()) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.noBackend, 'ONNX Runtime CUDA provider libraries are not installed', {
        details: { backend, fix: 'install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL_CUDA=v12' },
      });
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(artifact.bytes, {
        executionProviders: [backend],
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (cause) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'onnx session failed to load', { cause, details: { backend } });
    }
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      await session.release();
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'only single-input single-output models are supported', {
        details: { inputs: session.inputNames, outputs: session.outputNames },
      });
    }
    const inMeta = session.inputMetadata[0];
    const outMeta = session.outputMetadata[0];
    const dimsOf = (m: unknown): readonly (number | string)[] =>
      m !== undefined && m !== null && typeof m === 'object' && 'shape' in m ? (m.shape as (number | string)[]) : [];
    const rowShape = dimsOf(inMeta).slice(1);
    if (rowShape.some((d) => typeof d !== 'number' || d < 0)) {
      await session.release();
      throw new BeamlineError(INFERENCE_ERROR_CODES.loadFailed, 'model input must have fixed non-batch dims', {
        details: { shape: dimsOf(inMeta) },
      });
    }
    const outRow = dimsOf(outMeta)
      .slice(1)
      .map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    return new OrtRuntime(session, {
      format: 'onnx',
      backend: `ort-${backend}`,
      rowShape: rowShape as number[],
      outputsPerRow: rowSize(outRow),
    });
  }

  describe(): RuntimeDescription {
    return this.#description;
  }

  async predict(batch: Float32Array, shape: readonly number[]): Promise<Float32Array> {
    if (this.#disposed) throw new BeamlineError(INFERENCE_ERROR_CODES.closed, 'runtime is disposed', { retriable: true });
    const result = await this.#session.run({ [this.#inputName]: new ort.Tensor('float32', batch, [...shape]) });
    const out = result[this.#outputName];
    if (out === undefined) throw new BeamlineError(INFERENCE_ERROR_CODES.predictFailed, 'session returned no output');
    const data = out.data;
    return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#session.release();
  }
}

/**
 * The npm package ships no CUDA provider; trying to load it anyway makes ONNX Runtime print a
 * native error line on every probe. Checked only on Linux x64, where the layout is known.
 */
function cudaProviderInstalled(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return true;
  try {
    const dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    return existsSync(join(dist, '..', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
  } catch {
    return true;
  }
}
