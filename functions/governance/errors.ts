/** Data governance's error codes. Stable: never reuse a code for another meaning. */
export const GOVERNANCE_ERROR_CODES = Object.freeze({
  /** Sealed data could not be opened: the key is wrong or gone, or the record was altered. */
  decrypt: 'BL_GOVERNANCE_DECRYPT',
  /** A key id the keyring does not hold. */
  keyUnknown: 'BL_GOVERNANCE_KEY_UNKNOWN',
  /** A dead letter keeps no content: the worker ran without a tenant key. */
  noContent: 'BL_GOVERNANCE_NO_CONTENT',
} as const);
