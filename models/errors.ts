/** The error codes of models/ (registry CLI support); stable, never reused once published. */
export const MODELS_ERROR_CODES = Object.freeze({
  /** The validation metrics file given to `model push --metrics` is unreadable or not numbers. */
  validationFile: 'BL_MODELS_VALIDATION_FILE',
} as const);

export type ModelsErrorCode = (typeof MODELS_ERROR_CODES)[keyof typeof MODELS_ERROR_CODES];
