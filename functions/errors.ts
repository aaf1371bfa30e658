/**
 * One error base for all of Beamline. Every error has a stable `code` (never reused once
 * published), says whether retrying can help, and keeps its `cause`.
 *
 * Codes are namespaced by area: `BL_PULSAR_*`, `BL_CONFIG_*`, `BL_STATE_*`, `BL_INFERENCE_*`, ...
 */
export class BeamlineError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  /** Extra structured data safe to log (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable, ...this.details };
  }
}

/** The codes of the errors defined here. Stable: never reuse a code for another meaning. */
export const CORE_ERROR_CODES = Object.freeze({
  /** Bad options or a bad spec (ConfigError). */
  configInvalid: 'BL_CONFIG_INVALID',
} as const);

/**
 * Bad options or a bad spec. The message names the field path, the value and the fix, so the
 * user can correct it without reading source.
 */
export class ConfigError extends BeamlineError {
  readonly field: string;
  constructor(field: string, value: unknown, fix: string, options: { cause?: unknown } = {}) {
    super(CORE_ERROR_CODES.configInvalid, `${field}: invalid value ${formatValue(value)}; ${fix}`, {
      retriable: false,
      cause: options.cause,
      details: { field },
    });
    this.field = field;
  }
}

/** Render a value for an error message: short, single line, never a whole object dump. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** True when an unknown thrown value is a BeamlineError that says retrying may help. */
export function isRetriable(err: unknown): boolean {
  return err instanceof BeamlineError && err.retriable;
}
