/** Tracing's error codes. Stable: never reuse a code for another meaning. */
export const TRACING_ERROR_CODES = Object.freeze({
  /** The collector did not take an export request. */
  exportFailed: 'BL_TRACE_EXPORT',
} as const);
