/**
 * Crypto-shredding (#21): every data subject (a card, a rider: the message key when the spec names
 * `dataSubject: $key`) gets a random key of its own. Its PII tokens, its pseudonymous message key
 * and the content of its dead letters are computed or sealed under that key, never under the
 * tenant key alone. Destroying the subject's key (`beamline gdpr erase`) leaves nothing that any
 * key the system still holds can link back to the subject: a keyed hash under a key that no longer
 * exists cannot be brute-forced, even for a low-entropy value such as a card number.
 *
 * The subject keys live in the namespace's compacted `subject-keys` topic, each under the
 * subject's index (a keyed hash under the tenant token key, the only place that hash appears) and
 * wrapped by the tenant's current key, so tenant key rotation keeps them readable.
 * No I/O here: runtime/ reads and writes the topic.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BeamlineError } from '../errors.ts';
import { openEnvelope, sealEnvelope, isEnvelope, type Envelope } from './envelope.ts';
import { GOVERNANCE_ERROR_CODES } from './errors.ts';
import { MIN_KEY_BYTES, UnknownKeyError, type TenantKeyring } from './keyring.ts';
import { createPiiTokenizer, type PiiTokenizer } from './pii-tokenizer.ts';

/** The data subject the spec may name: the message key (the only one supported yet). */
export const SUBJECT_IS_KEY = '$key';

/** The id under which a subject's own key seals that subject's dead letters. */
export const SUBJECT_KEY_ID = 'subject';

/** What the `subject-keys` topic holds under a subject's index. */
export interface SubjectKeyRecord {
  readonly v: 1;
  /** The subject's key, sealed under the tenant's current key, bound to the index. */
  readonly key: Envelope;
  /** The subject's pseudonymous message key (so readers can find a subject's records by it). */
  readonly pseudonym: string;
  readonly createdAtMs: number;
}

/** The subject-keys index of a subject: a keyed hash under a key derived from the token key. */
export function subjectIndexer(keyring: TenantKeyring): (subjectId: string) => string {
  const indexKey = createHmac('sha256', keyring.key(keyring.tokenKeyId)).update('beamline subject index\0').digest();
  return (subjectId) => `sub_${createHmac('sha256', indexKey).update(subjectId).digest('base64url')}`;
}

/** The tokenizer of one subject: the namespace's PII fields and the message key, under its key. */
export function subjectTokenizer(subjectKey: Buffer, fields: readonly string[]): PiiTokenizer {
  return createPiiTokenizer({ key: subjectKey, fields, keyIsPii: true });
}

/** A keyring holding only the subject's key: dead letters of the subject are sealed with it. */
export function subjectKeyring(subjectKey: Buffer): TenantKeyring {
  const ids = Object.freeze([SUBJECT_KEY_ID]);
  return Object.freeze({
    currentId: SUBJECT_KEY_ID,
    tokenKeyId: SUBJECT_KEY_ID,
    ids,
    has: (id: string) => id === SUBJECT_KEY_ID,
    key(id: string): Buffer {
      if (id !== SUBJECT_KEY_ID) throw new UnknownKeyError(id, ids);
      return subjectKey;
    },
  });
}

function aadOf(index: string): string {
  return `beamline-subject-key\0${index}`;
}

/** A new random key for a subject and the record that keeps it. */
export function newSubjectKey(
  keyring: TenantKeyring,
  index: string,
  subjectId: string,
  fields: readonly string[],
  nowMs: number,
  random: (n: number) => Buffer = randomBytes,
): { key: Buffer; record: SubjectKeyRecord } {
  const key = random(MIN_KEY_BYTES);
  const record: SubjectKeyRecord = Object.freeze({
    v: 1,
    key: sealEnvelope(keyring, key, aadOf(index), random),
    pseudonym: subjectTokenizer(key, fields).tokenizeKey(subjectId),
    createdAtMs: nowMs,
  });
  return { key, record };
}

export function encodeSubjectKeyRecord(record: SubjectKeyRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}

/** Parses a `subject-keys` value; throws BL_GOVERNANCE_DECRYPT for anything not written by us. */
export function parseSubjectKeyRecord(index: string, payload: Buffer): SubjectKeyRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (cause) {
    throw new BeamlineError(GOVERNANCE_ERROR_CODES.decrypt, `subject key ${index} is not a subject key record`, {
      retriable: false,
      cause,
    });
  }
  const r = parsed as Partial<SubjectKeyRecord> | null;
  if (r === null || typeof r !== 'object' || r.v !== 1 || !isEnvelope(r.key) || typeof r.pseudonym !== 'string') {
    throw new BeamlineError(GOVERNANCE_ERROR_CODES.decrypt, `subject key ${index} is not a subject key record`, { retriable: false });
  }
  return r as SubjectKeyRecord;
}

/** The subject's key from its record (any key of the ring may have wrapped it). */
export function openSubjectKey(keyring: TenantKeyring, index: string, record: SubjectKeyRecord): Buffer {
  return openEnvelope(keyring, record.key, aadOf(index));
}
