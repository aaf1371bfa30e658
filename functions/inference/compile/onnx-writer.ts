/**
 * ModelProto encoder for compiled models. It reuses the shared low-level `ProtoWriter`, but not
 * `encodeOnnxModel`, because recurrent layers need STRINGS attributes (activation lists) and the
 * compiler records provenance in metadata_props. Field numbers follow onnx/onnx.proto.
 */
import { ConfigError } from '../../errors.ts';
import { ONNX_DTYPE, ProtoWriter } from '../onnx/index.ts';
import type { OnnxAttributeValue, OnnxTensor, OnnxValueInfo } from '../onnx/index.ts';

/** As the shared writer, plus `{ strings }` for STRINGS attributes. */
export type AttributeValue = OnnxAttributeValue | { readonly strings: readonly string[] };

export interface CompiledNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface CompiledGraph {
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: readonly OnnxTensor[];
  readonly nodes: readonly CompiledNode[];
}

export interface ModelMeta {
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

// onnx.proto field numbers.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, strings: 9, type: 20 } as const;
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
/** IR version 8 is what opset 17 shipped with (ONNX 1.12). */
const IR_VERSION = 8;

export function encodeCompiledModel(graph: CompiledGraph, meta: ModelMeta): Uint8Array {
  checkTopology(graph);
  const w = new ProtoWriter();
  w.int(MODEL.irVersion, IR_VERSION);
  w.string(MODEL.producerName, meta.producerName);
  w.string(MODEL.producerVersion, meta.producerVersion);
  w.string(MODEL.docString, meta.docString);
  w.message(MODEL.graph, (g) => writeGraph(g, graph));
  w.message(MODEL.opsetImport, (o) => o.string(1, '').int(2, meta.opset));
  for (const [key, value] of Object.entries(meta.metadata)) w.message(MODEL.metadataProps, (m) => m.string(1, key).string(2, value));
  return w.finish();
}

function writeGraph(w: ProtoWriter, graph: CompiledGraph): void {
  for (const n of graph.nodes) w.message(GRAPH.node, (m) => writeNode(m, n));
  w.string(GRAPH.name, graph.name);
  for (const t of graph.initializers) w.message(GRAPH.initializer, (m) => writeTensor(m, t));
  for (const v of graph.inputs) w.message(GRAPH.input, (m) => writeValueInfo(m, v));
  for (const v of graph.outputs) w.message(GRAPH.output, (m) => writeValueInfo(m, v));
}

function writeNode(w: ProtoWriter, n: CompiledNode): void {
  for (const i of n.inputs) w.string(NODE.input, i);
  for (const o of n.outputs) w.string(NODE.output, o);
  w.string(NODE.name, n.name);
  w.string(NODE.opType, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(NODE.attribute, (a) => writeAttribute(a, name, value));
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(ATTR.name, name);
  if (typeof value === 'number') w.float(ATTR.f, value).int(ATTR.type, ATTR_TYPE.float);
  else if (typeof value === 'string') w.string(ATTR.s, value).int(ATTR.type, ATTR_TYPE.string);
  else if (Array.isArray(value)) w.packedFloats(ATTR.floats, value as readonly number[]).int(ATTR.type, ATTR_TYPE.floats);
  else if ('int' in value) w.int(ATTR.i, value.int).int(ATTR.type, ATTR_TYPE.int);
  else if ('ints' in value) w.packedInts(ATTR.ints, value.ints).int(ATTR.type, ATTR_TYPE.ints);
  else if ('strings' in value) {
    for (const s of value.strings) w.string(ATTR.strings, s);
    w.int(ATTR.type, ATTR_TYPE.strings);
  }
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  if (t.dims.length > 0) w.packedInts(TENSOR.dims, t.dims);
  const dtype = t.data instanceof Float32Array ? ONNX_DTYPE.float32 : t.data instanceof Int32Array ? ONNX_DTYPE.int32 : ONNX_DTYPE.int64;
  w.int(TENSOR.dataType, dtype);
  w.string(TENSOR.name, t.name);
  // raw_data is little-endian, as is every platform Node ships on.
  w.bytes(TENSOR.rawData, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_DTYPE[v.dtype]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Catches translator bugs (dangling names, wrong initializer sizes) before ONNX Runtime does. */
function checkTopology(graph: CompiledGraph): void {
  for (const t of graph.initializers) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new ConfigError(`onnx.initializers.${t.name}.dims`, t.dims, `dims multiply to ${n} but data has ${t.data.length} elements`);
  }
  const known = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.map((t) => t.name)]);
  for (const n of graph.nodes) {
    for (const input of n.inputs) {
      if (input !== '' && !known.has(input)) throw new ConfigError(`onnx.nodes.${n.name}.inputs`, input, 'every input must be produced before it is used');
    }
    for (const o of n.outputs) known.add(o);
  }
  for (const o of graph.outputs) {
    if (!known.has(o.name)) throw new ConfigError('onnx.outputs', o.name, 'each graph output must be produced by a node');
  }
}
