/**
 * Keys and tokens for a broker started with --auth: Pulsar's AuthenticationProviderToken takes
 * HS256 JWTs whose `sub` is the role; the secret key file holds the raw key bytes. Signing is
 * the same code `beamline token issue` uses.
 */
import { randomBytes } from 'node:crypto';
import { signHs256Token } from '../functions/control-plane.ts';

export function newSecretKey(): Buffer {
  return randomBytes(32);
}

export function signToken(secretKey: Buffer, subject: string, expiresAtSec?: number): string {
  return signHs256Token({ sub: subject, ...(expiresAtSec === undefined ? {} : { exp: expiresAtSec }) }, secretKey);
}
