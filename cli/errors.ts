/** The CLI's error codes (stable; never reused once published). */
import { BeamlineError } from '../functions/index.ts';

export const CLI_ERROR_CODES = Object.freeze({
  /** A command line the CLI cannot run: unknown noun, verb or flag value, a missing argument. Exit 2. */
  usage: 'BL_CLI_USAGE',
  /**
   * Bad configuration named by field (functions' ConfigError). Catalogued here only so the CLI can
   * map it to exit 2 without an inline code.
   */
  configInvalid: 'BL_CONFIG_INVALID',
} as const);

export type CliErrorCode = (typeof CLI_ERROR_CODES)[keyof typeof CLI_ERROR_CODES];

/** A command line the CLI cannot run (exit 2): the message names the value and the fix. */
export function usageError(message: string): BeamlineError {
  return new BeamlineError(CLI_ERROR_CODES.usage, message);
}
