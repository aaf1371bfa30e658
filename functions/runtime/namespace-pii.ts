/**
 * #21/#23: the PII tokenizer a namespace's governance asks for: the fields `beamline tenant apply`
 * marked on the input topic (namespace property `beamline.topic.<topic>.pii`, `$key` for the
 * message key) under the tenant's token key. One place, so the worker's ingress and every replay
 * of the events (`features export`, `model evaluate`) tokenize the same way: features computed
 * offline equal the online ones, and nothing they write holds a raw PII value.
 */
import { ConfigError } from '../errors.ts';
import { createPiiTokenizer, PII_KEY_FIELD, type PiiTokenizer, type TenantKeyring } from '../governance/index.ts';

/** Namespace property listing the input topic's PII fields (written by `beamline tenant apply`). */
export function piiPropertyKey(topic: string): string {
  return `beamline.topic.${topic}.pii`;
}

/** undefined when the namespace marks nothing; a ConfigError when it does and no key is given. */
export function namespacePiiTokenizer(
  properties: Readonly<Record<string, string>>,
  inputTopic: string,
  keyring: TenantKeyring | undefined,
): PiiTokenizer | undefined {
  const listed = (properties[piiPropertyKey(inputTopic)] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (listed.length === 0) return undefined;
  const fields = listed.filter((f) => f !== PII_KEY_FIELD);
  if (keyring === undefined) {
    throw new ConfigError(
      'keyring',
      undefined,
      `the namespace marks PII (${listed.join(', ')}); set BEAMLINE_KEYS_FILE to a keys file (beamline keys create) or BEAMLINE_PII_KEY to a base64 secret of at least 32 bytes`,
    );
  }
  return createPiiTokenizer({ key: keyring.key(keyring.tokenKeyId), fields, keyIsPii: fields.length < listed.length });
}
