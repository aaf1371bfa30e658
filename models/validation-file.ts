/**
 * The validation file given at push: JSON with metrics as numbers, either flat
 * (`{"auc": 0.93}`) or under `metrics` (`{"metrics": {"auc": 0.93}, ...}`). Non-numeric
 * entries are refused so a manifest never carries a metric nobody can compare.
 */
import { readFile } from 'node:fs/promises';
import { BeamlineError } from '../functions/index.ts';
import { MODELS_ERROR_CODES } from './errors.ts';

export async function readValidationMetrics(path: string): Promise<Record<string, number>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new BeamlineError(MODELS_ERROR_CODES.validationFile, `cannot read the validation file ${path}: ${(cause as Error).message}`, {
      cause,
      details: { path },
    });
  }
  return parseValidationMetrics(parsed, path);
}

export function parseValidationMetrics(parsed: unknown, path = 'validation file'): Record<string, number> {
  const root = (parsed ?? {}) as Record<string, unknown>;
  const metrics = (typeof root['metrics'] === 'object' && root['metrics'] !== null ? root['metrics'] : root) as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new BeamlineError(MODELS_ERROR_CODES.validationFile, `${path}: metric "${k}" is not a finite number (${JSON.stringify(v)})`, {
        details: { path, metric: k },
      });
    }
    out[k] = v;
  }
  return out;
}
