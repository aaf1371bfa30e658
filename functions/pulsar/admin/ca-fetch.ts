/**
 * A FetchLike that trusts given CA certificates, for admin urls served with a private CA (a
 * broker started with `scripts/pulsar start --tls`). Node's global fetch takes no per-request
 * CA (only an undici dispatcher, which Node does not export), so this goes through node:https.
 * It follows redirects like fetch does (Pulsar's admin API answers 307 for namespaces owned by
 * another cluster), dropping the authorization header when the origin changes and never from
 * https to http; with `redirect: 'manual'` (as AdminHttp asks, #21) it returns the redirect.
 */
import http from 'node:http';
import https from 'node:https';
import type { FetchLike } from './fetch-like.ts';

export type CaCertificates = string | Buffer | readonly (string | Buffer)[];

const MAX_REDIRECTS = 20;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

interface RawResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Buffer;
}

export function caFetch(ca: CaCertificates): FetchLike {
  const agent = new https.Agent({ ca: Array.isArray(ca) ? [...(ca as (string | Buffer)[])] : (ca as string | Buffer) });
  return async (input, init) => {
    let url = new URL(input);
    let method = init.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let body = bodyBytes(init.body);
    for (let hop = 0; ; hop++) {
      const res = await send(url, method, headers, body, init.signal ?? undefined, agent);
      const location = res.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
      if (res.status >= 300 && res.status < 400 && location !== undefined && hop < MAX_REDIRECTS && init.redirect !== 'manual') {
        const next = new URL(location, url);
        if (url.protocol === 'https:' && next.protocol !== 'https:')
          throw new TypeError(`refusing a redirect from ${url.origin} to ${next.origin} (not https)`);
        if (next.origin !== url.origin) {
          delete headers['authorization'];
          delete headers['Authorization'];
        }
        url = next;
        // fetch's rules: 303 (and 301/302 after a POST) turn into a body-less GET.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        continue;
      }
      return new Response(NULL_BODY_STATUSES.has(res.status) ? null : new Uint8Array(res.body), {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    }
  };
}

function bodyBytes(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new TypeError('caFetch sends string or byte bodies only');
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal | undefined,
  agent: https.Agent,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const options = { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) } };
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string]);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: pairs, body: Buffer.concat(chunks) });
      });
    };
    const req = url.protocol === 'https:' ? https.request(url, { ...options, agent }, onResponse) : http.request(url, options, onResponse);
    // Like fetch: an abort rejects with the signal's reason (a TimeoutError for AbortSignal.timeout).
    const onAbort = (): void => {
      req.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end(body);
  });
}
