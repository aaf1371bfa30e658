/**
 * Convolution and pooling. TF.js defaults to channels_last while ONNX Conv/Pool want NCHW, so a
 * channels_last layer is wrapped in Transposes; ONNX Runtime's optimizer cancels the pairs that
 * meet between consecutive conv/pool layers.
 */
import { applyActivation } from './activations.ts';
import { unsupportedConfigError } from './errors.ts';
import { permute } from './graph-builder.ts';
import type { LayerContext, LayerTranslator } from './layer-context.ts';
import type { AttributeValue } from './onnx-writer.ts';
import { cfgString, cfgTuple, firstInput, optionalWeight, rankOf, weight } from './layer-context.ts';

function channelsFirst(ctx: LayerContext): boolean {
  return cfgString(ctx, 'dataFormat', 'channelsLast') === 'channelsFirst';
}

/** Runs `inner` on an NC* view of the layer input and returns the result in the layer's layout. */
function inNchw(ctx: LayerContext, inner: (x: string) => string): string {
  const x = firstInput(ctx);
  if (channelsFirst(ctx)) return inner(x);
  const rank = rankOf(ctx);
  const toFirst = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  const toLast = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const y = inner(ctx.g.op('Transpose', [x], `${ctx.name}_nchw`, { perm: { ints: toFirst } }));
  return ctx.g.op('Transpose', [y], `${ctx.name}_nhwc`, { perm: { ints: toLast } });
}

/** ONNX padding attributes for TF's 'valid' / 'same' (TF pads the extra cell at the end). */
function padAttrs(ctx: LayerContext, spatial: number): { auto_pad: string } | { pads: { ints: number[] } } {
  const padding = cfgString(ctx, 'padding', 'valid');
  if (padding === 'same') return { auto_pad: 'SAME_UPPER' };
  if (padding === 'valid') return { pads: { ints: new Array<number>(spatial * 2).fill(0) } };
  throw unsupportedConfigError(ctx.name, ctx.className, 'padding', padding);
}

function conv(spatial: number): LayerTranslator {
  return (ctx) => {
    const { g } = ctx;
    const kernelSize = cfgTuple(ctx, 'kernelSize', spatial, 1);
    const strides = cfgTuple(ctx, 'strides', spatial, 1);
    const dilations = cfgTuple(ctx, 'dilationRate', spatial, 1);
    const groups = ctx.config['groups'];
    if (typeof groups === 'number' && groups !== 1) throw unsupportedConfigError(ctx.name, ctx.className, 'groups', groups);
    const kernel = weight(ctx, 'kernel');
    // TF.js kernel [k..., in, out] -> ONNX [out, in, k...].
    const perm = [spatial + 1, spatial, ...Array.from({ length: spatial }, (_, i) => i)];
    const w = g.floats(
      `${ctx.name}/kernel`,
      perm.map((p) => kernel.shape[p] ?? 1),
      permute(kernel.data, kernel.shape, perm),
    );
    const bias = optionalWeight(ctx, 'bias');
    const inputs = bias === undefined ? [w] : [w, g.floats(`${ctx.name}/bias`, bias.shape, bias.data)];
    // 'causal' is rejected here: tfjs-layers 4.22 cannot run it either, so it could not be verified.
    const pads = padAttrs(ctx, spatial);
    const y = inNchw(ctx, (x) =>
      g.op('Conv', [x, ...inputs], `${ctx.name}_conv`, {
        kernel_shape: { ints: kernelSize },
        strides: { ints: strides },
        dilations: { ints: dilations },
        ...pads,
      }),
    );
    return [applyActivation(g, y, cfgString(ctx, 'activation', 'linear'), ctx.name, ctx)];
  };
}

function pool(opType: 'MaxPool' | 'AveragePool', spatial: number): LayerTranslator {
  return (ctx) => {
    const poolSize = cfgTuple(ctx, 'poolSize', spatial, 2);
    const stridesRaw = ctx.config['strides'];
    const strides = stridesRaw === null || stridesRaw === undefined ? poolSize : cfgTuple(ctx, 'strides', spatial, 1);
    // count_include_pad=0 (the default) matches TF, which averages only over real cells.
    const attrs = { kernel_shape: { ints: poolSize }, strides: { ints: strides }, ...padAttrs(ctx, spatial) };
    return [inNchw(ctx, (x) => ctx.g.op(opType, [x], `${ctx.name}_${opType.toLowerCase()}`, attrs))];
  };
}

function globalPool(opType: 'ReduceMean' | 'ReduceMax', spatial: number): LayerTranslator {
  return (ctx) => {
    const axes = channelsFirst(ctx) ? Array.from({ length: spatial }, (_, i) => i + 2) : Array.from({ length: spatial }, (_, i) => i + 1);
    const keepdims = ctx.config['keepDims'] === true ? 1 : 0;
    // Opset 17 still takes reduce axes as an attribute (they became an input in opset 18).
    return [ctx.g.op(opType, [firstInput(ctx)], ctx.name, { axes: { ints: axes }, keepdims: { int: keepdims } })];
  };
}

/** DepthwiseConv2D kernel [kh, kw, in, mult] -> grouped-conv weight [in*mult, 1, kh, kw]. */
function depthwiseWeight(ctx: LayerContext, key: string): { dims: number[]; data: Float32Array; groups: number } {
  const k = weight(ctx, key);
  const [kh = 1, kw = 1, cin = 1, mult = 1] = k.shape;
  return { dims: [cin * mult, 1, kh, kw], data: permute(k.data, k.shape, [2, 3, 0, 1]), groups: cin };
}

function depthwise(separable: boolean): LayerTranslator {
  return (ctx) => {
    const { g } = ctx;
    const dw = depthwiseWeight(ctx, 'depthwise_kernel');
    const attrs = {
      kernel_shape: { ints: cfgTuple(ctx, 'kernelSize', 2, 1) },
      strides: { ints: cfgTuple(ctx, 'strides', 2, 1) },
      dilations: { ints: cfgTuple(ctx, 'dilationRate', 2, 1) },
      group: { int: dw.groups },
      ...padAttrs(ctx, 2),
    };
    const bias = optionalWeight(ctx, 'bias');
    const biasName = bias === undefined ? undefined : g.floats(`${ctx.name}/bias`, bias.shape, bias.data);
    const y = inNchw(ctx, (x) => {
      const dwInputs = [x, g.floats(`${ctx.name}/depthwise`, dw.dims, dw.data)];
      if (!separable) return g.op('Conv', biasName === undefined ? dwInputs : [...dwInputs, biasName], `${ctx.name}_dwconv`, attrs);
      const mid = g.op('Conv', dwInputs, `${ctx.name}_dwconv`, attrs);
      // Pointwise kernel [1, 1, in*mult, out] -> [out, in*mult, 1, 1].
      const pw = weight(ctx, 'pointwise_kernel');
      const pwName = g.floats(
        `${ctx.name}/pointwise`,
        [pw.shape[3] ?? 1, pw.shape[2] ?? 1, 1, 1],
        permute(pw.data, pw.shape, [3, 2, 0, 1]),
      );
      return g.op('Conv', biasName === undefined ? [mid, pwName] : [mid, pwName, biasName], `${ctx.name}_pwconv`, {
        kernel_shape: { ints: [1, 1] },
      });
    });
    return [applyActivation(g, y, cfgString(ctx, 'activation', 'linear'), ctx.name, ctx)];
  };
}

/** [[top, bottom], [left, right]] from an int, a pair, or a pair of pairs. */
function pairs2d(ctx: LayerContext, key: string): [[number, number], [number, number]] {
  const v = ctx.config[key];
  if (typeof v === 'number')
    return [
      [v, v],
      [v, v],
    ];
  if (Array.isArray(v) && v.length === 2) {
    const [a, b] = v as unknown[];
    if (typeof a === 'number' && typeof b === 'number')
      return [
        [a, a],
        [b, b],
      ];
    if (Array.isArray(a) && Array.isArray(b))
      return [
        [a[0] as number, a[1] as number],
        [b[0] as number, b[1] as number],
      ];
  }
  throw unsupportedConfigError(ctx.name, ctx.className, key, v);
}

const zeroPadding2d: LayerTranslator = (ctx) => {
  const [[t, b], [l, r]] = pairs2d(ctx, 'padding');
  const pads = channelsFirst(ctx) ? [0, 0, t, l, 0, 0, b, r] : [0, t, l, 0, 0, b, r, 0];
  return [ctx.g.op('Pad', [firstInput(ctx), ctx.g.int64s(`${ctx.name}/pads`, pads)], ctx.name, { mode: 'constant' })];
};

const cropping2d: LayerTranslator = (ctx) => {
  const [[t, b], [l, r]] = pairs2d(ctx, 'cropping');
  const shape = ctx.inputShapes[0] ?? [];
  const axes = channelsFirst(ctx) ? [2, 3] : [1, 2];
  const h = shape[axes[0] ?? 1];
  const w = shape[axes[1] ?? 2];
  if (typeof h !== 'number' || typeof w !== 'number') throw unsupportedConfigError(ctx.name, ctx.className, 'input shape', shape);
  const { g } = ctx;
  return [
    g.op(
      'Slice',
      [
        firstInput(ctx),
        g.int64s(`${ctx.name}/starts`, [t, l]),
        g.int64s(`${ctx.name}/ends`, [h - b, w - r]),
        g.int64s(`${ctx.name}/axes`, axes),
      ],
      ctx.name,
    ),
  ];
};

const upSampling2d: LayerTranslator = (ctx) => {
  const [sh = 2, sw = 2] = cfgTuple(ctx, 'size', 2, 2);
  const interpolation = cfgString(ctx, 'interpolation', 'nearest');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw unsupportedConfigError(ctx.name, ctx.className, 'interpolation', interpolation);
  // TF resizes with asymmetric coordinates (no align_corners, no half-pixel centers).
  const attrs: Record<string, AttributeValue> =
    interpolation === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : { mode: 'linear', coordinate_transformation_mode: 'asymmetric' };
  return [
    inNchw(ctx, (x) => ctx.g.op('Resize', [x, '', ctx.g.floats(`${ctx.name}/scales`, [4], [1, 1, sh, sw])], `${ctx.name}_resize`, attrs)),
  ];
};

export const CONV_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  MaxPooling1D: pool('MaxPool', 1),
  MaxPooling2D: pool('MaxPool', 2),
  MaxPooling3D: pool('MaxPool', 3),
  AveragePooling1D: pool('AveragePool', 1),
  AveragePooling2D: pool('AveragePool', 2),
  AveragePooling3D: pool('AveragePool', 3),
  GlobalAveragePooling1D: globalPool('ReduceMean', 1),
  GlobalAveragePooling2D: globalPool('ReduceMean', 2),
  GlobalMaxPooling1D: globalPool('ReduceMax', 1),
  GlobalMaxPooling2D: globalPool('ReduceMax', 2),
  DepthwiseConv2D: depthwise(false),
  SeparableConv2D: depthwise(true),
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
};
