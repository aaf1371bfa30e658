/**
 * Error codes of the inference engine. Stable: never reuse a code for another meaning.
 */
import { BeamlineError } from '../errors.ts';

export const INFERENCE_ERROR_CODES = Object.freeze({
  /** No model file at the given path. */
  modelNotFound: 'BL_INFERENCE_MODEL_NOT_FOUND',
  /** The model file is of a format the engine does not load. */
  modelFormat: 'BL_INFERENCE_MODEL_FORMAT',
  /** The micro-batcher's queue is full: shed load upstream and retry later. */
  overloaded: 'BL_INFERENCE_OVERLOADED',
  /** No requested/allowed backend could load the model. */
  noBackend: 'BL_INFERENCE_NO_BACKEND',
  /** The model bytes could not be parsed or loaded by the runtime. */
  loadFailed: 'BL_INFERENCE_LOAD_FAILED',
  /** The runtime failed while scoring a batch. */
  predictFailed: 'BL_INFERENCE_PREDICT_FAILED',
  /** Input shape or length does not match the model. */
  badInput: 'BL_INFERENCE_BAD_INPUT',
  /** The object was closed (or is draining) and takes no more work. */
  closed: 'BL_INFERENCE_CLOSED',
  /** A pool worker thread died. */
  workerFailed: 'BL_INFERENCE_WORKER_FAILED',
  /** An asynchronous score could not be written to its sink. */
  sinkFailed: 'BL_INFERENCE_SINK_FAILED',
  /** #25: a remote endpoint could not be reached (connection refused or reset, DNS). */
  remoteUnreachable: 'BL_INFERENCE_REMOTE_UNREACHABLE',
  /** #25: a remote call took longer than its per-request timeout. */
  remoteTimeout: 'BL_INFERENCE_REMOTE_TIMEOUT',
  /** #25: the remote server answered 5xx (its fault; retried). */
  remoteServerError: 'BL_INFERENCE_REMOTE_SERVER_ERROR',
  /** #25: the remote server refused the request with 4xx (our fault or config; not retried). */
  remoteRejected: 'BL_INFERENCE_REMOTE_REJECTED',
  /** #25: the remote answer is not a valid Open Inference Protocol response for the batch. */
  remoteBadResponse: 'BL_INFERENCE_REMOTE_BAD_RESPONSE',
  /** #25: the remote server or model did not report ready within the probe deadline. */
  remoteNotReady: 'BL_INFERENCE_REMOTE_NOT_READY',
  /** #25: a remote model's credential reference could not be resolved. */
  remoteAuth: 'BL_INFERENCE_REMOTE_AUTH',
});

export function overloadedError(queued: number, limit: number): BeamlineError {
  return new BeamlineError(INFERENCE_ERROR_CODES.overloaded, 'inference queue is full; retry later', {
    retriable: true,
    details: { queued, limit },
  });
}

export function closedError(what: string): BeamlineError {
  return new BeamlineError(INFERENCE_ERROR_CODES.closed, `${what} is closed`, { retriable: true, details: { what } });
}
