import { PULSAR_ADMIN_ERROR_CODES, PulsarAdminError, adminErrorFromResponse } from './errors.ts';
import type { PulsarAdminConfig } from './options.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface RequestOptions {
  /** JSON-encoded when not undefined; a bare string becomes a JSON string literal. */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Return the body as text even when labelled JSON (health endpoints answer a bare `ok`). */
  text?: boolean;
}

/** Redirects followed before giving up (fetch's own limit). */
const MAX_REDIRECTS = 20;

/**
 * The one place that speaks HTTP to the admin API: auth header, timeout, error mapping, and
 * redirects (#21): Pulsar answers 307 for a namespace another cluster owns. Followed here, not by
 * fetch, so one rule holds whichever fetch runs: the token goes only to the origin it was given
 * for, and a redirect from https to plain http is refused.
 */
export class AdminHttp {
  readonly #config: PulsarAdminConfig;

  constructor(config: PulsarAdminConfig) {
    this.#config = config;
  }

  get baseUrl(): string {
    return this.#config.url;
  }

  async request<T = unknown>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const { url, token, timeoutMs, fetch, logger } = this.#config;
    let target = `${url}${path}`;
    if (options.query !== undefined) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query)) if (v !== undefined) q.set(k, String(v));
      const s = q.toString();
      if (s !== '') target += `?${s}`;
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const started = Date.now();
    let response: Response;
    const signal = AbortSignal.timeout(timeoutMs);
    const origin = new URL(target);
    let reqMethod: string = method;
    try {
      for (let hop = 0; ; hop++) {
        response = await fetch(target, { method: reqMethod, headers, body, signal, redirect: 'manual' });
        const location = response.headers.get('location');
        if (response.status < 300 || response.status >= 400 || location === null || hop >= MAX_REDIRECTS) break;
        const next = new URL(location, target);
        if (origin.protocol === 'https:' && next.protocol !== 'https:') {
          throw new PulsarAdminError(
            PULSAR_ADMIN_ERROR_CODES.insecureRedirect,
            `Pulsar admin ${method} ${path} was redirected from ${origin.origin} to ${next.origin}, which is not https; refusing to send the request in the clear (fix the broker's advertised web service url)`,
            { method, path, status: response.status },
          );
        }
        // The token was given for one origin: another host or port never sees it.
        if (next.origin !== origin.origin) delete headers['authorization'];
        // fetch's rules: 303 (and 301/302 after a POST) turn into a body-less GET.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && reqMethod === 'POST')) {
          reqMethod = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        await response.body?.cancel().catch(() => undefined);
        target = next.toString();
      }
    } catch (cause) {
      if (cause instanceof PulsarAdminError) throw cause;
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      const code = timedOut ? PULSAR_ADMIN_ERROR_CODES.timeout : PULSAR_ADMIN_ERROR_CODES.unreachable;
      const message = timedOut
        ? `Pulsar admin ${method} ${path} timed out after ${timeoutMs} ms`
        : `Pulsar admin ${method} ${path} could not reach ${url}: ${describeFailure(cause)}`;
      throw new PulsarAdminError(code, message, { method, path, status: 0 }, { retriable: true, cause });
    }
    const text = await response.text();
    logger.debug({ method, path, status: response.status, elapsedMs: Date.now() - started }, 'admin request');
    if (!response.ok) throw adminErrorFromResponse(method, path, response.status, extractReason(text));
    if (text === '') return undefined as T;
    const type = response.headers.get('content-type') ?? '';
    if (options.text === true || !type.includes('json')) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new PulsarAdminError(
        PULSAR_ADMIN_ERROR_CODES.badResponse,
        `Pulsar admin ${method} ${path} returned invalid JSON`,
        { method, path, status: response.status },
        { cause },
      );
    }
  }
}

/** fetch rejects with a bare "fetch failed"; the reason (refused port, untrusted certificate) is its cause. */
function describeFailure(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? cause.cause.message : undefined;
  return inner === undefined || inner === cause.message ? cause.message : `${cause.message} (${inner})`;
}

function extractReason(text: string): string | undefined {
  if (text === '') return undefined;
  let reason = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'reason' in parsed && typeof parsed.reason === 'string') reason = parsed.reason;
    else if (parsed !== null && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string')
      reason = parsed.message;
  } catch {
    // Jetty answers some errors (e.g. 409 on schema upload) with an HTML page: keep its title.
    const title = /<title>(?:Error \d+ )?([\s\S]*?)<\/title>/i.exec(text);
    if (title?.[1] !== undefined) reason = unescapeHtml(title[1]);
  }
  // Unexpected server errors carry a Java stack trace; the message before it is what helps.
  reason = reason.replace(/^\s*--- An unexpected error occurred in the server ---\s*Message:\s*/, '');
  const trace = reason.indexOf('\n\nStacktrace:');
  if (trace !== -1) reason = reason.slice(0, trace);
  reason = reason.trim();
  return reason.length > 1000 ? `${reason.slice(0, 997)}...` : reason;
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
