/**
 * TF.js activation functions as ONNX subgraphs, restricted to opset-17 ops (GELU and Mish are
 * newer ops, so they are composed from Erf/Tanh/Softplus here).
 */
import type { GraphBuilder } from './graph-builder.ts';
import { unsupportedConfigError } from './errors.ts';

/** TF.js serialises activations by class name ('hardSigmoid'); Keras files say 'hard_sigmoid'. */
export function activationKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

export function applyActivation(
  g: GraphBuilder,
  x: string,
  activation: string,
  base: string,
  owner: { name: string; className: string },
): string {
  switch (activationKey(activation)) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], `${base}_relu`);
    case 'relu6':
      return g.op('Clip', [x, g.scalar(`${base}_zero`, 0), g.scalar(`${base}_six`, 6)], `${base}_relu6`);
    case 'elu':
      return g.op('Elu', [x], `${base}_elu`, { alpha: 1 });
    case 'selu':
      return g.op('Selu', [x], `${base}_selu`);
    case 'sigmoid':
      return g.op('Sigmoid', [x], `${base}_sigmoid`);
    case 'hardsigmoid':
      return g.op('HardSigmoid', [x], `${base}_hardsigmoid`, { alpha: 0.2, beta: 0.5 });
    case 'tanh':
      return g.op('Tanh', [x], `${base}_tanh`);
    case 'softmax':
      return g.op('Softmax', [x], `${base}_softmax`, { axis: { int: -1 } });
    case 'logsoftmax':
      return g.op('LogSoftmax', [x], `${base}_logsoftmax`, { axis: { int: -1 } });
    case 'softplus':
      return g.op('Softplus', [x], `${base}_softplus`);
    case 'softsign':
      return g.op('Softsign', [x], `${base}_softsign`);
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x], `${base}_swish_sig`)], `${base}_swish`);
    case 'mish': {
      const t = g.op('Tanh', [g.op('Softplus', [x], `${base}_mish_sp`)], `${base}_mish_tanh`);
      return g.op('Mul', [x, t], `${base}_mish`);
    }
    case 'gelu': {
      // x * 0.5 * (1 + erf(x / sqrt(2))), as tfjs-layers computes it.
      const erf = g.op('Erf', [g.op('Mul', [x, g.scalar(`${base}_rsqrt2`, Math.SQRT1_2)], `${base}_gelu_s`)], `${base}_gelu_erf`);
      const cdf = g.op(
        'Mul',
        [g.op('Add', [erf, g.scalar(`${base}_one`, 1)], `${base}_gelu_1p`), g.scalar(`${base}_half`, 0.5)],
        `${base}_gelu_cdf`,
      );
      return g.op('Mul', [x, cdf], `${base}_gelu`);
    }
    case 'gelunew': {
      // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
      const x3 = g.op('Mul', [g.op('Mul', [x, x], `${base}_gn_x2`), x], `${base}_gn_x3`);
      const inner = g.op('Add', [x, g.op('Mul', [x3, g.scalar(`${base}_gn_c`, 0.044715)], `${base}_gn_cx3`)], `${base}_gn_in`);
      const t = g.op('Tanh', [g.op('Mul', [inner, g.scalar(`${base}_gn_k`, Math.sqrt(2 / Math.PI))], `${base}_gn_kin`)], `${base}_gn_t`);
      const onePlus = g.op('Add', [t, g.scalar(`${base}_gn_one`, 1)], `${base}_gn_1p`);
      return g.op('Mul', [g.op('Mul', [x, onePlus], `${base}_gn_xm`), g.scalar(`${base}_gn_half`, 0.5)], `${base}_gelu_new`);
    }
    default:
      throw unsupportedConfigError(owner.name, owner.className, 'activation', activation);
  }
}

/** ONNX RNN/GRU/LSTM take activations by name; only these have the same meaning in TF.js. */
export function rnnActivationName(activation: string, owner: { name: string; className: string }): string {
  switch (activationKey(activation)) {
    case 'tanh':
      return 'Tanh';
    case 'sigmoid':
      return 'Sigmoid';
    case 'relu':
      return 'Relu';
    case 'hardsigmoid':
      return 'HardSigmoid';
    case 'softsign':
      return 'Softsign';
    case 'softplus':
      return 'Softplus';
    default:
      throw unsupportedConfigError(owner.name, owner.className, 'activation', activation);
  }
}
