/** Client-side error codes (broker replies map through wire/server-error.ts). */
import { BeamlineError } from '../../errors.ts';

export function timeoutError(what: string, ms: number, details: Record<string, unknown> = {}): BeamlineError {
  return new BeamlineError('BL_PULSAR_TIMEOUT', `${what} timed out after ${ms} ms`, { retriable: true, details: { operation: what, timeoutMs: ms, ...details } });
}

export function connectionClosedError(reason: string, cause?: unknown): BeamlineError {
  return new BeamlineError('BL_PULSAR_CONNECTION_CLOSED', `connection closed: ${reason}`, { retriable: true, cause, details: { reason } });
}

export function alreadyClosedError(what: string): BeamlineError {
  return new BeamlineError('BL_PULSAR_ALREADY_CLOSED', `${what} is closed`, { retriable: false, details: { object: what } });
}

export function invalidUrlError(url: string): BeamlineError {
  return new BeamlineError('BL_PULSAR_INVALID_URL', 'service url must look like pulsar://host:port or pulsar+ssl://host:port', {
    details: { url },
  });
}

export function cumulativeAckNotAllowedError(subscriptionType: string): BeamlineError {
  return new BeamlineError('BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED', 'cumulative acks are not allowed on Shared or Key_Shared subscriptions', {
    details: { subscriptionType },
  });
}
