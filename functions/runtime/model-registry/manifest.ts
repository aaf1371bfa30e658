/**
 * What the registry stores next to a model's bytes: the manifest (identity, digest, signature,
 * metrics, provenance) and the namespace's feature schema every model's signature must match.
 */
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';

/** Per-row shapes (without the batch dimension). */
export interface ModelSignature {
  readonly input: readonly number[];
  readonly output: readonly number[];
}

/** The feature row every model of the namespace scores: names in row order, outputs per row. */
export interface FeatureSchema {
  readonly features: readonly string[];
  /** Output values per row (1 for a fraud probability). @default 1 */
  readonly outputs: number;
}

/** #25: 'remote': served by another process; the artifact is its spec. */
export type ModelFormat = 'tfjs-layers' | 'onnx' | 'remote';

export interface ModelManifest {
  readonly name: string;
  readonly version: string;
  /** sha256 (hex) of the stored artifact bytes. */
  readonly sha256: string;
  readonly format: ModelFormat;
  readonly sizeBytes: number;
  readonly signature: ModelSignature;
  /** From the validation file given at push (e.g. auc, precision), else empty. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly author: string;
  readonly createdAtMs: number;
  /** Set when the version is retired: its bytes are deleted and it can no longer be routed. */
  readonly retiredAtMs: number | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Model names and versions go into topic keys (`artifact/<name>/<version>`): no slashes. */
export function checkModelName(field: 'name' | 'version', value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw registryError(
      REGISTRY_ERROR_CODES.invalidName,
      `model ${field} ${JSON.stringify(value)} is invalid: use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      { field, value },
    );
  }
  return value;
}

/** `fraud@3`: the id every decision carries. */
export function modelVersionId(name: string, version: string): string {
  return `${name}@${version}`;
}

function fail(field: string, why: string): never {
  throw registryError(REGISTRY_ERROR_CODES.invalidManifest, `manifest.${field}: ${why}`, { field });
}

function shape(field: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && (d as number) > 0))
    fail(field, 'must be a non-empty list of positive whole numbers');
  return v as number[];
}

/** Validates a parsed manifest (from the topic or a file); returns a frozen copy. */
export function validateManifest(x: unknown): ModelManifest {
  if (x === null || typeof x !== 'object') fail('', 'must be an object');
  const o = x as Record<string, unknown>;
  const name = checkModelName('name', o['name']);
  const version = checkModelName('version', o['version']);
  if (typeof o['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(o['sha256'])) fail('sha256', 'must be 64 lowercase hex digits');
  if (o['format'] !== 'tfjs-layers' && o['format'] !== 'onnx' && o['format'] !== 'remote')
    fail('format', 'must be "tfjs-layers", "onnx" or "remote"');
  if (!Number.isInteger(o['sizeBytes']) || (o['sizeBytes'] as number) <= 0) fail('sizeBytes', 'must be a positive whole number');
  const sig = o['signature'] as Record<string, unknown> | undefined;
  if (sig === undefined || sig === null || typeof sig !== 'object') fail('signature', 'must be { input: [...], output: [...] }');
  const signature = Object.freeze({
    input: Object.freeze(shape('signature.input', sig['input'])),
    output: Object.freeze(shape('signature.output', sig['output'])),
  });
  const metrics = (o['metrics'] ?? {}) as Record<string, unknown>;
  if (typeof metrics !== 'object' || metrics === null || Object.values(metrics).some((m) => typeof m !== 'number' || !Number.isFinite(m)))
    fail('metrics', 'must map names to finite numbers');
  if (typeof o['author'] !== 'string' || o['author'] === '') fail('author', 'must be a non-empty string');
  if (!Number.isInteger(o['createdAtMs'])) fail('createdAtMs', 'must be ms since the epoch');
  const retired = o['retiredAtMs'] ?? null;
  if (retired !== null && !Number.isInteger(retired)) fail('retiredAtMs', 'must be ms since the epoch or null');
  return Object.freeze({
    name,
    version,
    sha256: o['sha256'],
    format: o['format'],
    sizeBytes: o['sizeBytes'] as number,
    signature,
    metrics: Object.freeze({ ...(metrics as Record<string, number>) }),
    author: o['author'],
    createdAtMs: o['createdAtMs'] as number,
    retiredAtMs: retired as number | null,
  });
}

export function validateFeatureSchema(x: unknown): FeatureSchema {
  const o = (x ?? {}) as Record<string, unknown>;
  const features = o['features'];
  if (
    !Array.isArray(features) ||
    features.length === 0 ||
    !features.every((f) => typeof f === 'string' && f !== '') ||
    new Set(features).size !== features.length
  ) {
    throw registryError(REGISTRY_ERROR_CODES.invalidManifest, 'feature schema: features must be a non-empty list of unique names', {
      features,
    });
  }
  const outputs = o['outputs'] ?? 1;
  if (!Number.isInteger(outputs) || (outputs as number) < 1) {
    throw registryError(REGISTRY_ERROR_CODES.invalidManifest, 'feature schema: outputs must be a positive whole number', { outputs });
  }
  return Object.freeze({ features: Object.freeze([...(features as string[])]), outputs: outputs as number });
}

/**
 * A model fits the namespace when it takes one row of exactly the schema's features and gives
 * the schema's number of outputs. The error names expected and actual shapes.
 */
export function checkSignature(signature: ModelSignature, schema: FeatureSchema): void {
  const expected = { input: [schema.features.length], output: [schema.outputs] };
  const inWidth = signature.input.reduce((a, b) => a * b, 1);
  const outWidth = signature.output.reduce((a, b) => a * b, 1);
  if (inWidth !== schema.features.length || outWidth !== schema.outputs) {
    const fmt = (s: readonly number[]): string => `[batch, ${s.join(', ')}]`;
    throw registryError(
      REGISTRY_ERROR_CODES.signatureMismatch,
      `model signature does not match the namespace's feature schema: expected input ${fmt(expected.input)} (${schema.features.join(', ')}) and output ${fmt(expected.output)}, ` +
        `got input ${fmt(signature.input)} and output ${fmt(signature.output)}`,
      { expected, actual: { input: signature.input, output: signature.output }, features: schema.features },
    );
  }
}
