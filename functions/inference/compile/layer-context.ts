/**
 * What a layer translator sees: the layer's config and weights as TF.js reports them, the ONNX
 * value names of its inputs, and the symbolic shapes TF.js inferred (batch dim is null).
 */
import type { GraphBuilder } from './graph-builder.ts';
import { unsupportedConfigError } from './errors.ts';

export type Shape = readonly (number | null)[];

export interface WeightValue {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface LayerContext {
  readonly g: GraphBuilder;
  readonly name: string;
  readonly className: string;
  /** `layer.getConfig()`: camelCase keys as TF.js serialises them. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Weights by short name ('kernel', 'recurrent_kernel', 'moving_mean', ...). */
  readonly weights: ReadonlyMap<string, WeightValue>;
  readonly inputs: readonly string[];
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  /** Lets Embedding tell the prober which graph inputs carry integer ids below a bound. */
  readonly noteIdInput: (value: string, vocabulary: number) => void;
}

/** Returns the ONNX value names of the layer's outputs, in TF.js output order. */
export type LayerTranslator = (ctx: LayerContext) => readonly string[];

export function firstInput(ctx: LayerContext): string {
  const x = ctx.inputs[0];
  if (x === undefined || ctx.inputs.length !== 1) throw unsupportedConfigError(ctx.name, ctx.className, 'inputs', ctx.inputs.length);
  return x;
}

export function rankOf(ctx: LayerContext, i = 0): number {
  return (ctx.inputShapes[i] ?? []).length;
}

export function weight(ctx: LayerContext, key: string): WeightValue {
  const w = ctx.weights.get(key);
  if (w === undefined) throw unsupportedConfigError(ctx.name, ctx.className, `weight ${key}`, 'missing');
  return w;
}

export function optionalWeight(ctx: LayerContext, key: string): WeightValue | undefined {
  return ctx.weights.get(key);
}

export function cfgNumber(ctx: LayerContext, key: string, fallback: number): number {
  const v = ctx.config[key];
  return typeof v === 'number' ? v : fallback;
}

export function cfgBool(ctx: LayerContext, key: string, fallback: boolean): boolean {
  const v = ctx.config[key];
  return typeof v === 'boolean' ? v : fallback;
}

export function cfgString(ctx: LayerContext, key: string, fallback: string): string {
  const v = ctx.config[key];
  return typeof v === 'string' ? v : fallback;
}

/** A TF.js int-or-tuple setting (kernelSize, strides, poolSize...) widened to `n` dims. */
export function cfgTuple(ctx: LayerContext, key: string, n: number, fallback: number): number[] {
  const v = ctx.config[key];
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number')) return v as number[];
  if (v === undefined || v === null) return new Array<number>(n).fill(fallback);
  throw unsupportedConfigError(ctx.name, ctx.className, key, v);
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
