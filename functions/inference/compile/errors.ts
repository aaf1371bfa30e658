/**
 * Error codes of the TF.js-layers-to-ONNX compiler. Stable: never reuse a code for another
 * meaning.
 */
import { BeamlineError } from '../../errors.ts';

export const COMPILE_ERROR_CODES = Object.freeze({
  /** A layer class (or nested model) the compiler has no translation for. */
  unsupportedLayer: 'BL_COMPILE_UNSUPPORTED_LAYER',
  /** A supported layer used with a setting the compiler cannot translate faithfully. */
  unsupportedConfig: 'BL_COMPILE_UNSUPPORTED_CONFIG',
  /** The artifacts do not load as a TF.js layers model. */
  badArtifact: 'BL_COMPILE_BAD_ARTIFACT',
  /** TF.js and ONNX Runtime disagree on the probe batch by more than the tolerance. */
  mismatch: 'BL_COMPILE_MISMATCH',
  /** The compiled model could not be run by ONNX Runtime (a compiler bug). */
  verifyFailed: 'BL_COMPILE_VERIFY_FAILED',
});

export function unsupportedLayerError(layerName: string, className: string): BeamlineError {
  return new BeamlineError(
    COMPILE_ERROR_CODES.unsupportedLayer,
    `layer "${layerName}" of class ${className} has no ONNX translation; serve this model with a TF.js runtime or replace the layer`,
    { details: { layer: layerName, className } },
  );
}

export function unsupportedConfigError(layerName: string, className: string, setting: string, value: unknown): BeamlineError {
  return new BeamlineError(
    COMPILE_ERROR_CODES.unsupportedConfig,
    `layer "${layerName}" of class ${className}: ${setting}=${JSON.stringify(value)} has no ONNX translation`,
    { details: { layer: layerName, className, setting, value } },
  );
}
