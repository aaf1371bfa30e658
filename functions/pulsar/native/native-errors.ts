/**
 * The native addon rejects with plain Errors whose message ends in the C++ client's result name
 * ("Failed to receive message: TimeOut"). Map those names onto the codes our own client uses, so
 * callers handle one set of codes whichever implementation runs; the original error stays as
 * `cause`.
 */
import { BeamlineError } from '../../errors.ts';
import { SERVER_ERRORS } from '../wire/index.ts';

/** C++ result names that have no broker ServerError twin. */
const CLIENT_RESULTS: Readonly<Record<string, { code: string; retriable: boolean }>> = {
  TimeOut: { code: 'BL_PULSAR_TIMEOUT', retriable: true },
  AlreadyClosed: { code: 'BL_PULSAR_ALREADY_CLOSED', retriable: false },
  ConnectError: { code: 'BL_PULSAR_CONNECT_FAILED', retriable: true },
  NotConnected: { code: 'BL_PULSAR_CONNECTION_CLOSED', retriable: true },
  LookupError: { code: 'BL_PULSAR_LOOKUP_FAILED', retriable: true },
  InvalidUrl: { code: 'BL_PULSAR_INVALID_URL', retriable: false },
  MessageTooBig: { code: 'BL_PULSAR_MESSAGE_TOO_LARGE', retriable: false },
  CumulativeAcknowledgementNotAllowedError: { code: 'BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED', retriable: false },
  ServiceUnitNotReady: { code: 'BL_PULSAR_SERVICE_NOT_READY', retriable: true },
  TopicTerminated: { code: 'BL_PULSAR_TOPIC_TERMINATED', retriable: false },
  ProducerQueueIsFull: { code: 'BL_PULSAR_PRODUCER_QUEUE_FULL', retriable: true },
};

const RESULT_RE = /:\s*([A-Za-z]+)\s*$/;

/** A BeamlineError for a native rejection; BeamlineErrors pass through unchanged. */
export function fromNativeError(err: unknown, operation: string): BeamlineError {
  if (err instanceof BeamlineError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const result = RESULT_RE.exec(text)?.[1];
  const mapped = result === undefined ? undefined : (CLIENT_RESULTS[result] ?? serverResult(result));
  return new BeamlineError(mapped?.code ?? 'BL_PULSAR_NATIVE_ERROR', `${operation} failed in the native client: ${text}`, {
    retriable: mapped?.retriable ?? false,
    cause: err,
    details: { operation, implementation: 'native', ...(result === undefined ? {} : { result }) },
  });
}

function serverResult(name: string): { code: string; retriable: boolean } | undefined {
  // The C++ client names some broker errors slightly differently from the protocol.
  const alias = name === 'TopicTerminated' ? 'TopicTerminatedError' : name.replace(/Error$/, '');
  for (const info of SERVER_ERRORS.values()) {
    if (info.name === name || info.name === alias || info.name.replace(/Error$/, '') === alias) return { code: info.code, retriable: info.retriable };
  }
  return undefined;
}
