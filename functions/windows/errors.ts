import { BeamlineError } from '../errors.ts';

/** A window aggregation could not use an event's value (not retriable: the value stays bad). */
export class WindowValueError extends BeamlineError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super('BL_WINDOW_BAD_VALUE', message, { retriable: false, details, cause });
  }
}
