import { createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.ts';

export interface TokenClaims {
  /** The role Pulsar authorizes as. */
  sub: string;
  /** Expiry, seconds since epoch; omitted = never expires (`beamline token issue` always sets one unless told `--expires never`). */
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
  // #21: HS256 with a short key is guessable offline from any one token.
  if (secretKey.length < MIN_SECRET_KEY_BYTES) {
    throw new ConfigError(
      'token.secretKey',
      `${secretKey.length} bytes`,
      `use a key of at least ${MIN_SECRET_KEY_BYTES} random bytes (the broker's tokenSecretKey; openssl rand 32 > secret.key)`,
    );
  }
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The least HS256 secret key length (the SHA-256 block's security level). */
export const MIN_SECRET_KEY_BYTES = 32;
/** The least RSA modulus for RS256 tokens. */
export const MIN_RSA_BITS = 2048;

/**
 * An RS256 JWT, as Pulsar verifies it with `tokenPublicKey` (the pair's public half): the broker
 * never holds the signing key. `privateKey` is a PKCS#8 or PKCS#1 key, PEM or DER.
 */
export function signRs256Token(claims: TokenClaims, privateKey: KeyObject): string {
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new ConfigError('token.sub', claims.sub, 'pass the role name, e.g. --role acme-payments-worker');
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new ConfigError(
      'token.privateKey',
      `${privateKey.asymmetricKeyType ?? privateKey.type} ${details?.modulusLength ?? '?'} bits`,
      `use an RSA private key of at least ${MIN_RSA_BITS} bits (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)`,
    );
  }
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Reads an RSA private key file: PEM, or DER PKCS#8 as `pulsar tokens create-key-pair` writes it. */
export function readPrivateKeyFile(path: string): KeyObject {
  const file = path.startsWith('file://') ? path.slice('file://'.length) : path;
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (cause) {
    throw new ConfigError(
      'privateKeyFile',
      path,
      'point to the private half of the key pair whose public key the broker has (tokenPublicKey)',
      { cause },
    );
  }
  try {
    return raw.toString('utf8').includes('-----BEGIN')
      ? createPrivateKey(raw)
      : createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new ConfigError('privateKeyFile', path, 'give an RSA private key in PEM or DER (PKCS#8)', { cause });
  }
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
    throw new ConfigError('secretKeyFile', path, "point to the broker's tokenSecretKey file (or set PULSAR_SECRET_KEY_FILE)", { cause });
  }
  const text = raw.toString('utf8').trim();
  const dataUri = /^data:[^,]*;base64,(.+)$/s.exec(text);
  if (dataUri?.[1] !== undefined) return Buffer.from(dataUri[1], 'base64');
  return raw;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
