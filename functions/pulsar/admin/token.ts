import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.ts';

export interface TokenClaims {
  /** The role Pulsar authorizes as. */
  sub: string;
  /** Expiry, seconds since epoch; omitted = never expires (Pulsar's own default). */
  exp?: number;
  [claim: string]: unknown;
}

/**
 * An HS256 JWT as Pulsar's AuthenticationProviderToken verifies it with `tokenSecretKey`.
 * Hand-rolled on node:crypto: three base64url parts, HMAC-SHA256 over the first two.
 */
export function signHs256Token(claims: TokenClaims, secretKey: Uint8Array): string {
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new ConfigError('token.sub', claims.sub, 'pass the role name, e.g. --role acme-payments-worker');
  }
  if (secretKey.length === 0) throw new ConfigError('token.secretKey', '(empty)', 'use the key file the broker was configured with (tokenSecretKey)');
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Decode (not verify) a JWT's claims; for display and tests. */
export function decodeTokenClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new ConfigError('token', '(not a JWT)', 'pass a token with three dot-separated parts');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Read a Pulsar secret key file: raw bytes as `pulsar tokens create-secret-key` writes them, or
 * a `data:;base64,` URI / `--base64` text form.
 */
export function readSecretKeyFile(path: string): Buffer {
  const file = path.startsWith('file://') ? path.slice('file://'.length) : path;
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (cause) {
    throw new ConfigError('secretKeyFile', path, 'point to the broker\'s tokenSecretKey file (or set PULSAR_AUTH_SECRET_KEY_FILE)', { cause });
  }
  const text = raw.toString('utf8').trim();
  const dataUri = /^data:[^,]*;base64,(.+)$/s.exec(text);
  if (dataUri?.[1] !== undefined) return Buffer.from(dataUri[1], 'base64');
  return raw;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
