/**
 * Normalization layers. BatchNormalization is folded at compile time into one scale and one
 * shift per channel (inference only uses the moving statistics), so it costs a Mul and an Add.
 */
import { unsupportedConfigError } from './errors.ts';
import type { LayerContext, LayerTranslator } from './layer-context.ts';
import { cfgBool, cfgNumber, firstInput, normAxis, optionalWeight, rankOf, weight } from './layer-context.ts';

/** Shape that broadcasts a per-channel vector of length c along `axis` of a rank-`rank` tensor. */
function channelShape(c: number, axis: number, rank: number): number[] {
  return [c, ...new Array<number>(rank - 1 - axis).fill(1)];
}

const batchNorm: LayerTranslator = (ctx) => {
  const x = firstInput(ctx);
  const rank = rankOf(ctx);
  const axisRaw = ctx.config['axis'];
  const axis = normAxis(
    typeof axisRaw === 'number' ? axisRaw : Array.isArray(axisRaw) && axisRaw.length === 1 ? (axisRaw[0] as number) : -1,
    rank,
  );
  if (Array.isArray(axisRaw) && axisRaw.length !== 1) throw unsupportedConfigError(ctx.name, ctx.className, 'axis', axisRaw);
  const mean = weight(ctx, 'moving_mean').data;
  const variance = weight(ctx, 'moving_variance').data;
  const gamma = cfgBool(ctx, 'scale', true) ? optionalWeight(ctx, 'gamma')?.data : undefined;
  const beta = cfgBool(ctx, 'center', true) ? optionalWeight(ctx, 'beta')?.data : undefined;
  const eps = cfgNumber(ctx, 'epsilon', 1e-3);
  const c = mean.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = (gamma?.[i] ?? 1) / Math.sqrt((variance[i] ?? 0) + eps);
    scale[i] = s;
    shift[i] = (beta?.[i] ?? 0) - (mean[i] ?? 0) * s;
  }
  const dims = channelShape(c, axis, rank);
  const y = ctx.g.op('Mul', [x, ctx.g.floats(`${ctx.name}/scale`, dims, scale)], `${ctx.name}_scale`);
  return [ctx.g.op('Add', [y, ctx.g.floats(`${ctx.name}/shift`, dims, shift)], ctx.name)];
};

const layerNorm: LayerTranslator = (ctx: LayerContext) => {
  const x = firstInput(ctx);
  const rank = rankOf(ctx);
  const axisRaw = ctx.config['axis'];
  const axes = (Array.isArray(axisRaw) ? (axisRaw as number[]) : [typeof axisRaw === 'number' ? axisRaw : -1])
    .map((a) => normAxis(a, rank))
    .sort((a, b) => a - b);
  const first = axes[0] ?? rank - 1;
  // ONNX normalises over [axis, rank): only trailing contiguous axes translate.
  if (axes.some((a, i) => a !== first + i) || (axes[axes.length - 1] ?? -1) !== rank - 1) {
    throw unsupportedConfigError(ctx.name, ctx.className, 'axis', axisRaw);
  }
  const normShape = (ctx.inputShapes[0] ?? []).slice(first).map((d) => d ?? 0);
  if (normShape.some((d) => d <= 0)) throw unsupportedConfigError(ctx.name, ctx.className, 'normalized shape', normShape);
  const n = normShape.reduce((a, b) => a * b, 1);
  const gamma = cfgBool(ctx, 'scale', true) ? optionalWeight(ctx, 'gamma')?.data : undefined;
  const beta = cfgBool(ctx, 'center', true) ? optionalWeight(ctx, 'beta')?.data : undefined;
  const scale = ctx.g.floats(`${ctx.name}/gamma`, normShape, gamma ?? new Float32Array(n).fill(1));
  const bias = ctx.g.floats(`${ctx.name}/beta`, normShape, beta ?? new Float32Array(n));
  return [ctx.g.op('LayerNormalization', [x, scale, bias], ctx.name, { axis: { int: first }, epsilon: cfgNumber(ctx, 'epsilon', 1e-3) })];
};

export const NORM_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
};
