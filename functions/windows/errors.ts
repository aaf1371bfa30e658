import { BeamlineError } from '../errors.ts';

/** Windows' error codes. Stable: never reuse a code for another meaning. */
export const WINDOW_ERROR_CODES = Object.freeze({
  /** An aggregation could not use an event's value. */
  badValue: 'BL_WINDOW_BAD_VALUE',
} as const);

/** A window aggregation could not use an event's value (not retriable: the value stays bad). */
export class WindowValueError extends BeamlineError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super(WINDOW_ERROR_CODES.badValue, message, { retriable: false, details, cause });
  }
}
