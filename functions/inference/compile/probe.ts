/**
 * Seeded probe inputs: uniform floats in [-1, 1), or integer ids for inputs feeding Embedding.
 */
import { seededRandom } from '../../random.ts';
import type { OnnxDim } from '../onnx/index.ts';

export interface ProbeInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function makeProbe(
  inputs: readonly { readonly name: string; readonly shape: readonly OnnxDim[]; readonly idVocabulary?: number }[],
  rows: number,
  dynamicDim: number,
  seed: number,
): ProbeInput[] {
  const rand = seededRandom(seed);
  return inputs.map((input) => {
    const shape = input.shape.map((d, i) => (i === 0 ? rows : typeof d === 'number' ? d : dynamicDim));
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const vocab = input.idVocabulary;
    for (let i = 0; i < data.length; i++) data[i] = vocab === undefined ? rand() * 2 - 1 : Math.floor(rand() * vocab);
    return { name: input.name, shape, data };
  });
}
