/**
 * Where a worker (or the CLI) finds the tenant's keyring (#21): a keys file, a mounted Kubernetes
 * Secret (a directory holding `keys.json`), or the legacy single key in $BEAMLINE_PII_KEY.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { compileKeyring, singleKeyring, type TenantKeyring } from '../governance/index.ts';

/** The file a mounted Secret holds: `kubectl create secret generic T-keys --from-file=keys.json`. */
export const KEYS_FILE_IN_SECRET = 'keys.json';

/** Reads a keys document from a file, or from `keys.json` in a directory (a mounted Secret). */
export function readKeyringFile(path: string, field = 'keysFile'): TenantKeyring {
  let file = path;
  let text: string;
  try {
    if (statSync(path).isDirectory()) file = join(path, KEYS_FILE_IN_SECRET);
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      field,
      path,
      `give a readable keys file (or a mounted Secret directory holding ${KEYS_FILE_IN_SECRET}); create one with: beamline keys create --file PATH`,
      { cause },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(field, file, 'the keys file is not JSON; it holds { "current": ID, "keys": { ID: BASE64 } }', { cause });
  }
  return compileKeyring(doc, file);
}

/**
 * The keyring from $BEAMLINE_KEYS_FILE, else the legacy $BEAMLINE_PII_KEY (one key), else
 * undefined. Both at once is refused: which one wins would be a guess.
 */
export function keyringFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TenantKeyring | undefined {
  const file = env['BEAMLINE_KEYS_FILE'];
  const single = env['BEAMLINE_PII_KEY'];
  if (file !== undefined && file !== '' && single !== undefined && single !== '') {
    throw new ConfigError(
      'BEAMLINE_PII_KEY',
      '(not shown)',
      'set either BEAMLINE_KEYS_FILE (versioned keys) or BEAMLINE_PII_KEY (one key), not both',
    );
  }
  if (file !== undefined && file !== '') return readKeyringFile(file, 'BEAMLINE_KEYS_FILE');
  if (single !== undefined && single !== '') return singleKeyring(single, 'BEAMLINE_PII_KEY');
  return undefined;
}
