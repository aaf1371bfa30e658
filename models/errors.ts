/** The error codes of models/ (registry CLI support, review queue, action sinks); stable, never reused once published. */
export const MODELS_ERROR_CODES = Object.freeze({
  /** The validation metrics file given to `model push --metrics` is unreadable or not numbers. */
  validationFile: 'BL_MODELS_VALIDATION_FILE',
  /** No review item with that event or trace id. */
  reviewUnknownItem: 'BL_REVIEW_UNKNOWN_ITEM',
  /** The review item already has an outcome. */
  reviewAlreadyDecided: 'BL_REVIEW_ALREADY_DECIDED',
  /** A webhook sink refused an action for good (4xx other than 408/429). */
  sinkRejected: 'BL_ACTIONS_SINK_REJECTED',
  /** A webhook sink did not answer in time (retriable). */
  sinkTimeout: 'BL_ACTIONS_SINK_TIMEOUT',
  /** A webhook sink failed (5xx, 408, 429: retriable). */
  sinkFailed: 'BL_ACTIONS_SINK_FAILED',
  /**
   * A Pulsar operation timed out (the client's code, functions/pulsar): listed here so models/
   * compares against it without an inline string.
   */
  pulsarTimeout: 'BL_PULSAR_TIMEOUT',
} as const);

export type ModelsErrorCode = (typeof MODELS_ERROR_CODES)[keyof typeof MODELS_ERROR_CODES];
