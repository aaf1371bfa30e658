/**
 * The OTLP/HTTP transport: one POST of an OTLP/JSON body to the collector's `/v1/traces`. The
 * only network call of functions/tracing/ (scripts/dev/dependency-rules.ts allows this file).
 */
import { BeamlineError } from '../errors.ts';
import { TRACING_ERROR_CODES } from './errors.ts';

/** Sends one encoded export request; rejects when the collector did not take it. */
export type SpanTransport = (body: string) => Promise<void>;

export class TraceExportError extends BeamlineError {
  constructor(message: string, retriable: boolean, options: { cause?: unknown; status?: number } = {}) {
    super(TRACING_ERROR_CODES.exportFailed, message, { retriable, cause: options.cause, details: { status: options.status } });
  }
}

export function otlpHttpTransport(tracesUrl: string, timeoutMs: number): SpanTransport {
  return async (body) => {
    let res: Response;
    try {
      res = await fetch(tracesUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new TraceExportError(`OTLP export to ${tracesUrl} failed: collector unreachable or slower than ${timeoutMs} ms`, true, {
        cause,
      });
    }
    // Drain the body so the connection is reused.
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const retriable = res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      throw new TraceExportError(`OTLP export to ${tracesUrl} answered HTTP ${res.status}: ${text.slice(0, 200)}`, retriable, {
        status: res.status,
      });
    }
  };
}
