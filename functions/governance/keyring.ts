/**
 * Tenant keys with versions. A keyring holds every key a tenant has used (so old data stays
 * readable), names the current one (new envelopes are wrapped with it) and the token key (PII
 * tokens and key tokens are keyed hashes: they must not change on rotation, or every state key
 * and per-card feature would change with them).
 *
 * The document form is what a keys file or a Kubernetes Secret holds:
 *   { "current": "2026-12", "tokens": "2026-01", "keys": { "2026-01": "<base64>", "2026-12": "<base64>" } }
 * No I/O here: runtime/ and the CLI read files and Secrets and hand the text over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BeamlineError, ConfigError } from '../errors.ts';
import { GOVERNANCE_ERROR_CODES } from './errors.ts';

/** The least key length, in bytes, for HMAC tokens and AES-256 wrapping keys. */
export const MIN_KEY_BYTES = 32;

const KEY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface KeyringDocument {
  /** The key new envelopes are wrapped with. */
  current: string;
  /** The key PII tokens are computed with. @default the first key of `keys` */
  tokens?: string;
  /** Key id -> base64 key material (at least 32 random bytes). */
  keys: Record<string, string>;
}

export interface TenantKeyring {
  readonly currentId: string;
  readonly tokenKeyId: string;
  readonly ids: readonly string[];
  has(id: string): boolean;
  /** The key material of `id`; throws BL_GOVERNANCE_KEY_UNKNOWN when the ring lacks it. */
  key(id: string): Buffer;
}

/** A key id the keyring does not hold: data written under a key that was removed (or shredded). */
export class UnknownKeyError extends BeamlineError {
  constructor(id: string, ids: readonly string[]) {
    super(
      GOVERNANCE_ERROR_CODES.keyUnknown,
      `key id "${id}" is not in the keyring (it holds ${ids.join(', ') || 'no keys'}); add the key the data was written with`,
      {
        retriable: false,
        details: { keyId: id },
      },
    );
  }
}

/**
 * Decodes and checks one key: strict base64, at least 32 bytes, and not a passphrase (the bytes of
 * a random key are almost never all printable text; a base64-encoded password always is).
 */
export function decodeKeyMaterial(field: string, base64: string): Buffer {
  const text = base64.trim();
  if (!BASE64_RE.test(text))
    throw new ConfigError(field, '(not shown)', 'give the key as standard base64 (e.g. the output of: openssl rand -base64 32)');
  const key = Buffer.from(text, 'base64');
  if (key.length < MIN_KEY_BYTES)
    throw new ConfigError(field, `${key.length} bytes`, `give at least ${MIN_KEY_BYTES} random bytes (openssl rand -base64 32)`);
  if (key.every((b) => b >= 0x20 && b < 0x7f)) {
    throw new ConfigError(
      field,
      '(not shown)',
      'the key decodes to printable text, which looks like a passphrase; give random bytes (openssl rand -base64 32)',
    );
  }
  return key;
}

/** Validates a keys document (parsed JSON) into a keyring. `source` names it in errors. */
export function compileKeyring(doc: unknown, source: string): TenantKeyring {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(source, typeof doc, 'give an object { "current": ID, "keys": { ID: BASE64 } }');
  }
  const d = doc as Record<string, unknown>;
  const keys = d['keys'];
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys) || Object.keys(keys).length === 0) {
    throw new ConfigError(`${source}.keys`, keys, 'give at least one key: { "keys": { "k1": BASE64 } }');
  }
  const material = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(keys as Record<string, unknown>)) {
    if (!KEY_ID_RE.test(id)) throw new ConfigError(`${source}.keys`, id, 'key ids are 1-64 letters, digits, ".", "_" or "-"');
    if (typeof value !== 'string') throw new ConfigError(`${source}.keys.${id}`, typeof value, 'give the key as a base64 string');
    material.set(id, decodeKeyMaterial(`${source}.keys.${id}`, value));
  }
  const ids = [...material.keys()];
  const current = d['current'];
  if (typeof current !== 'string' || !material.has(current)) {
    throw new ConfigError(`${source}.current`, current, `name one of the keys (${ids.join(', ')})`);
  }
  const tokens = d['tokens'] ?? ids[0];
  if (typeof tokens !== 'string' || !material.has(tokens)) {
    throw new ConfigError(`${source}.tokens`, tokens, `name one of the keys (${ids.join(', ')}); it must stay the same across rotations`);
  }
  return keyringOf(material, current, tokens);
}

/**
 * A keyring of one key given as base64 (the legacy $BEAMLINE_PII_KEY). Its id is derived from the
 * key, so envelopes written under it name it the same way after a move to a keys file.
 */
export function singleKeyring(base64: string, field: string): TenantKeyring {
  const key = decodeKeyMaterial(field, base64);
  const id = legacyKeyId(key);
  return keyringOf(new Map([[id, key]]), id, id);
}

/** The id a single legacy key gets: `k-` and 12 hex digits of its SHA-256 (not secret). */
export function legacyKeyId(key: Buffer): string {
  return `k-${createHash('sha256').update('beamline key id\0').update(key).digest('hex').slice(0, 12)}`;
}

/** A fresh keys document with one random key. */
export function newKeyringDocument(id: string, random: (n: number) => Buffer = randomBytes): KeyringDocument {
  if (!KEY_ID_RE.test(id)) throw new ConfigError('--key-id', id, 'key ids are 1-64 letters, digits, ".", "_" or "-"');
  return { current: id, tokens: id, keys: { [id]: random(MIN_KEY_BYTES).toString('base64') } };
}

/**
 * The document after a rotation: a new random key becomes current, every old key stays (old
 * envelopes stay readable), and the token key stays pinned (tokens, and state keyed by them, do
 * not change).
 */
export function rotateKeyringDocument(doc: KeyringDocument, newId: string, random: (n: number) => Buffer = randomBytes): KeyringDocument {
  const ring = compileKeyring(doc, 'keys');
  if (!KEY_ID_RE.test(newId)) throw new ConfigError('--key-id', newId, 'key ids are 1-64 letters, digits, ".", "_" or "-"');
  if (ring.has(newId))
    throw new ConfigError('--key-id', newId, `the keyring already holds this id (${ring.ids.join(', ')}); pick a new one`);
  return { current: newId, tokens: ring.tokenKeyId, keys: { ...doc.keys, [newId]: random(MIN_KEY_BYTES).toString('base64') } };
}

function keyringOf(material: Map<string, Buffer>, current: string, tokens: string): TenantKeyring {
  const ids = Object.freeze([...material.keys()]);
  return Object.freeze({
    currentId: current,
    tokenKeyId: tokens,
    ids,
    has: (id: string) => material.has(id),
    key(id: string): Buffer {
      const k = material.get(id);
      if (k === undefined) throw new UnknownKeyError(id, ids);
      return Buffer.from(k);
    },
  });
}
