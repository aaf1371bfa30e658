import { ConfigError } from '../../errors.ts';
import { silentLogger, type Logger } from '../../telemetry.ts';
import { caFetch, type CaCertificates } from './ca-fetch.ts';
import type { FetchLike } from './fetch-like.ts';

export type { FetchLike } from './fetch-like.ts';

export interface PulsarAdminOptions {
  /** Admin service URL, e.g. `http://127.0.0.1:8080`. No default: required. */
  url: string;
  /** JWT sent as `Authorization: Bearer <token>`. @default undefined (no auth header) */
  token?: string;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /**
   * PEM CA certificate(s) to trust for an https:// url served with a private CA (e.g. the file
   * in PULSAR_TLS_TRUST_CERTS of `scripts/pulsar start --tls`). @default Node's default CAs
   */
  ca?: CaCertificates;
  /** Injected for tests. @default globalThis.fetch (or a CA-trusting one when `ca` is set) */
  fetch?: FetchLike;
  /** @default silentLogger */
  logger?: Logger;
}

export interface PulsarAdminConfig {
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly fetch: FetchLike;
  readonly logger: Logger;
}

export function compilePulsarAdminOptions(options: PulsarAdminOptions): PulsarAdminConfig {
  const url = options.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError('admin.url', url, 'use an http(s) URL like http://127.0.0.1:8080 (or set PULSAR_ADMIN_URL)', { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError('admin.url', url, 'use an http:// or https:// URL; pulsar:// is the binary protocol port');
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError('admin.timeoutMs', timeoutMs, 'use a positive number of milliseconds');
  }
  if (options.token !== undefined && options.token.trim() === '') {
    throw new ConfigError('admin.token', '', 'omit the token or pass a non-empty JWT');
  }
  if (options.ca !== undefined) {
    const list = Array.isArray(options.ca) ? (options.ca as (string | Buffer)[]) : [options.ca as string | Buffer];
    if (list.length === 0 || list.some((c) => c.length === 0)) {
      throw new ConfigError(
        'admin.ca',
        '',
        'pass the PEM text (or bytes) of the CA certificate, e.g. readFileSync(process.env.PULSAR_TLS_TRUST_CERTS)',
      );
    }
    if (options.fetch !== undefined) {
      throw new ConfigError('admin.ca', '<PEM>', 'pass either ca or a custom fetch: a custom fetch makes its own TLS connections');
    }
  }
  return Object.freeze({
    url: url.replace(/\/+$/, ''),
    token: options.token,
    timeoutMs,
    fetch:
      options.fetch ??
      (options.ca !== undefined ? caFetch(options.ca) : (input: string, init: RequestInit) => globalThis.fetch(input, init)),
    logger: (options.logger ?? silentLogger).child({ component: 'pulsar-admin' }),
  });
}
