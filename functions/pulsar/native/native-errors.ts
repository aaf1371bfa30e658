/**
 * The native addon rejects with plain Errors whose message ends in the C++ client's result name
 * ("Failed to receive message: TimeOut"). Map those names onto the codes our own client uses, so
 * callers handle one set of codes whichever implementation runs; the original error stays as
 * `cause`.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import { SERVER_ERRORS } from '../wire/index.ts';

/** C++ result names that have no broker ServerError twin. */
const CLIENT_RESULTS: Readonly<Record<string, { code: string; retriable: boolean }>> = {
  TimeOut: { code: PULSAR_ERROR_CODES.timeout, retriable: true },
  AlreadyClosed: { code: PULSAR_ERROR_CODES.alreadyClosed, retriable: false },
  ConnectError: { code: PULSAR_ERROR_CODES.connectFailed, retriable: true },
  NotConnected: { code: PULSAR_ERROR_CODES.connectionClosed, retriable: true },
  LookupError: { code: PULSAR_ERROR_CODES.lookupFailed, retriable: true },
  InvalidUrl: { code: PULSAR_ERROR_CODES.invalidUrl, retriable: false },
  MessageTooBig: { code: PULSAR_ERROR_CODES.messageTooLarge, retriable: false },
  CumulativeAcknowledgementNotAllowedError: { code: PULSAR_ERROR_CODES.cumulativeAckNotAllowed, retriable: false },
  ServiceUnitNotReady: { code: PULSAR_ERROR_CODES.serviceNotReady, retriable: true },
  TopicTerminated: { code: PULSAR_ERROR_CODES.topicTerminated, retriable: false },
  ProducerQueueIsFull: { code: PULSAR_ERROR_CODES.producerQueueFull, retriable: true },
};

const RESULT_RE = /:\s*([A-Za-z]+)\s*$/;

/** A BeamlineError for a native rejection; BeamlineErrors pass through unchanged. */
export function fromNativeError(err: unknown, operation: string): BeamlineError {
  if (err instanceof BeamlineError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const result = RESULT_RE.exec(text)?.[1];
  const mapped = result === undefined ? undefined : (CLIENT_RESULTS[result] ?? serverResult(result));
  return new BeamlineError(mapped?.code ?? PULSAR_ERROR_CODES.nativeError, `${operation} failed in the native client: ${text}`, {
    retriable: mapped?.retriable ?? false,
    cause: err,
    details: { operation, implementation: 'native', ...(result === undefined ? {} : { result }) },
  });
}

function serverResult(name: string): { code: string; retriable: boolean } | undefined {
  // The C++ client names some broker errors slightly differently from the protocol.
  const alias = name === 'TopicTerminated' ? 'TopicTerminatedError' : name.replace(/Error$/, '');
  for (const info of SERVER_ERRORS.values()) {
    if (info.name === name || info.name === alias || info.name.replace(/Error$/, '') === alias)
      return { code: info.code, retriable: info.retriable };
  }
  return undefined;
}
