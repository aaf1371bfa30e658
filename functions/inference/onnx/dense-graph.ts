/**
 * A ready-made graph: a stack of dense layers (MatMul + Add + activation). Used by tests and
 * benchmarks, and a worked example of the graph description for issue #8.
 */
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx-model.ts';

export type DenseActivation = 'relu' | 'sigmoid' | 'tanh' | 'linear';

export interface DenseLayerSpec {
  /** Row-major [inputs, units]. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: DenseActivation;
}

const OP: Record<Exclude<DenseActivation, 'linear'>, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

export function denseGraph(inputSize: number, layers: readonly DenseLayerSpec[], name = 'dense'): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let current = 'input';
  let width = inputSize;
  layers.forEach((layer, i) => {
    const units = layer.bias.length;
    initializers.push({ name: `W${i}`, dims: [width, units], data: layer.kernel });
    initializers.push({ name: `B${i}`, dims: [units], data: layer.bias });
    nodes.push({ opType: 'MatMul', inputs: [current, `W${i}`], outputs: [`mm${i}`] });
    nodes.push({ opType: 'Add', inputs: [`mm${i}`, `B${i}`], outputs: [`z${i}`] });
    current = `z${i}`;
    if (layer.activation !== 'linear') {
      nodes.push({ opType: OP[layer.activation], inputs: [current], outputs: [`a${i}`] });
      current = `a${i}`;
    }
    width = units;
  });
  nodes.push({ opType: 'Identity', inputs: [current], outputs: ['output'] });
  return {
    name,
    inputs: [{ name: 'input', dtype: 'float32', dims: ['batch', inputSize] }],
    outputs: [{ name: 'output', dtype: 'float32', dims: ['batch', width] }],
    initializers,
    nodes,
  };
}
