/**
 * PII tokenization at ingress. Fields a tenant marks as PII are replaced by keyed tokens before
 * anything else sees the record, so raw values never reach state, models, outputs or logs.
 *
 * Tokens are HMAC-SHA256(tenant key, field path + value), truncated: deterministic within a
 * tenant (the same card number gives the same token, so per-card features still work) and
 * useless without the key. Destroying a tenant's key makes every token unlinkable.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../errors.ts';

export interface PiiTokenizerOptions {
  /** Per-tenant secret, at least 32 bytes. */
  key: Buffer;
  /** Dot paths of the fields to tokenize (`card.number`, `holderName`). @default [] */
  fields?: readonly string[];
  /** Token prefix, so tokens are recognisable in data and logs. @default 'tok_' */
  prefix?: string;
  /**
   * The message key is personal data too (a card number, a rider id): tokenize it before it keys
   * state, outputs and audit records. @default false
   */
  keyIsPii?: boolean;
}

/** The pseudo field name of the message key in the PII list (`beamline tenant apply` writes it). */
export const PII_KEY_FIELD = '$key';

export interface PiiTokenizer {
  readonly fields: readonly string[];
  readonly keyIsPii: boolean;
  /** The message key as records past ingress carry it: its token when the key is PII. */
  tokenizeKey(key: string): string;
  /** A copy of `record` with every PII field present replaced by its token. */
  tokenize<T>(record: T): T;
  /** The token for one value of one field (for lookups, e.g. GDPR erasure by subject). */
  tokenFor(field: string, value: unknown): string;
}

export function createPiiTokenizer(options: PiiTokenizerOptions): PiiTokenizer {
  if (!Buffer.isBuffer(options.key) || options.key.length < 32) {
    throw new ConfigError('pii.key', `${options.key?.length ?? 0} bytes`, 'give a per-tenant secret of at least 32 random bytes');
  }
  const prefix = options.prefix ?? 'tok_';
  const fields = Object.freeze([...(options.fields ?? [])]);
  for (const f of fields) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(f)) {
      throw new ConfigError('pii.fields', f, 'use dot paths of field names, e.g. "card.number"');
    }
  }
  const paths = fields.map((f) => f.split('.'));
  const key = Buffer.from(options.key);

  const tokenFor = (field: string, value: unknown): string => {
    const canonical = typeof value === 'string' ? value : JSON.stringify(value);
    const mac = createHmac('sha256', key).update(field).update('\0').update(canonical).digest('base64url');
    return `${prefix}${mac.slice(0, 27)}`;
  };

  const keyIsPii = options.keyIsPii ?? false;
  return {
    fields,
    keyIsPii,
    tokenizeKey: (k: string) => (keyIsPii ? tokenFor(PII_KEY_FIELD, k) : k),
    tokenFor,
    tokenize<T>(record: T): T {
      if (paths.length === 0 || record === null || typeof record !== 'object') return record;
      const copy = structuredClone(record) as unknown as Record<string, unknown>;
      paths.forEach((path, i) => replaceAt(copy, path, (v) => tokenFor(fields[i] as string, v)));
      return copy as unknown as T;
    },
  };
}

function replaceAt(obj: Record<string, unknown>, path: readonly string[], token: (v: unknown) => string): void {
  let node: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[path[i] as string];
  }
  if (node === null || typeof node !== 'object') return;
  const leaf = path[path.length - 1] as string;
  const holder = node as Record<string, unknown>;
  const v = holder[leaf];
  // Absent and null stay as they are: there is nothing to hide, and the schema may allow null.
  if (v !== undefined && v !== null) holder[leaf] = token(v);
}
