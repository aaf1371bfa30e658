import { readFileSync } from 'node:fs';
import { ConfigError, PulsarAdmin } from '../../functions/index.ts';
import type { FlagSpec } from './args.ts';
import { usageError } from './io.ts';

/** `--token-file` beside `--token`: a token in a file never shows in argv or the environment. */
export const TOKEN_FILE_FLAG = {
  'token-file': { type: 'string', env: 'PULSAR_TOKEN_FILE', description: 'file holding the JWT (keeps it out of argv and the environment)' },
} as const satisfies Record<string, FlagSpec>;

/**
 * The JWT from `--token`/PULSAR_TOKEN or `--token-file`/PULSAR_TOKEN_FILE (trimmed), or undefined.
 * Both at once is refused: which one wins would be a guess.
 */
export function tokenFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): string | undefined {
  const token = flags['token'];
  const file = flags['token-file'];
  if (typeof file !== 'string') return typeof token === 'string' ? token : undefined;
  if (typeof token === 'string') throw usageError('give the token once: --token (PULSAR_TOKEN) or --token-file (PULSAR_TOKEN_FILE), not both');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError('--token-file', file, 'pass the path of a readable file holding the JWT', { cause });
  }
  if (text === '') throw new ConfigError('--token-file', file, 'the file is empty; write the JWT into it (e.g. beamline token issue -r ROLE > FILE)');
  return text;
}

/** An admin client from `--admin-url/--token` or `PULSAR_ADMIN_URL/PULSAR_TOKEN`. */
export function adminFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): PulsarAdmin {
  const url = flags['admin-url'];
  if (typeof url !== 'string') throw usageError('no cluster address: pass --admin-url http://host:8080 or set PULSAR_ADMIN_URL');
  const token = tokenFromFlags(flags);
  const timeout = flags['timeout-ms'];
  const timeoutMs = typeof timeout === 'string' ? Number(timeout) : undefined;
  return new PulsarAdmin({ url, ...(typeof token === 'string' ? { token } : {}), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}
