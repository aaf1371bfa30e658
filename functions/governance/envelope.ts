/**
 * Envelope encryption: each sealed value gets its own random 256-bit data key; the value is
 * encrypted with it (AES-256-GCM), and the data key is wrapped (AES-256-GCM again) with the
 * tenant's current key, whose id travels with the envelope. Rotating the tenant key changes only
 * which key wraps new data keys; destroying a wrapping key makes everything under it unreadable.
 *
 * `aad` binds an envelope to the clear fields beside it (topic, message id): moved next to
 * another record it no longer opens.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BeamlineError } from '../errors.ts';
import { GOVERNANCE_ERROR_CODES } from './errors.ts';
import type { TenantKeyring } from './keyring.ts';

export interface Envelope {
  /** Format version. */
  readonly v: 1;
  /** The id of the tenant key that wrapped the data key. */
  readonly kid: string;
  /** base64(iv 12 | tag 16 | wrapped data key 32). */
  readonly wk: string;
  /** base64(iv 12 | tag 16 | ciphertext). */
  readonly ct: string;
}

export class DecryptError extends BeamlineError {
  constructor(what: string, cause?: unknown) {
    super(GOVERNANCE_ERROR_CODES.decrypt, `${what} could not be decrypted: the key is wrong or gone, or the record was altered`, {
      retriable: false,
      cause,
    });
  }
}

const IV = 12;
const TAG = 16;

function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer, random: (n: number) => Buffer): Buffer {
  const iv = random(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV + TAG) throw new Error('sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([d.update(sealed.subarray(IV + TAG)), d.final()]);
}

/** Seals `plaintext` under a fresh data key wrapped with the keyring's current key. */
export function sealEnvelope(
  keyring: TenantKeyring,
  plaintext: Buffer,
  aad: string,
  random: (n: number) => Buffer = randomBytes,
): Envelope {
  const kid = keyring.currentId;
  const dataKey = random(32);
  const wk = gcmSeal(keyring.key(kid), dataKey, Buffer.from(`beamline-wrap\0${kid}`), random);
  const ct = gcmSeal(dataKey, plaintext, Buffer.from(aad), random);
  return Object.freeze({ v: 1, kid, wk: wk.toString('base64'), ct: ct.toString('base64') });
}

/** Opens an envelope with whichever keyring key wrapped it; throws DecryptError or UnknownKeyError. */
export function openEnvelope(keyring: TenantKeyring, envelope: Envelope, aad: string): Buffer {
  if (envelope === null || typeof envelope !== 'object' || envelope.v !== 1) throw new DecryptError('an envelope of an unknown format');
  const wrapping = keyring.key(envelope.kid);
  let dataKey: Buffer;
  try {
    dataKey = gcmOpen(wrapping, Buffer.from(envelope.wk, 'base64'), Buffer.from(`beamline-wrap\0${envelope.kid}`));
  } catch (cause) {
    throw new DecryptError('the data key', cause);
  }
  try {
    return gcmOpen(dataKey, Buffer.from(envelope.ct, 'base64'), Buffer.from(aad));
  } catch (cause) {
    throw new DecryptError('the sealed value', cause);
  }
}

/** True for a value shaped like an envelope (for readers that meet old and new records). */
export function isEnvelope(value: unknown): value is Envelope {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return e['v'] === 1 && typeof e['kid'] === 'string' && typeof e['wk'] === 'string' && typeof e['ct'] === 'string';
}
