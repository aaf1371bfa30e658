/**
 * Accumulates ONNX nodes and initializers while layers are translated, handing out unique value
 * names so that layer translators never have to coordinate naming.
 */
import type { OnnxTensor, OnnxValueInfo } from '../onnx/index.ts';
import type { AttributeValue, CompiledGraph, CompiledNode } from './onnx-writer.ts';

export class GraphBuilder {
  readonly #nodes: CompiledNode[] = [];
  readonly #initializers: OnnxTensor[] = [];
  readonly #used = new Set<string>();
  readonly #opTypes = new Set<string>();

  /** Reserves a value name derived from `base`, suffixed when taken. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  reserve(name: string): string {
    this.#used.add(name);
    return name;
  }

  /** Adds one node with a single output named after `base`; returns that output name. */
  op(opType: string, inputs: readonly string[], base: string, attributes?: Readonly<Record<string, AttributeValue>>): string {
    const out = this.fresh(base);
    this.opInto(opType, inputs, [out], attributes);
    return out;
  }

  /** Adds one node writing into names the caller already reserved. */
  opInto(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes?: Readonly<Record<string, AttributeValue>>,
  ): void {
    this.#opTypes.add(opType);
    const name = outputs[0] ?? opType;
    this.#nodes.push(attributes === undefined ? { opType, inputs, outputs, name } : { opType, inputs, outputs, name, attributes });
  }

  floats(base: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    const name = this.fresh(base);
    this.#initializers.push({ name, dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.fresh(base);
    this.#initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  scalar(base: string, value: number): string {
    const name = this.fresh(base);
    this.#initializers.push({ name, dims: [], data: Float32Array.of(value) });
    return name;
  }

  opTypes(): readonly string[] {
    return [...this.#opTypes].sort();
  }

  nodeCount(): number {
    return this.#nodes.length;
  }

  /** Op types of the nodes added since `nodeCount()` returned `start`, in order, deduplicated. */
  opTypesSince(start: number): readonly string[] {
    return [...new Set(this.#nodes.slice(start).map((n) => n.opType))];
  }

  build(name: string, inputs: readonly OnnxValueInfo[], outputs: readonly OnnxValueInfo[]): CompiledGraph {
    return { name, inputs, outputs, initializers: [...this.#initializers], nodes: [...this.#nodes] };
  }
}

/** Row-major transpose of a 2-D matrix. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] ?? 0;
  return out;
}

/** Row-major transpose of an N-D array by `perm` (out dim i = in dim perm[i]). */
export function permute(data: Float32Array, dims: readonly number[], perm: readonly number[]): Float32Array {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p] ?? 1);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] ?? 1) * (dims[i + 1] ?? 1);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (idx[i] ?? 0) * (inStrides[perm[i] ?? 0] ?? 0);
    out[o] = data[src] ?? 0;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = (idx[i] ?? 0) + 1;
      if ((idx[i] ?? 0) < (outDims[i] ?? 1)) break;
      idx[i] = 0;
    }
  }
  return out;
}
