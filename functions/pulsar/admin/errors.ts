import { BeamlineError } from '../../errors.ts';
import { PULSAR_ADMIN_ERROR_CODES } from '../errors.ts';

export { PULSAR_ADMIN_ERROR_CODES };

export interface PulsarAdminErrorDetails {
  method: string;
  path: string;
  /** HTTP status; 0 when no response arrived (timeout, connection refused). */
  status: number;
  /** Pulsar's `reason` field from the error body, or the raw body text. */
  reason?: string;
}

export class PulsarAdminError extends BeamlineError {
  readonly status: number;
  readonly reason: string | undefined;
  readonly method: string;
  readonly path: string;

  constructor(code: string, message: string, details: PulsarAdminErrorDetails, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, { retriable: options.retriable ?? false, cause: options.cause, details: { ...details } });
    this.status = details.status;
    this.reason = details.reason;
    this.method = details.method;
    this.path = details.path;
  }
}

/** Map an HTTP failure to its error. 5xx and 429 are retriable: the broker may recover. */
export function adminErrorFromResponse(method: string, path: string, status: number, reason: string | undefined): PulsarAdminError {
  const c = PULSAR_ADMIN_ERROR_CODES;
  const code =
    status === 404
      ? c.notFound
      : status === 409
        ? c.conflict
        : status === 401
          ? c.unauthorized
          : status === 403
            ? c.forbidden
            : status === 412
              ? c.preconditionFailed
              : status === 400
                ? c.badRequest
                : status >= 500
                  ? c.server
                  : c.http;
  const retriable = status >= 500 || status === 429;
  const suffix = reason === undefined || reason === '' ? '' : `: ${reason}`;
  return new PulsarAdminError(
    code,
    `Pulsar admin ${method} ${path} failed with HTTP ${status}${suffix}`,
    { method, path, status, ...(reason === undefined ? {} : { reason }) },
    { retriable },
  );
}

/** True when `err` is an admin error with the given HTTP status. */
export function isAdminStatus(err: unknown, status: number): boolean {
  return err instanceof PulsarAdminError && err.status === status;
}
