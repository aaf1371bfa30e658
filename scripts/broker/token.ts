/**
 * HS256 JSON Web Tokens as Pulsar's AuthenticationProviderToken expects them: the role is the
 * `sub` claim; the secret key file holds the raw key bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';

export function newSecretKey(): Buffer {
  return randomBytes(32);
}

export function signToken(secretKey: Buffer, subject: string, expiresAtSec?: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims: Record<string, string | number> = { sub: subject };
  if (expiresAtSec !== undefined) claims['exp'] = expiresAtSec;
  const payload = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
