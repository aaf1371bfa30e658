/**
 * `beamline keys`: a tenant's versioned keys file (#21). `create` writes a new keyring with one
 * random key, `rotate` adds a key and makes it current (old keys stay: old envelopes stay
 * readable; the token key stays: tokens and state keyed by them do not change), `check`
 * validates a file or mounted Secret. Key material is never printed.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../functions/index.ts';
import {
  KEYS_FILE_IN_SECRET,
  newKeyringDocument,
  readKeyringFile,
  rotateKeyringDocument,
  type KeyringDocument,
} from '../../functions/control-plane.ts';
import type { FlagSpec } from '../args.ts';
import { COMMON_FLAGS, EXIT, usageError } from '../io.ts';
import { defineNoun, type VerbContext, type VerbSpec } from '../noun.ts';

const FLAGS = {
  file: { type: 'string', short: 'f', env: 'BEAMLINE_KEYS_FILE', description: 'the keys file (required)' },
  'key-id': { type: 'string', description: 'create/rotate: the new key id (default: the UTC date and time, e.g. 2026-12-06T0312)' },
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

const keysVerb = (summary: string, usage: string): VerbSpec => ({ summary, usage, run: keys });

export const keysNoun = defineNoun({
  name: 'keys',
  summary: "create, rotate and check a tenant's versioned keys file",
  flags: FLAGS,
  about: [
    'The keys seal dead-letter envelopes and key PII tokens.',
    `Store it as a Kubernetes Secret: kubectl create secret generic T-keys --from-file=${KEYS_FILE_IN_SECRET}=keys.json`,
    `and point workers at it with BEAMLINE_KEYS_FILE (the file, or the directory the Secret is mounted at).`,
    'After rotate, update the Secret and restart workers: new data is sealed under the new key; old data stays readable.',
  ],
  examples: [
    'beamline keys create --file keys.json',
    'beamline keys rotate --file keys.json',
    'beamline keys check --file /etc/beamline/keys',
  ],
  verbs: {
    create: keysVerb('write a new keys file with one random key', 'beamline keys create --file keys.json [--key-id ID]'),
    rotate: keysVerb(
      'add a key and make it current (old keys stay, so old envelopes stay readable)',
      'beamline keys rotate --file keys.json [--key-id ID]',
    ),
    check: keysVerb('validate a keys file or a mounted Secret directory', 'beamline keys check  --file keys.json|SECRET_DIR'),
  },
});

async function keys({ verb, args, io, mode }: VerbContext): Promise<number> {
  const file = args.flags['file'];
  if (typeof file !== 'string') throw usageError('missing --file FILE (or BEAMLINE_KEYS_FILE)');
  const keyId = typeof args.flags['key-id'] === 'string' ? args.flags['key-id'] : defaultKeyId();
  if (verb === 'create') {
    if (existsSync(file))
      throw new ConfigError(
        '--file',
        file,
        'the file exists; rotate it (beamline keys rotate) instead of replacing keys that data was written with',
      );
    writeKeys(file, newKeyringDocument(keyId));
  } else if (verb === 'rotate') {
    if (statSync(file).isDirectory())
      throw new ConfigError('--file', file, 'rotate the keys file itself, then update the Secret from it (a mounted Secret is read-only)');
    readKeyringFile(file, '--file'); // validates before anything is written
    writeKeys(file, rotateKeyringDocument(JSON.parse(readFileSync(file, 'utf8')) as KeyringDocument, keyId));
  }
  const ring = readKeyringFile(file, '--file');
  const summary = { ok: true, file, current: ring.currentId, tokens: ring.tokenKeyId, keys: ring.ids };
  io.stdout(
    mode === 'json'
      ? JSON.stringify(summary, null, 2)
      : `${file}: ${ring.ids.length} key(s) ${ring.ids.join(', ')}; current ${ring.currentId}; tokens ${ring.tokenKeyId}`,
  );
  return EXIT.ok;
}

function defaultKeyId(): string {
  return new Date().toISOString().slice(0, 16).replace(':', '');
}

/** Written to a temporary file first, then renamed: a crash never leaves half a keys file. */
function writeKeys(file: string, doc: KeyringDocument): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
