import { BeamlineError } from '../functions/index.ts';

/** The codes of the local broker's errors. Stable: never reuse a code for another meaning. */
export const LOCAL_BROKER_ERROR_CODES = Object.freeze({
  /** The local broker could not be fetched, started, stopped or reached (BrokerScriptError). */
  failed: 'BL_LOCAL_BROKER_FAILED',
} as const);

/**
 * A failure of the local broker (fetch, start, stop, status): what went wrong, how to fix it, and
 * the tail of the broker's log when there is one. Retriable: a port still held or a slow start
 * usually passes on a second try.
 */
export class BrokerScriptError extends BeamlineError {
  readonly fix: string;
  readonly logTail: string | undefined;
  constructor(message: string, fix: string, logTail?: string) {
    super(LOCAL_BROKER_ERROR_CODES.failed, message, { retriable: true, details: { fix } });
    this.fix = fix;
    this.logTail = logTail;
  }
}
