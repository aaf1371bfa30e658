/** Client-side error codes (broker replies map through wire/server-error.ts). */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';

export function timeoutError(what: string, ms: number, details: Record<string, unknown> = {}): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.timeout, `${what} timed out after ${ms} ms`, {
    retriable: true,
    details: { operation: what, timeoutMs: ms, ...details },
  });
}

export function connectionClosedError(reason: string, cause?: unknown): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.connectionClosed, `connection closed: ${reason}`, {
    retriable: true,
    cause,
    details: { reason },
  });
}

export function alreadyClosedError(what: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.alreadyClosed, `${what} is closed`, { retriable: false, details: { object: what } });
}

export function invalidUrlError(url: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.invalidUrl, 'service url must look like pulsar://host:port or pulsar+ssl://host:port', {
    details: { url },
  });
}

export function cumulativeAckNotAllowedError(subscriptionType: string): BeamlineError {
  return new BeamlineError(
    PULSAR_ERROR_CODES.cumulativeAckNotAllowed,
    'cumulative acks are not allowed on Shared or Key_Shared subscriptions',
    {
      details: { subscriptionType },
    },
  );
}
