/** #23: stable codes of the Parquet writer (never reused once published). */
import { BeamlineError } from '../errors.ts';

export const PARQUET_ERROR_CODES = Object.freeze({
  /** The table handed to the writer is not one Parquet can hold as described. */
  invalidTable: 'BL_PARQUET_INVALID_TABLE',
});

export function invalidTable(message: string, details: Record<string, unknown>): BeamlineError {
  return new BeamlineError(PARQUET_ERROR_CODES.invalidTable, message, { details });
}
