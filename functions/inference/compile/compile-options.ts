/**
 * Options of `compileTfjsToOnnx`, validated once into a frozen config.
 */
import { ConfigError } from '../../errors.ts';
import { silentLogger } from '../../telemetry.ts';
import type { Logger } from '../../telemetry.ts';

export type ReferenceBackend = 'cpu' | 'wasm';

export interface CompileTfjsToOnnxOptions {
  /** Rows in the seeded random probe batch run through both TF.js and ONNX Runtime. @default 8 */
  probeBatch?: number;
  /** Largest absolute difference tolerated between TF.js and ONNX Runtime outputs. @default 1e-4 */
  tolerance?: number;
  /** Seed of the probe inputs, so a refused compile can be reproduced. @default 1 */
  seed?: number;
  /** TF.js backend computing the reference outputs. @default 'cpu' */
  referenceBackend?: ReferenceBackend;
  /** Length used in the probe for dynamic non-batch dims (e.g. variable time steps). @default 5 */
  probeDynamicDim?: number;
  /** @default silentLogger */
  logger?: Logger;
}

export interface CompileTfjsToOnnxConfig {
  readonly probeBatch: number;
  readonly tolerance: number;
  readonly seed: number;
  readonly referenceBackend: ReferenceBackend;
  readonly probeDynamicDim: number;
  readonly logger: Logger;
}

export function compileTfjsToOnnxOptions(options: CompileTfjsToOnnxOptions = {}): CompileTfjsToOnnxConfig {
  const probeBatch = options.probeBatch ?? 8;
  if (!Number.isInteger(probeBatch) || probeBatch < 1 || probeBatch > 4096) {
    throw new ConfigError('probeBatch', probeBatch, 'use an integer number of rows from 1 to 4096');
  }
  const tolerance = options.tolerance ?? 1e-4;
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new ConfigError('tolerance', tolerance, 'use a finite absolute difference >= 0, e.g. 1e-4');
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ConfigError('seed', seed, 'use an integer seed');
  const referenceBackend = options.referenceBackend ?? 'cpu';
  if (referenceBackend !== 'cpu' && referenceBackend !== 'wasm') {
    throw new ConfigError('referenceBackend', referenceBackend, "use 'cpu' or 'wasm'");
  }
  const probeDynamicDim = options.probeDynamicDim ?? 5;
  if (!Number.isInteger(probeDynamicDim) || probeDynamicDim < 1)
    throw new ConfigError('probeDynamicDim', probeDynamicDim, 'use an integer >= 1');
  return Object.freeze({ probeBatch, tolerance, seed, referenceBackend, probeDynamicDim, logger: options.logger ?? silentLogger });
}
