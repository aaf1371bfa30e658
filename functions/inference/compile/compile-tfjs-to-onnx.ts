/**
 * TF.js layers model -> ONNX bytes, refused unless ONNX Runtime reproduces TF.js on a seeded
 * probe batch within the tolerance. The manifest records what was checked so serving can trust
 * the compiled model without re-running TF.js.
 */
import { tf } from '../tfjs.ts';
import * as ort from 'onnxruntime-node';
import { BeamlineError } from '../../errors.ts';
import type { TfjsLayersArtifact } from '../model-runtime.ts';
import type { OnnxDim } from '../onnx/index.ts';
import type { CompileTfjsToOnnxOptions, ReferenceBackend } from './compile-options.ts';
import { compileTfjsToOnnxOptions } from './compile-options.ts';
import { COMPILE_ERROR_CODES } from './errors.ts';
import { encodeCompiledModel } from './onnx-writer.ts';
import { makeProbe } from './probe.ts';
import type { ProbeInput } from './probe.ts';
import type { TranslatedLayer } from './translate-model.ts';
import { translateModel } from './translate-model.ts';

export const COMPILED_OPSET = 17;

export interface CompiledTensorInfo {
  readonly name: string;
  readonly dtype: 'float32';
  /** 'batch' marks the dynamic batch dim. */
  readonly shape: readonly OnnxDim[];
  /** Set when the input carries integer ids (as float32) for an Embedding: ids must be < this. */
  readonly idVocabulary?: number;
}

export interface CompileManifest {
  readonly maxAbsDiff: number;
  readonly tolerance: number;
  readonly probeRows: number;
  readonly seed: number;
  readonly referenceBackend: ReferenceBackend;
  readonly inputs: readonly CompiledTensorInfo[];
  readonly outputs: readonly CompiledTensorInfo[];
  readonly opset: number;
  readonly layers: readonly TranslatedLayer[];
}

export interface CompiledOnnxModel {
  readonly onnx: Uint8Array;
  readonly manifest: CompileManifest;
}

export async function compileTfjsToOnnx(
  artifacts: tf.io.ModelArtifacts | TfjsLayersArtifact,
  options: CompileTfjsToOnnxOptions = {},
): Promise<CompiledOnnxModel> {
  const config = compileTfjsToOnnxOptions(options);
  const log = config.logger.child({ component: 'tfjs-onnx-compiler' });
  const previousBackend = tf.getBackend();
  await useBackend(config.referenceBackend);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifacts)));
  } catch (cause) {
    await restoreBackend(previousBackend);
    throw new BeamlineError(COMPILE_ERROR_CODES.badArtifact, `artifacts do not load as a TF.js layers model: ${String(cause)}`, { cause });
  }
  try {
    const translated = translateModel(model);
    const onnx = encodeCompiledModel(translated.graph, {
      opset: COMPILED_OPSET,
      producerName: 'beamline-tfjs-compiler',
      producerVersion: '1',
      docString: `compiled from a TF.js layers model (${translated.layers.length} layers)`,
      metadata: { source_format: 'tfjs-layers', layers: translated.layers.map((l) => `${l.name}:${l.className}`).join(',') },
    });
    const inputs: CompiledTensorInfo[] = translated.graph.inputs.map((i) => {
      const vocab = translated.idInputs.get(i.name);
      return vocab === undefined
        ? { name: i.name, dtype: 'float32', shape: i.dims }
        : { name: i.name, dtype: 'float32', shape: i.dims, idVocabulary: vocab };
    });
    const outputs: CompiledTensorInfo[] = translated.graph.outputs.map((o) => ({ name: o.name, dtype: 'float32', shape: o.dims }));
    const probe = makeProbe(inputs, config.probeBatch, config.probeDynamicDim, config.seed);
    let expected: Float32Array[];
    try {
      expected = await runTfjs(model, probe);
    } catch (cause) {
      throw new BeamlineError(COMPILE_ERROR_CODES.verifyFailed, `TF.js could not run the model on the probe batch: ${String(cause)}`, {
        cause,
      });
    }
    const actual = await runOrt(
      onnx,
      probe,
      outputs.map((o) => o.name),
    );
    const maxAbsDiff = maxDifference(expected, actual);
    const manifest: CompileManifest = Object.freeze({
      maxAbsDiff,
      tolerance: config.tolerance,
      probeRows: config.probeBatch,
      seed: config.seed,
      referenceBackend: config.referenceBackend,
      inputs,
      outputs,
      opset: COMPILED_OPSET,
      layers: translated.layers,
    });
    if (!(maxAbsDiff <= config.tolerance)) {
      throw new BeamlineError(
        COMPILE_ERROR_CODES.mismatch,
        `compiled ONNX model differs from TF.js by ${maxAbsDiff} (tolerance ${config.tolerance}) on a ${config.probeBatch}-row probe; not serving it`,
        { details: { maxAbsDiff, tolerance: config.tolerance, probeRows: config.probeBatch, seed: config.seed } },
      );
    }
    log.info({ layers: translated.layers.length, bytes: onnx.length, maxAbsDiff }, 'tfjs model compiled to onnx');
    return { onnx, manifest };
  } finally {
    model.dispose();
    await restoreBackend(previousBackend);
  }
}

async function useBackend(backend: ReferenceBackend): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) {
    throw new BeamlineError(COMPILE_ERROR_CODES.verifyFailed, `TF.js backend ${backend} failed to initialise`, { details: { backend } });
  }
  await tf.ready();
}

async function restoreBackend(previous: string | undefined): Promise<void> {
  // TF.js has one global backend per thread; leave it as the caller had it.
  if (previous !== undefined && previous !== tf.getBackend()) await tf.setBackend(previous);
}

async function runTfjs(model: tf.LayersModel, probe: readonly ProbeInput[]): Promise<Float32Array[]> {
  // The ONNX graph takes float32 everywhere; TF.js gets each input in its declared dtype.
  const tensors = probe.map((p, i) => {
    const dtype = model.inputs[i]?.dtype === 'int32' ? 'int32' : 'float32';
    return tf.tensor(dtype === 'int32' ? Int32Array.from(p.data) : p.data, [...p.shape], dtype);
  });
  try {
    const out = model.predict(tensors.length === 1 ? (tensors[0] as tf.Tensor) : tensors);
    const list = Array.isArray(out) ? out : [out];
    try {
      return await Promise.all(list.map(async (t) => Float32Array.from((await t.data()) as ArrayLike<number>)));
    } finally {
      for (const t of list) t.dispose();
    }
  } finally {
    for (const t of tensors) t.dispose();
  }
}

async function runOrt(onnx: Uint8Array, probe: readonly ProbeInput[], outputNames: readonly string[]): Promise<Float32Array[]> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  } catch (cause) {
    throw new BeamlineError(COMPILE_ERROR_CODES.verifyFailed, `ONNX Runtime rejected the compiled model: ${String(cause)}`, { cause });
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of probe) feeds[p.name] = new ort.Tensor('float32', p.data, [...p.shape]);
    const result = await session.run(feeds);
    return outputNames.map((name) => {
      const t = result[name];
      if (t === undefined) throw new BeamlineError(COMPILE_ERROR_CODES.verifyFailed, `ONNX Runtime returned no output ${name}`);
      return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    });
  } catch (cause) {
    if (cause instanceof BeamlineError) throw cause;
    throw new BeamlineError(COMPILE_ERROR_CODES.verifyFailed, `ONNX Runtime failed on the probe batch: ${String(cause)}`, { cause });
  } finally {
    await session.release();
  }
}

/** Infinity when shapes differ or only one side is NaN, so such a compile is always refused. */
export function maxDifference(expected: readonly Float32Array[], actual: readonly Float32Array[]): number {
  if (expected.length !== actual.length) return Infinity;
  let max = 0;
  expected.forEach((e, k) => {
    const a = actual[k];
    if (a === undefined || a.length !== e.length) {
      max = Infinity;
      return;
    }
    for (let i = 0; i < e.length; i++) {
      const x = e[i] ?? 0;
      const y = a[i] ?? 0;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      const d = Math.abs(x - y);
      max = Number.isNaN(d) ? Infinity : Math.max(max, d);
    }
  });
  return max;
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function toModelArtifacts(artifacts: tf.io.ModelArtifacts | TfjsLayersArtifact): tf.io.ModelArtifacts {
  if (!('modelJson' in artifacts)) return artifacts;
  const raw = artifacts.modelJson;
  const json = (
    typeof raw === 'string' ? JSON.parse(raw) : raw instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(raw)) : raw
  ) as ModelJson;
  const w = artifacts.weights;
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: (json.weightsManifest ?? []).flatMap((group) => group.weights),
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
  };
}
