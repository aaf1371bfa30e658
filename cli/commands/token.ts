import { readPrivateKeyFile, readSecretKeyFile, signHs256Token, signRs256Token } from '../../functions/control-plane.ts';
import { parseDurationMs } from '../../tenants/definition/index.ts';
import type { FlagSpec } from '../args.ts';
import { COMMON_FLAGS, EXIT, usageError } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

/** The lifetime of a token when `--expires` is not given (#21: no token lives forever by default). */
export const DEFAULT_TOKEN_LIFETIME = '30d';
/** The old name of PULSAR_SECRET_KEY_FILE, still read with a warning (#21). */
const DEPRECATED_SECRET_KEY_ENV = 'PULSAR_AUTH_SECRET_KEY_FILE';

const FLAGS = {
  role: { type: 'string', short: 'r', description: 'role to put in the sub claim (required)' },
  'secret-key-file': {
    type: 'string',
    env: 'PULSAR_SECRET_KEY_FILE',
    description: "HS256: the broker's tokenSecretKey file (at least 32 bytes)",
  },
  'private-key-file': {
    type: 'string',
    env: 'PULSAR_PRIVATE_KEY_FILE',
    description: 'RS256: the private key whose public half the broker has (tokenPublicKey)',
  },
  expires: { type: 'string', description: `lifetime like 8h or 30d, or "never" (default ${DEFAULT_TOKEN_LIFETIME})` },
  'expires-in': { type: 'string', description: 'deprecated spelling of --expires' },
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

export const tokenNoun = defineNoun({
  name: 'token',
  summary: 'issue JWTs for roles (HS256 or RS256), expiring by default',
  flags: FLAGS,
  about: [`Tokens expire after ${DEFAULT_TOKEN_LIFETIME} unless --expires says otherwise; --expires never must be asked for.`],
  verbs: {
    issue: {
      summary: 'sign a JWT for a role (HS256 with the cluster secret key, or RS256 with a private key)',
      usage: 'beamline token issue --role ROLE (--secret-key-file FILE | --private-key-file FILE) [--expires 30d]',
      examples: [
        'beamline token issue --role acme-payments-worker --secret-key-file /etc/pulsar/secret.key',
        'PULSAR_SECRET_KEY_FILE=./secret.key beamline token issue -r acme-payments-analyst --expires 8h -o json',
        'beamline token issue -r acme-payments-worker --private-key-file private.key --expires 90d',
      ],
      run: issue,
    },
  },
});

async function issue({ args, io, mode }: VerbContext): Promise<number> {
  const role = args.flags['role'];
  if (typeof role !== 'string') throw usageError('missing --role ROLE');
  let keyFile = args.flags['secret-key-file'];
  const privateKeyFile = args.flags['private-key-file'];
  const old = io.env[DEPRECATED_SECRET_KEY_ENV];
  if (keyFile === undefined && privateKeyFile === undefined && old !== undefined && old !== '') {
    io.stderr(`warning: ${DEPRECATED_SECRET_KEY_ENV} is deprecated; set PULSAR_SECRET_KEY_FILE (what scripts/pulsar env prints)`);
    keyFile = old;
  }
  if (typeof keyFile === 'string' && typeof privateKeyFile === 'string') {
    throw usageError('give one signing key: --secret-key-file (HS256) or --private-key-file (RS256), not both');
  }
  if (typeof keyFile !== 'string' && typeof privateKeyFile !== 'string') {
    throw usageError(
      'missing --secret-key-file FILE (or PULSAR_SECRET_KEY_FILE) for HS256, or --private-key-file FILE (or PULSAR_PRIVATE_KEY_FILE) for RS256',
    );
  }
  const expiresFlag = args.flags['expires'] ?? args.flags['expires-in'];
  if (args.flags['expires-in'] !== undefined) io.stderr('warning: --expires-in is deprecated; use --expires');
  const expires = typeof expiresFlag === 'string' ? expiresFlag : DEFAULT_TOKEN_LIFETIME;
  let exp: number | undefined;
  if (expires !== 'never') {
    const ms = parseDurationMs(expires);
    if (ms === undefined || ms < 1000)
      throw usageError(`--expires: invalid value "${expires}"; use a duration like 8h or 30d (at least 1s), or "never"`);
    exp = Math.floor(Date.now() / 1000) + Math.floor(ms / 1000);
  }
  const claims = { sub: role, ...(exp === undefined ? {} : { exp }) };
  const alg = typeof privateKeyFile === 'string' ? 'RS256' : 'HS256';
  const token =
    typeof privateKeyFile === 'string'
      ? signRs256Token(claims, readPrivateKeyFile(privateKeyFile))
      : signHs256Token(claims, readSecretKeyFile(keyFile as string));
  io.stdout(
    mode === 'json'
      ? JSON.stringify({ ok: true, role, alg, expiresAt: exp === undefined ? null : new Date(exp * 1000).toISOString(), token }, null, 2)
      : token,
  );
  return EXIT.ok;
}
