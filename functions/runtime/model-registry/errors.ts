/** Stable codes of the model registry (never reused once published). */
import { BeamlineError } from '../../errors.ts';

export const REGISTRY_ERROR_CODES = Object.freeze({
  invalidManifest: 'BL_REGISTRY_INVALID_MANIFEST',
  invalidName: 'BL_REGISTRY_INVALID_NAME',
  signatureMismatch: 'BL_REGISTRY_SIGNATURE_MISMATCH',
  noFeatureSchema: 'BL_REGISTRY_NO_FEATURE_SCHEMA',
  probeFailed: 'BL_REGISTRY_PROBE_FAILED',
  versionExists: 'BL_REGISTRY_VERSION_EXISTS',
  unknownModel: 'BL_REGISTRY_UNKNOWN_MODEL',
  unknownVersion: 'BL_REGISTRY_UNKNOWN_VERSION',
  invalidRollout: 'BL_REGISTRY_INVALID_ROLLOUT',
  artifactCorrupt: 'BL_REGISTRY_ARTIFACT_CORRUPT',
  nothingToRollBack: 'BL_REGISTRY_NOTHING_TO_ROLL_BACK',
  closed: 'BL_REGISTRY_CLOSED',
});

export function registryError(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): BeamlineError {
  return new BeamlineError(code, message, { details, ...(cause === undefined ? {} : { cause }) });
}
