import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../functions/errors.ts';
import { ProtoWriter } from '@beamline/pulsar/protobuf';
import { createRuntime, denseGraph, encodeOnnxModel } from '../../../../functions/inference/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sig = (v: number): number => 1 / (1 + Math.exp(-v));

describe('ProtoWriter', () => {
  it('encodes varints, negative int64, floats, strings and packed fields per the protobuf spec', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(2, -1).finish())).toBe('10ffffffffffffffffff01');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().message(3, (w) => w.int(1, 150)).finish())).toBe('1a03089601');
  });
});

describe('encodeOnnxModel', () => {
  it('writes a ModelProto that a generic protobuf reader decodes (ir_version, opset, graph name)', () => {
    const bytes = encodeOnnxModel(denseGraph(2, [{ kernel: new Float32Array(2), bias: new Float32Array(1), activation: 'linear' }], 'g1'), {
      opsetVersion: 13,
    });
    const r = protobuf.Reader.create(bytes);
    const seen: Record<number, unknown> = {};
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1) seen[1] = Number(r.int64());
      else if (field === 7 || field === 8) {
        const sub = protobuf.Reader.create(r.bytes());
        const fields: Record<number, unknown> = {};
        while (sub.pos < sub.len) {
          const t = sub.uint32();
          const f = t >>> 3;
          if (field === 7 && f === 2) fields[2] = sub.string();
          else if (field === 8 && f === 2) fields[2] = Number(sub.int64());
          else sub.skipType(t & 7);
        }
        seen[field] = fields;
      } else r.skipType(tag & 7);
    }
    expect(seen).toEqual({ 1: 8, 7: { 2: 'g1' }, 8: { 2: 13 } });
  });

  it('a MatMul+Add+Sigmoid graph runs in ONNX Runtime with the expected values', async () => {
    const bytes = encodeOnnxModel(
      denseGraph(3, [{ kernel: Float32Array.from([1, 0, 0, 1, 0, 0]), bias: Float32Array.from([0.5, -0.5]), activation: 'sigmoid' }]),
    );
    const rt = await createRuntime({ format: 'onnx', bytes }, 'ort-cpu');
    expect(rt.describe()).toMatchObject({ backend: 'ort-cpu', rowShape: [3], outputsPerRow: 2 });
    const out = await rt.predict(Float32Array.from([1, 2, 3, 0, 0, 0]), [2, 3]);
    expect(Array.from(out).map((v) => v.toFixed(5))).toEqual([sig(1.5), sig(1.5), sig(0.5), sig(-0.5)].map((v) => v.toFixed(5)));
    await rt.dispose();
    await rt.dispose();
  });

  it('int and float attributes reach the operator (Gemm alpha=2, transB=1)', async () => {
    const bytes = encodeOnnxModel({
      name: 'gemm',
      inputs: [{ name: 'x', dtype: 'float32', dims: ['n', 2] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: ['n', 1] }],
      // B is [1, 2] and transposed by the attribute to [2, 1].
      initializers: [
        { name: 'B', dims: [1, 2], data: Float32Array.from([1, 10]) },
        { name: 'C', dims: [1], data: Float32Array.from([0.5]) },
      ],
      nodes: [{ opType: 'Gemm', inputs: ['x', 'B', 'C'], outputs: ['y'], attributes: { alpha: 2, transB: { int: 1 } } }],
    });
    const rt = await createRuntime({ format: 'onnx', bytes }, 'ort-cpu');
    expect(Array.from(await rt.predict(Float32Array.from([1, 2, 3, 4]), [2, 2]))).toEqual([42.5, 86.5]);
    await rt.dispose();
  });

  it('ints attributes and int64 initializers work (Reshape via shape tensor, Transpose perm)', async () => {
    const bytes = encodeOnnxModel({
      name: 'reshape',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 6] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 6] }],
      initializers: [
        { name: 's', dims: [2], data: BigInt64Array.from([2n, 3n]) },
        { name: 'back', dims: [2], data: BigInt64Array.from([1n, -1n]) },
      ],
      nodes: [
        { opType: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { opType: 'Transpose', inputs: ['r'], outputs: ['t'], attributes: { perm: { ints: [1, 0] } } },
        { opType: 'Reshape', inputs: ['t', 'back'], outputs: ['y'] },
      ],
    });
    const rt = await createRuntime({ format: 'onnx', bytes }, 'ort-cpu');
    expect(Array.from(await rt.predict(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 6]))).toEqual([1, 4, 2, 5, 3, 6]);
    await rt.dispose();
  });

  it('rejects a graph whose node reads an undefined value', () => {
    expect(() =>
      encodeOnnxModel({
        name: 'bad',
        inputs: [{ name: 'x', dtype: 'float32', dims: [1] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1] }],
        initializers: [],
        nodes: [{ opType: 'Add', inputs: ['x', 'nope'], outputs: ['y'] }],
      }),
    ).toThrow(ConfigError);
  });

  it('rejects initializer dims that do not match the data', () => {
    expect(() =>
      encodeOnnxModel({
        name: 'bad',
        inputs: [{ name: 'x', dtype: 'float32', dims: [2] }],
        outputs: [{ name: 'x', dtype: 'float32', dims: [2] }],
        initializers: [{ name: 'w', dims: [3], data: new Float32Array(2) }],
        nodes: [],
      }),
    ).toThrow(/dims multiply to 3/);
  });
});
