export { ONNX_DTYPE, encodeOnnxModel } from './onnx-model.ts';
export type {
  OnnxAttributeValue,
  OnnxDType,
  OnnxDim,
  OnnxGraph,
  OnnxModelOptions,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-model.ts';
export { denseGraph } from './dense-graph.ts';
export type { DenseActivation, DenseLayerSpec } from './dense-graph.ts';
