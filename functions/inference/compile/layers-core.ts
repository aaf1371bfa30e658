/**
 * Core TF.js layers: Dense, shape plumbing, merges, Embedding and activation layers. Tensors keep
 * TF.js's channels_last layout throughout the graph, so shapes match TF.js layer by layer.
 */
import { applyActivation } from './activations.ts';
import { unsupportedConfigError } from './errors.ts';
import type { LayerTranslator } from './layer-context.ts';
import { cfgBool, cfgNumber, cfgString, firstInput, optionalWeight, rankOf, weight } from './layer-context.ts';

const identity: LayerTranslator = (ctx) => [firstInput(ctx)];

const dense: LayerTranslator = (ctx) => {
  const x = firstInput(ctx);
  const { g } = ctx;
  const kernel = weight(ctx, 'kernel');
  // MatMul broadcasts over leading dims, as TF.js Dense does on rank > 2 inputs.
  let y = g.op('MatMul', [x, g.floats(`${ctx.name}/kernel`, kernel.shape, kernel.data)], `${ctx.name}_matmul`);
  const bias = optionalWeight(ctx, 'bias');
  if (bias !== undefined) y = g.op('Add', [y, g.floats(`${ctx.name}/bias`, bias.shape, bias.data)], `${ctx.name}_bias`);
  return [applyActivation(g, y, cfgString(ctx, 'activation', 'linear'), ctx.name, ctx)];
};

const activation: LayerTranslator = (ctx) => [
  applyActivation(ctx.g, firstInput(ctx), cfgString(ctx, 'activation', 'linear'), ctx.name, ctx),
];

const reluLayer: LayerTranslator = (ctx) => {
  const x = firstInput(ctx);
  const maxValue = ctx.config['maxValue'];
  if (typeof maxValue === 'number') {
    return [ctx.g.op('Clip', [x, ctx.g.scalar(`${ctx.name}_min`, 0), ctx.g.scalar(`${ctx.name}_max`, maxValue)], ctx.name)];
  }
  return [ctx.g.op('Relu', [x], ctx.name)];
};

const leakyRelu: LayerTranslator = (ctx) => [ctx.g.op('LeakyRelu', [firstInput(ctx)], ctx.name, { alpha: cfgNumber(ctx, 'alpha', 0.3) })];

const eluLayer: LayerTranslator = (ctx) => [ctx.g.op('Elu', [firstInput(ctx)], ctx.name, { alpha: cfgNumber(ctx, 'alpha', 1) })];

const thresholdedRelu: LayerTranslator = (ctx) => [
  ctx.g.op('ThresholdedRelu', [firstInput(ctx)], ctx.name, { alpha: cfgNumber(ctx, 'theta', 1) }),
];

const softmaxLayer: LayerTranslator = (ctx) => {
  const axis = ctx.config['axis'];
  if (Array.isArray(axis) && axis.length !== 1) throw unsupportedConfigError(ctx.name, ctx.className, 'axis', axis);
  const a = Array.isArray(axis) ? (axis[0] as number) : typeof axis === 'number' ? axis : -1;
  return [ctx.g.op('Softmax', [firstInput(ctx)], ctx.name, { axis: { int: a } })];
};

const prelu: LayerTranslator = (ctx) => {
  const alpha = weight(ctx, 'alpha');
  return [ctx.g.op('PRelu', [firstInput(ctx), ctx.g.floats(`${ctx.name}/alpha`, alpha.shape, alpha.data)], ctx.name)];
};

const flatten: LayerTranslator = (ctx) => {
  let x = firstInput(ctx);
  const rank = rankOf(ctx);
  if (cfgString(ctx, 'dataFormat', 'channelsLast') === 'channelsFirst' && rank >= 3) {
    // TF.js moves channels last before flattening channels_first inputs.
    const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
    x = ctx.g.op('Transpose', [x], `${ctx.name}_nhwc`, { perm: { ints: perm } });
  }
  return [ctx.g.op('Flatten', [x], ctx.name, { axis: { int: 1 } })];
};

const reshape: LayerTranslator = (ctx) => {
  const target = ctx.config['targetShape'];
  if (!Array.isArray(target)) throw unsupportedConfigError(ctx.name, ctx.className, 'targetShape', target);
  // Leading 0 copies the (dynamic) batch dim from the input.
  const shape = ctx.g.int64s(`${ctx.name}/shape`, [0, ...target.map((d) => (typeof d === 'number' ? d : -1))]);
  return [ctx.g.op('Reshape', [firstInput(ctx), shape], ctx.name)];
};

const permuteLayer: LayerTranslator = (ctx) => {
  const dims = ctx.config['dims'];
  if (!Array.isArray(dims)) throw unsupportedConfigError(ctx.name, ctx.className, 'dims', dims);
  return [ctx.g.op('Transpose', [firstInput(ctx)], ctx.name, { perm: { ints: [0, ...(dims as number[])] } })];
};

const repeatVector: LayerTranslator = (ctx) => {
  const n = cfgNumber(ctx, 'n', 1);
  const x = ctx.g.op('Unsqueeze', [firstInput(ctx), ctx.g.int64s(`${ctx.name}/axes`, [1])], `${ctx.name}_unsq`);
  return [ctx.g.op('Tile', [x, ctx.g.int64s(`${ctx.name}/repeats`, [1, n, 1])], ctx.name)];
};

const concatenate: LayerTranslator = (ctx) => [ctx.g.op('Concat', ctx.inputs, ctx.name, { axis: { int: cfgNumber(ctx, 'axis', -1) } })];

function variadic(opType: string): LayerTranslator {
  return (ctx) => [ctx.g.op(opType, ctx.inputs, ctx.name)];
}

const multiply: LayerTranslator = (ctx) => {
  let acc = ctx.inputs[0];
  if (acc === undefined) throw unsupportedConfigError(ctx.name, ctx.className, 'inputs', 0);
  for (const x of ctx.inputs.slice(1)) acc = ctx.g.op('Mul', [acc, x], `${ctx.name}_mul`);
  return [acc];
};

const average: LayerTranslator = (ctx) => {
  const sum = ctx.g.op('Sum', ctx.inputs, `${ctx.name}_sum`);
  return [ctx.g.op('Div', [sum, ctx.g.scalar(`${ctx.name}_n`, ctx.inputs.length)], ctx.name)];
};

const embedding: LayerTranslator = (ctx) => {
  if (cfgBool(ctx, 'maskZero', false)) {
    // TODO(#8): masks change what downstream RNNs compute; translate them before allowing this.
    throw unsupportedConfigError(ctx.name, ctx.className, 'maskZero', true);
  }
  const table = weight(ctx, 'embeddings');
  const x = firstInput(ctx);
  ctx.noteIdInput(x, table.shape[0] ?? 0);
  // Graph inputs stay float32 like every other model we serve; ids are cast as TF.js does.
  const ids = ctx.g.op('Cast', [x], `${ctx.name}_ids`, { to: { int: 7 } });
  return [ctx.g.op('Gather', [ctx.g.floats(`${ctx.name}/embeddings`, table.shape, table.data), ids], ctx.name, { axis: { int: 0 } })];
};

/** Preprocessing layer: y = x * scale + offset. */
const rescaling: LayerTranslator = (ctx) => {
  const y = ctx.g.op('Mul', [firstInput(ctx), ctx.g.scalar(`${ctx.name}/scale`, cfgNumber(ctx, 'scale', 1))], `${ctx.name}_scale`);
  return [ctx.g.op('Add', [y, ctx.g.scalar(`${ctx.name}/offset`, cfgNumber(ctx, 'offset', 0))], ctx.name)];
};

export const CORE_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  Dense: dense,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Activation: activation,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  ELU: eluLayer,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmaxLayer,
  PReLU: prelu,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permuteLayer,
  RepeatVector: repeatVector,
  Concatenate: concatenate,
  Add: variadic('Sum'),
  Maximum: variadic('Max'),
  Minimum: variadic('Min'),
  Multiply: multiply,
  Average: average,
  Embedding: embedding,
  Rescaling: rescaling,
};
