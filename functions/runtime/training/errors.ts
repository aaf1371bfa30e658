/** #23: stable codes of training-set export and model evaluation (never reused once published). */
import { BeamlineError } from '../../errors.ts';

export const TRAINING_ERROR_CODES = Object.freeze({
  invalidLabel: 'BL_TRAINING_INVALID_LABEL',
  invalidWindow: 'BL_TRAINING_INVALID_WINDOW',
  noEvents: 'BL_TRAINING_NO_EVENTS',
  noLabels: 'BL_TRAINING_NO_LABELS',
  belowGate: 'BL_TRAINING_BELOW_GATE',
  invalidOutput: 'BL_TRAINING_INVALID_OUTPUT',
});

export function trainingError(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): BeamlineError {
  return new BeamlineError(code, message, { details, ...(cause === undefined ? {} : { cause }) });
}
