import { readFileSync } from 'node:fs';
import { ConfigError } from '../functions/index.ts';
import { decodeTokenClaims, keyringFromEnv, PulsarAdmin, readKeyringFile, type TenantKeyring } from '../functions/control-plane.ts';
import type { FlagSpec } from './args.ts';
import { usageError } from './io.ts';

/** `--token-file` beside `--token`: a token in a file never shows in argv or the environment. */
export const TOKEN_FILE_FLAG = {
  'token-file': {
    type: 'string',
    env: 'PULSAR_TOKEN_FILE',
    description: 'file holding the JWT (keeps it out of argv and the environment)',
  },
} as const satisfies Record<string, FlagSpec>;

/**
 * The JWT from `--token`/PULSAR_TOKEN or `--token-file`/PULSAR_TOKEN_FILE (trimmed), or undefined.
 * Both at once is refused: which one wins would be a guess.
 */
export function tokenFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): string | undefined {
  const token = flags['token'];
  const file = flags['token-file'];
  if (typeof file !== 'string') return typeof token === 'string' ? token : undefined;
  if (typeof token === 'string')
    throw usageError('give the token once: --token (PULSAR_TOKEN) or --token-file (PULSAR_TOKEN_FILE), not both');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError('--token-file', file, 'pass the path of a readable file holding the JWT', { cause });
  }
  if (text === '')
    throw new ConfigError('--token-file', file, 'the file is empty; write the JWT into it (e.g. beamline token issue -r ROLE > FILE)');
  return text;
}

/** #21: the tenant's keys, for every command that seals, opens or checks with them. */
export const KEYS_FILE_FLAG = {
  'keys-file': {
    type: 'string',
    env: 'BEAMLINE_KEYS_FILE',
    description: "the tenant's keys file or mounted Secret directory (else $BEAMLINE_PII_KEY)",
  },
} as const satisfies Record<string, FlagSpec>;

/**
 * The keyring named by `--keys-file`/BEAMLINE_KEYS_FILE, else the legacy $BEAMLINE_PII_KEY, else
 * undefined (the command decides whether that is an error).
 */
export function keyringFromFlags(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): TenantKeyring | undefined {
  const file = flags['keys-file'];
  return typeof file === 'string' ? readKeyringFile(file, '--keys-file') : keyringFromEnv(env);
}

/** #21: `--ca-file` for commands that open a Pulsar client (admin commands have it in ADMIN_FLAGS). */
export const CA_FLAG = {
  'ca-file': {
    type: 'string',
    env: 'PULSAR_TLS_TRUST_CERTS',
    description: 'PEM CA bundle to trust for https:// and pulsar+ssl:// (a private CA)',
  },
} as const satisfies Record<string, FlagSpec>;

/**
 * The flags of every command that opens a Pulsar client: the service URL, the token (`--token`
 * or, better, `--token-file`) and a private CA. Read them with `clientAuthFromFlags`.
 */
export const CLIENT_FLAGS = {
  'service-url': { type: 'string', env: 'PULSAR_SERVICE_URL', description: 'pulsar://host:6650 (pulsar+ssl:// with TLS)' },
  token: { type: 'string', env: 'PULSAR_TOKEN', description: 'JWT (never printed; prefer --token-file)' },
  ...TOKEN_FILE_FLAG,
  ...CA_FLAG,
} as const satisfies Record<string, FlagSpec>;

/** The CA bundle named by `--ca-file`/PULSAR_TLS_TRUST_CERTS, or undefined. */
export function caFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): Buffer | undefined {
  const file = flags['ca-file'];
  if (typeof file !== 'string') return undefined;
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (cause) {
    throw new ConfigError('--ca-file', file, 'pass the path of a readable PEM CA bundle (e.g. the broker CA: tls/ca.cert.pem)', { cause });
  }
  if (!pem.toString('utf8').includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError('--ca-file', file, 'the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return pem;
}

/** Client options for `createClient` from the token and CA flags. */
export function clientAuthFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): {
  token?: string;
  tls?: { ca: Buffer };
} {
  const token = tokenFromFlags(flags);
  const ca = caFromFlags(flags);
  return { ...(token === undefined ? {} : { token }), ...(ca === undefined ? {} : { tls: { ca } }) };
}

/**
 * #21: who an audit record names. With a token, the authenticated subject (the broker refuses a
 * token it cannot verify, so its `sub` is who is connected); a flag naming someone else is
 * refused. Without a token (a dev cluster without auth) the flag, else undefined (the OS user).
 */
export function actorFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>, flag: string): string | undefined {
  const token = tokenFromFlags(flags);
  const named = flags[flag];
  if (token === undefined) return typeof named === 'string' ? named : undefined;
  let sub: unknown;
  try {
    sub = decodeTokenClaims(token)['sub'];
  } catch (cause) {
    throw new ConfigError('--token', '(not shown)', 'pass a JWT (three dot-separated parts) issued by beamline token issue', { cause });
  }
  if (typeof sub !== 'string' || sub === '')
    throw new ConfigError('--token', '(not shown)', 'the token has no sub claim; issue one with beamline token issue -r ROLE');
  if (typeof named === 'string' && named !== sub) {
    throw usageError(
      `--${flag}: invalid value "${named}"; the audit trail names the authenticated token's subject ("${sub}"): drop --${flag} or use that role's token`,
    );
  }
  return sub;
}

/** An admin client from `--admin-url/--token` or `PULSAR_ADMIN_URL/PULSAR_TOKEN`. */
export function adminFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): PulsarAdmin {
  const url = flags['admin-url'];
  if (typeof url !== 'string') throw usageError('no cluster address: pass --admin-url http://host:8080 or set PULSAR_ADMIN_URL');
  const token = tokenFromFlags(flags);
  const timeout = flags['timeout-ms'];
  const timeoutMs = typeof timeout === 'string' ? Number(timeout) : undefined;
  const ca = caFromFlags(flags);
  return new PulsarAdmin({
    url,
    ...(typeof token === 'string' ? { token } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(ca === undefined ? {} : { ca }),
  });
}
