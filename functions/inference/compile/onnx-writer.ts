/**
 * The compiler's view of the shared ONNX encoder: its graphs name every node, and the model
 * records provenance (producer version, doc string, metadata_props).
 */
import { encodeOnnxModel } from '../onnx/index.ts';
import type { OnnxAttributeValue, OnnxGraph, OnnxNode } from '../onnx/index.ts';

export type AttributeValue = OnnxAttributeValue;

export interface CompiledNode extends OnnxNode {
  readonly name: string;
}

export interface CompiledGraph extends OnnxGraph {
  readonly nodes: readonly CompiledNode[];
}

export interface ModelMeta {
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** IR version 8 is what opset 17 shipped with (ONNX 1.12). */
const IR_VERSION = 8;

export function encodeCompiledModel(graph: CompiledGraph, meta: ModelMeta): Uint8Array {
  return encodeOnnxModel(graph, {
    irVersion: IR_VERSION,
    opsetVersion: meta.opset,
    producerName: meta.producerName,
    producerVersion: meta.producerVersion,
    docString: meta.docString,
    metadata: meta.metadata,
  });
}
