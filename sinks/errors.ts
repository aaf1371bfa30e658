/** The error codes of sinks/ (webhook action sinks); stable, never reused once published. */
export const SINKS_ERROR_CODES = Object.freeze({
  /** A webhook sink refused an action for good (4xx other than 408/429). */
  rejected: 'BL_ACTIONS_SINK_REJECTED',
  /** A webhook sink did not answer in time (retriable). */
  timeout: 'BL_ACTIONS_SINK_TIMEOUT',
  /** A webhook sink failed (5xx, 408, 429: retriable). */
  failed: 'BL_ACTIONS_SINK_FAILED',
  /**
   * A Pulsar operation timed out (the client's code, functions/pulsar): listed here so sinks/
   * compares against it without an inline string.
   */
  pulsarTimeout: 'BL_PULSAR_TIMEOUT',
} as const);
