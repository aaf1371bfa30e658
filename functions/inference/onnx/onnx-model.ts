/**
 * Plain-data description of an ONNX model and its encoder to ModelProto bytes.
 *
 * Field numbers follow onnx/onnx.proto (IR version 8). Only what small feed-forward graphs need
 * is covered: float/int64/int32 tensors as raw_data initializers, int/float/string/ints/floats
 * attributes and tensor value infos with fixed or symbolic dims. Issue #8 compiles TF.js layers
 * models to ONNX through this module.
 */
import { ConfigError } from '../../errors.ts';
import { ProtoWriter } from '@beamline/pulsar/protobuf';

/** ONNX TensorProto.DataType values for the element types we emit. */
export const ONNX_DTYPE = Object.freeze({ float32: 1, int32: 6, int64: 7 });
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** A dimension: a fixed size or a symbolic name such as 'batch'. */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  readonly name: string;
  readonly dtype: OnnxDType;
  readonly dims: readonly OnnxDim[];
}

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

export type OnnxAttributeValue =
  | number
  | string
  | readonly number[]
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] };

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  /**
   * Plain numbers are written as FLOAT (or FLOATS); integer attributes must be wrapped as
   * `{ int }` / `{ ints }` because ONNX distinguishes them and JS numbers do not.
   */
  readonly attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

export interface OnnxGraph {
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: readonly OnnxTensor[];
  readonly nodes: readonly OnnxNode[];
}

export interface OnnxModelOptions {
  /** @default 17 */
  opsetVersion?: number;
  /** @default 8 */
  irVersion?: number;
  /** @default 'beamline' */
  producerName?: string;
  /** @default none */
  producerVersion?: string;
  /** @default none */
  docString?: string;
  /** metadata_props (e.g. a compiler's provenance). @default none */
  metadata?: Readonly<Record<string, string>>;
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

export function encodeOnnxModel(graph: OnnxGraph, options: OnnxModelOptions = {}): Uint8Array {
  validateGraph(graph);
  const w = new ProtoWriter();
  w.int(1, options.irVersion ?? 8);
  w.string(2, options.producerName ?? 'beamline');
  if (options.producerVersion !== undefined) w.string(3, options.producerVersion);
  if (options.docString !== undefined) w.string(6, options.docString);
  w.message(7, (g) => writeGraph(g, graph));
  w.message(8, (o) => o.string(1, '').int(2, options.opsetVersion ?? 17));
  for (const [key, value] of Object.entries(options.metadata ?? {})) w.message(14, (m) => m.string(1, key).string(2, value));
  // A plain Uint8Array as before (the writer's finish() is a Buffer).
  return new Uint8Array(w.finish());
}

function writeGraph(w: ProtoWriter, graph: OnnxGraph): void {
  for (const n of graph.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, graph.name);
  for (const t of graph.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of graph.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of graph.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
  if (n.domain !== undefined) w.string(7, n.domain);
}

function writeAttribute(w: ProtoWriter, name: string, value: OnnxAttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.float(2, value).int(20, ATTR_FLOAT);
  else if (typeof value === 'string') w.string(4, value).int(20, ATTR_STRING);
  else if (Array.isArray(value)) w.packedFloats(7, value as readonly number[]).int(20, ATTR_FLOATS);
  else if ('int' in value) w.int(3, value.int).int(20, ATTR_INT);
  else if ('ints' in value) w.packedInts(8, value.ints).int(20, ATTR_INTS);
  else if ('strings' in value) {
    for (const v of value.strings) w.string(9, v);
    w.int(20, ATTR_STRINGS);
  }
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  const dtype = t.data instanceof Float32Array ? ONNX_DTYPE.float32 : t.data instanceof Int32Array ? ONNX_DTYPE.int32 : ONNX_DTYPE.int64;
  w.int(2, dtype);
  w.string(8, t.name);
  // raw_data is little-endian; every platform Node ships on is little-endian.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
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

function validateGraph(graph: OnnxGraph): void {
  for (const t of graph.initializers) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new ConfigError(`onnx.initializers.${t.name}.dims`, t.dims, `dims multiply to ${n} but data has ${t.data.length} elements`);
    }
  }
  const known = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.map((t) => t.name)]);
  for (const [i, n] of graph.nodes.entries()) {
    for (const input of n.inputs) {
      if (input !== '' && !known.has(input)) {
        throw new ConfigError(
          `onnx.nodes.${n.name ?? `[${i}]`}.inputs`,
          input,
          'inputs must be graph inputs, initializers or outputs of earlier nodes (topological order)',
        );
      }
    }
    for (const o of n.outputs) known.add(o);
  }
  for (const o of graph.outputs) {
    if (!known.has(o.name)) throw new ConfigError('onnx.outputs', o.name, 'each graph output must be produced by a node');
  }
}
