/**
 * SimpleRNN, GRU, LSTM and Bidirectional(...) onto ONNX's RNN/GRU/LSTM ops. Gate orders differ:
 * Keras/TF.js GRU is [z, r, h] like ONNX, but Keras LSTM is [i, f, c, o] and ONNX is [i, o, f, c].
 */
import { rnnActivationName } from './activations.ts';
import { unsupportedConfigError } from './errors.ts';
import { transpose2d } from './graph-builder.ts';
import type { LayerContext, LayerTranslator, WeightValue } from './layer-context.ts';
import { cfgBool, cfgNumber, cfgString, firstInput } from './layer-context.ts';
import type { AttributeValue } from './onnx-writer.ts';

/** Reorders the gate row blocks of a [gates*units, cols] matrix or a [gates*units] vector. */
function reorderGates(data: Float32Array, units: number, cols: number, order: readonly number[]): Float32Array {
  const block = units * cols;
  const out = new Float32Array(data.length);
  order.forEach((src, dst) => out.set(data.subarray(src * block, (src + 1) * block), dst * block));
  return out;
}

interface RnnSpec {
  readonly opType: 'RNN' | 'GRU' | 'LSTM';
  readonly gates: number;
  /** ONNX gate block k comes from Keras gate block order[k]. */
  readonly order: readonly number[];
  readonly activations: (ctx: LayerContext) => string[];
}

const SPECS: Readonly<Record<string, RnnSpec>> = {
  SimpleRNN: { opType: 'RNN', gates: 1, order: [0], activations: (ctx) => [act(ctx, 'activation', 'tanh')] },
  GRU: {
    opType: 'GRU',
    gates: 3,
    order: [0, 1, 2],
    activations: (ctx) => [act(ctx, 'recurrentActivation', 'hardSigmoid'), act(ctx, 'activation', 'tanh')],
  },
  LSTM: {
    opType: 'LSTM',
    gates: 4,
    order: [0, 3, 1, 2],
    activations: (ctx) => {
      const a = act(ctx, 'activation', 'tanh');
      return [act(ctx, 'recurrentActivation', 'hardSigmoid'), a, a];
    },
  },
};

function act(ctx: LayerContext, key: string, fallback: string): string {
  return rnnActivationName(cfgString(ctx, key, fallback), ctx);
}

const INT64_MIN = -(2 ** 63);

interface DirectionWeights {
  readonly w: Float32Array;
  readonly r: Float32Array;
  readonly b: Float32Array;
  readonly inputDim: number;
}

/** ONNX W, R and B (= [Wb | Rb]) of one direction from Keras kernel, recurrent_kernel and bias. */
function directionWeights(ctx: LayerContext, spec: RnnSpec, weights: ReadonlyMap<string, WeightValue>, prefix: string): DirectionWeights {
  const get = (k: string): WeightValue | undefined => weights.get(`${prefix}${k}`);
  const kernel = get('kernel');
  const recurrentKernel = get('recurrent_kernel');
  if (kernel === undefined || recurrentKernel === undefined)
    throw unsupportedConfigError(ctx.name, ctx.className, `weights ${prefix}kernel`, 'missing');
  const units = cfgNumber(ctx, 'units', 0);
  const inputDim = kernel.shape[0] ?? 0;
  const gu = spec.gates * units;
  const w = reorderGates(transpose2d(kernel.data, inputDim, gu), units, inputDim, spec.order);
  const r = reorderGates(transpose2d(recurrentKernel.data, units, gu), units, units, spec.order);
  const b = new Float32Array(2 * gu);
  const bias = cfgBool(ctx, 'useBias', true) ? get('bias') : undefined;
  if (bias !== undefined) {
    // GRU reset_after=true carries [input; recurrent] biases; everything else has one bias.
    b.set(reorderGates(bias.data.subarray(0, gu), units, 1, spec.order), 0);
    if (bias.data.length === 2 * gu) b.set(reorderGates(bias.data.subarray(gu), units, 1, spec.order), gu);
  }
  return { w, r, b, inputDim };
}

function checkSupported(ctx: LayerContext): void {
  if (cfgBool(ctx, 'stateful', false)) throw unsupportedConfigError(ctx.name, ctx.className, 'stateful', true);
  if (cfgBool(ctx, 'returnState', false)) {
    // TODO(#8): expose Y_h / Y_c as extra outputs when a model needs them.
    throw unsupportedConfigError(ctx.name, ctx.className, 'returnState', true);
  }
}

/** Emits the ONNX op over `directions` and returns its [Y, Y_h] names (time-major). */
function emitRnn(ctx: LayerContext, spec: RnnSpec, dirs: readonly DirectionWeights[], direction: string): [string, string] {
  const { g } = ctx;
  const units = cfgNumber(ctx, 'units', 0);
  const gu = spec.gates * units;
  const inputDim = dirs[0]?.inputDim ?? 0;
  const cat = (pick: (d: DirectionWeights) => Float32Array): Float32Array => {
    const parts = dirs.map(pick);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  };
  const names = spec.activations(ctx);
  const attrs: Record<string, AttributeValue> = {
    hidden_size: { int: units },
    direction,
    activations: { strings: dirs.flatMap(() => names) },
  };
  if (spec.opType === 'GRU') attrs['linear_before_reset'] = { int: cfgBool(ctx, 'resetAfter', false) ? 1 : 0 };
  const n = dirs.length;
  const inputs = [
    g.op('Transpose', [firstInput(ctx)], `${ctx.name}_tbi`, { perm: { ints: [1, 0, 2] } }),
    g.floats(
      `${ctx.name}/W`,
      [n, gu, inputDim],
      cat((d) => d.w),
    ),
    g.floats(
      `${ctx.name}/R`,
      [n, gu, units],
      cat((d) => d.r),
    ),
    g.floats(
      `${ctx.name}/B`,
      [n, 2 * gu],
      cat((d) => d.b),
    ),
  ];
  const y = g.fresh(`${ctx.name}_Y`);
  const yh = g.fresh(`${ctx.name}_Yh`);
  g.opInto(spec.opType, inputs, [y, yh], attrs);
  return [y, yh];
}

function recurrent(spec: RnnSpec): LayerTranslator {
  return (ctx) => {
    const { g } = ctx;
    checkSupported(ctx);
    const backwards = cfgBool(ctx, 'goBackwards', false);
    const [y, yh] = emitRnn(ctx, spec, [directionWeights(ctx, spec, ctx.weights, '')], backwards ? 'reverse' : 'forward');
    if (!cfgBool(ctx, 'returnSequences', false)) return [g.op('Squeeze', [yh, g.int64s(`${ctx.name}/axes0`, [0])], ctx.name)];
    let seq = g.op('Squeeze', [y, g.int64s(`${ctx.name}/axes1`, [1])], `${ctx.name}_tbh`);
    if (backwards) {
      // Keras returns a go_backwards sequence in processing order; ONNX 'reverse' keeps input order.
      const ints = (k: string, v: number): string => g.int64s(`${ctx.name}/${k}`, [v]);
      seq = g.op('Slice', [seq, ints('start', -1), ints('end', INT64_MIN), ints('axis', 0), ints('step', -1)], `${ctx.name}_rev`);
    }
    return [g.op('Transpose', [seq], ctx.name, { perm: { ints: [1, 0, 2] } })];
  };
}

/**
 * Bidirectional(RNN) as one ONNX 'bidirectional' op. TF.js re-reverses the backward sequence
 * before merging, which is the input-order sequence ONNX already returns.
 */
const bidirectional: LayerTranslator = (outer) => {
  const { g } = outer;
  const layer = outer.config['layer'] as { className?: string; config?: Record<string, unknown> } | undefined;
  const innerClass = layer?.className ?? 'unknown';
  const spec = SPECS[innerClass];
  if (spec === undefined) throw unsupportedConfigError(outer.name, outer.className, 'layer', innerClass);
  const ctx: LayerContext = { ...outer, className: `${outer.className}(${innerClass})`, config: layer?.config ?? {} };
  checkSupported(ctx);
  if (cfgBool(ctx, 'goBackwards', false)) throw unsupportedConfigError(ctx.name, ctx.className, 'goBackwards', true);
  const mergeMode = cfgString(outer, 'mergeMode', 'concat');
  const units = cfgNumber(ctx, 'units', 0);
  const fwd = directionWeights(ctx, spec, outer.weights, 'forward/');
  const bwd = directionWeights(ctx, spec, outer.weights, 'backward/');
  const [y, yh] = emitRnn(ctx, spec, [fwd, bwd], 'bidirectional');
  const seqs = cfgBool(ctx, 'returnSequences', false);
  // Batch-major with the direction axis just before units: [B, T, 2, H] or [B, 2, H].
  const batchMajor = seqs
    ? g.op('Transpose', [y], `${ctx.name}_btdh`, { perm: { ints: [2, 0, 1, 3] } })
    : g.op('Transpose', [yh], `${ctx.name}_bdh`, { perm: { ints: [1, 0, 2] } });
  const dirAxis = seqs ? 2 : 1;
  switch (mergeMode) {
    case 'concat': {
      const shape = seqs ? [0, 0, 2 * units] : [0, 2 * units];
      return [g.op('Reshape', [batchMajor, g.int64s(`${ctx.name}/merged`, shape)], ctx.name)];
    }
    case 'sum':
      return [g.op('ReduceSum', [batchMajor, g.int64s(`${ctx.name}/dir`, [dirAxis])], ctx.name, { keepdims: { int: 0 } })];
    case 'ave':
      return [g.op('ReduceMean', [batchMajor], ctx.name, { axes: { ints: [dirAxis] }, keepdims: { int: 0 } })];
    case 'mul':
      return [g.op('ReduceProd', [batchMajor], ctx.name, { axes: { ints: [dirAxis] }, keepdims: { int: 0 } })];
    default:
      throw unsupportedConfigError(outer.name, outer.className, 'mergeMode', mergeMode);
  }
};

export const RECURRENT_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  SimpleRNN: recurrent(SPECS['SimpleRNN'] as RnnSpec),
  GRU: recurrent(SPECS['GRU'] as RnnSpec),
  LSTM: recurrent(SPECS['LSTM'] as RnnSpec),
  Bidirectional: bidirectional,
};
