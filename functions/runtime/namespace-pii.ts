/**
 * #21/#23: the PII tokenizer a namespace's governance asks for: the fields `beamline tenant apply`
 * marked on the input topic (namespace property `beamline.topic.<topic>.pii`, `$key` for the
 * message key) under the tenant's token key. One place, so the worker's ingress and every replay
 * of the events (`features export`, `model evaluate`) tokenize the same way: features computed
 * offline equal the online ones, and nothing they write holds a raw PII value.
 */
import { ConfigError } from '../errors.ts';
import { createPiiTokenizer, PII_KEY_FIELD, SUBJECT_IS_KEY, type PiiTokenizer, type TenantKeyring } from '../governance/index.ts';

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

/** #21: namespace property naming the input topic's data subject (`$key`: the message key). */
export function subjectPropertyKey(topic: string): string {
  return `beamline.topic.${topic}.subject`;
}

/**
 * #21: the PII fields (besides the key) to tokenize under each subject's own key, when the
 * namespace names a data subject (crypto-shredding); undefined when it names none.
 */
export function namespaceSubjectFields(
  properties: Readonly<Record<string, string>>,
  inputTopic: string,
  keyring: TenantKeyring | undefined,
): readonly string[] | undefined {
  const subject = properties[subjectPropertyKey(inputTopic)];
  if (subject === undefined || subject === '') return undefined;
  if (subject !== SUBJECT_IS_KEY) {
    throw new ConfigError(
      subjectPropertyKey(inputTopic),
      subject,
      `only the message key can be the data subject yet: key the events by the subject and set dataSubject: ${SUBJECT_IS_KEY}`,
    );
  }
  if (keyring === undefined) {
    throw new ConfigError(
      'keyring',
      undefined,
      'the namespace names a data subject (crypto-shredding needs the tenant keys): set BEAMLINE_KEYS_FILE to a keys file (beamline keys create)',
    );
  }
  return (properties[piiPropertyKey(inputTopic)] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== PII_KEY_FIELD);
}
