import { BeamlineError } from '../errors.ts';

/** Keyed state's error codes. Stable: never reuse a code for another meaning. */
export const STATE_ERROR_CODES = Object.freeze({
  /** The store holds maxKeys keys and a put would add another. */
  tooManyKeys: 'BL_STATE_TOO_MANY_KEYS',
  /** A value is larger than maxValueBytes. */
  valueTooLarge: 'BL_STATE_VALUE_TOO_LARGE',
  /** A changelog record that should hold a value has an empty payload. */
  emptyPayload: 'BL_STATE_EMPTY_PAYLOAD',
  /** A value cannot be serialized as JSON. */
  serializeFailed: 'BL_STATE_SERIALIZE_FAILED',
  /** Stored bytes are not valid UTF-8 JSON. */
  deserializeFailed: 'BL_STATE_DESERIALIZE_FAILED',
} as const);

/**
 * A state limit was hit. Not retriable: the same put fails again until the function stores less
 * (the limits keep the compacted `state` topic and restore time bounded).
 */
export class StateLimitError extends BeamlineError {
  constructor(
    code: typeof STATE_ERROR_CODES.tooManyKeys | typeof STATE_ERROR_CODES.valueTooLarge,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(code, message, { retriable: false, details });
  }
}
