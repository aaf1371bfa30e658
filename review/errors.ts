/** The error codes of review/ (the human review queue); stable, never reused once published. */
export const REVIEW_ERROR_CODES = Object.freeze({
  /** No review item with that event or trace id. */
  unknownItem: 'BL_REVIEW_UNKNOWN_ITEM',
  /** The review item already has an outcome. */
  alreadyDecided: 'BL_REVIEW_ALREADY_DECIDED',
} as const);
