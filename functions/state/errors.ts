import { BeamlineError } from '../errors.ts';

/**
 * A state limit was hit. Not retriable: the same put fails again until the function stores less
 * (the limits keep the compacted `state` topic and restore time bounded).
 */
export class StateLimitError extends BeamlineError {
  constructor(
    code: 'BL_STATE_TOO_MANY_KEYS' | 'BL_STATE_VALUE_TOO_LARGE',
    message: string,
    details: Record<string, unknown>,
  ) {
    super(code, message, { retriable: false, details });
  }
}
