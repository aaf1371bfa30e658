/**
 * TimeDistributed(inner): fold time into the batch, run the inner layer's own translation, unfold.
 * (Bidirectional lives with the recurrent layers because it becomes one ONNX RNN op.)
 */
import { unsupportedConfigError } from './errors.ts';
import type { LayerTranslator } from './layer-context.ts';
import { firstInput } from './layer-context.ts';

export function timeDistributed(lookup: (className: string) => LayerTranslator | undefined): LayerTranslator {
  return (outer) => {
    const { g } = outer;
    const layer = outer.config['layer'] as { className?: string; config?: Record<string, unknown> } | undefined;
    const innerClass = layer?.className ?? 'unknown';
    const inner = lookup(innerClass);
    if (inner === undefined) throw unsupportedConfigError(outer.name, outer.className, 'layer', innerClass);
    const inShape = outer.inputShapes[0] ?? [];
    const outShape = outer.outputShapes[0] ?? [];
    const steps = inShape[1];
    const rest = inShape.slice(2);
    const outRest = outShape.slice(2);
    if (steps === null || steps === undefined || [...rest, ...outRest].some((d) => d === null)) {
      throw unsupportedConfigError(outer.name, outer.className, 'input shape', inShape);
    }
    const flat = g.op('Reshape', [firstInput(outer), g.int64s(`${outer.name}/flat`, [-1, ...(rest as number[])])], `${outer.name}_flat`);
    const outs = inner({
      ...outer,
      className: `${outer.className}(${innerClass})`,
      config: layer?.config ?? {},
      inputs: [flat],
      inputShapes: [[null, ...rest]],
      outputShapes: [[null, ...outRest]],
    });
    const y = outs[0];
    if (y === undefined) throw unsupportedConfigError(outer.name, outer.className, 'layer', innerClass);
    return [g.op('Reshape', [y, g.int64s(`${outer.name}/unflat`, [-1, steps, ...(outRest as number[])])], outer.name)];
  };
}
