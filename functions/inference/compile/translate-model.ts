/**
 * Walks a loaded TF.js layers model from its outputs back to its inputs and translates each
 * layer call (a TF.js "node") once. Working on the loaded model rather than on model.json gives
 * the compiler TF.js's own view: resolved configs, inferred shapes and dequantised weights.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OnnxDim, OnnxValueInfo } from '../onnx/index.ts';
import { unsupportedLayerError } from './errors.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { LayerTranslator, Shape, WeightValue } from './layer-context.ts';
import { CONV_LAYERS } from './layers-conv.ts';
import { CORE_LAYERS } from './layers-core.ts';
import { NORM_LAYERS } from './layers-norm.ts';
import { RECURRENT_LAYERS } from './layers-recurrent.ts';
import { timeDistributed } from './layers-wrappers.ts';
import type { CompiledGraph } from './onnx-writer.ts';

const BASE: Readonly<Record<string, LayerTranslator>> = { ...CORE_LAYERS, ...CONV_LAYERS, ...NORM_LAYERS, ...RECURRENT_LAYERS };
const TRANSLATORS: Readonly<Record<string, LayerTranslator>> = {
  ...BASE,
  TimeDistributed: timeDistributed((className) => BASE[className]),
};

/** Layer classes the compiler translates, sorted. */
export function supportedLayerClasses(): readonly string[] {
  return Object.keys(TRANSLATORS).sort();
}

// The parts of tfjs-layers' symbolic graph the walk needs (public fields, loosely typed there).
interface SymTensor {
  readonly sourceLayer: TfLayer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
  readonly shape: Shape;
}
interface TfNode {
  readonly inputTensors: readonly SymTensor[];
  readonly outputTensors: readonly SymTensor[];
}
interface TfLayer {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  readonly inboundNodes: readonly TfNode[];
  readonly weights: readonly { readonly name: string; readonly originalName?: string; read(): tf.Tensor }[];
}

export interface TranslatedLayer {
  readonly name: string;
  readonly className: string;
  /** ONNX op types this layer became. */
  readonly ops: readonly string[];
}

export interface TranslatedModel {
  readonly graph: CompiledGraph;
  readonly layers: readonly TranslatedLayer[];
  /** Graph inputs that feed Embedding layers, with the vocabulary size their ids must stay below. */
  readonly idInputs: ReadonlyMap<string, number>;
}

export function translateModel(model: tf.LayersModel): TranslatedModel {
  const g = new GraphBuilder();
  const inputs = model.inputs as unknown as readonly SymTensor[];
  const outputs = model.outputs as unknown as readonly SymTensor[];
  const inputNames = inputs.map((t) => g.reserve(t.sourceLayer.name));
  const outputNames = outputs.map((t) => g.fresh(t.sourceLayer.name));
  // A scope per model call: a nested model called twice reuses its inner nodes with new inputs.
  const rootScope = new Map<string, string>();
  inputs.forEach((t, i) => rootScope.set(key(t), inputNames[i] ?? ''));
  const layers: TranslatedLayer[] = [];
  const idInputs = new Map<string, number>();
  const inputSet = new Set(inputNames);

  const valueOf = (t: SymTensor, scope: Map<string, string>): string => {
    const known = scope.get(key(t));
    if (known !== undefined) return known;
    const layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex];
    const className = layer.getClassName();
    if (node === undefined) throw unsupportedLayerError(layer.name, className);
    const nodeInputs = node.inputTensors.map((x) => valueOf(x, scope));
    let outs: readonly string[];
    if (isNestedModel(layer)) {
      // Inline the inner graph: its inputs become this call's input values.
      const inner = new Map<string, string>();
      layer.inputs.forEach((x, i) => inner.set(key(x), nodeInputs[i] ?? ''));
      outs = layer.outputs.map((x) => valueOf(x, inner));
    } else {
      const translate = TRANSLATORS[className];
      if (translate === undefined) throw unsupportedLayerError(layer.name, className);
      const before = g.nodeCount();
      outs = translate({
        g,
        name: layer.name,
        className,
        config: layer.getConfig(),
        weights: weightsOf(layer),
        inputs: nodeInputs,
        inputShapes: node.inputTensors.map((x) => x.shape),
        outputShapes: node.outputTensors.map((x) => x.shape),
        noteIdInput: (value, vocabulary) => {
          if (inputSet.has(value)) idInputs.set(value, Math.min(vocabulary, idInputs.get(value) ?? vocabulary));
        },
      });
      layers.push({ name: layer.name, className, ops: g.opTypesSince(before) });
    }
    node.outputTensors.forEach((o, i) => {
      const v = outs[i];
      if (v !== undefined) scope.set(key(o), v);
    });
    const v = scope.get(key(t));
    if (v === undefined) throw new Error(`translation of ${layer.name} (${className}) produced no output ${t.tensorIndex}`);
    return v;
  };

  outputs.forEach((t, i) => g.opInto('Identity', [valueOf(t, rootScope)], [outputNames[i] ?? '']));
  const graph = g.build(
    'tfjs_compiled',
    inputs.map((t, i) => valueInfo(inputNames[i] ?? '', t.shape)),
    outputs.map((t, i) => valueInfo(outputNames[i] ?? '', t.shape)),
  );
  return { graph, layers, idInputs };
}

interface NestedModel extends TfLayer {
  readonly inputs: readonly SymTensor[];
  readonly outputs: readonly SymTensor[];
}

function isNestedModel(layer: TfLayer): layer is NestedModel {
  const l = layer as Partial<NestedModel> & { predict?: unknown };
  return Array.isArray(l.inputs) && Array.isArray(l.outputs) && typeof l.predict === 'function';
}

function key(t: SymTensor): string {
  return `${t.sourceLayer.name}\u0000${t.nodeIndex}\u0000${t.tensorIndex}`;
}

function valueInfo(name: string, shape: Shape): OnnxValueInfo {
  const dims: OnnxDim[] = shape.map((d, i) => (d === null ? (i === 0 ? 'batch' : `${name}_d${i}`) : d));
  return { name, dtype: 'float32', dims };
}

function weightsOf(layer: TfLayer): Map<string, WeightValue> {
  const out = new Map<string, WeightValue>();
  for (const w of layer.weights) {
    const full = w.originalName ?? w.name;
    // 'gru_GRU1/recurrent_kernel' (suffixed '_1' when names collided) -> 'recurrent_kernel';
    // Bidirectional's 'bidi/forward_gru_GRU1/kernel' -> 'forward/kernel'.
    const parts = full.split('/');
    const short = (parts.at(-1) ?? full).replace(/_\d+$/, '');
    const owner = parts.at(-2) ?? '';
    const direction = owner.startsWith('forward_') ? 'forward/' : owner.startsWith('backward_') ? 'backward/' : '';
    const t = w.read();
    out.set(`${direction}${short}`, { shape: t.shape, data: Float32Array.from(t.dataSync() as ArrayLike<number>) });
  }
  return out;
}
