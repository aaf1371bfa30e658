import { readSecretKeyFile, signHs256Token } from '../../../functions/index.ts';
import { parseDurationMs } from '../../spec/index.ts';
import { formatFlags, parseArgs, type FlagSpec } from '../args.ts';
import { COMMON_FLAGS, EXIT, outputMode, reportError, usageError, wantsJson, type NounCommand } from '../io.ts';

const FLAGS = {
  role: { type: 'string', short: 'r', description: 'role to put in the sub claim (required)' },
  'secret-key-file': { type: 'string', env: 'PULSAR_AUTH_SECRET_KEY_FILE', description: "the broker's tokenSecretKey file" },
  'expires-in': { type: 'string', description: 'lifetime like 1h or 30d (default: never expires)' },
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

const HELP = [
  'beamline token issue: sign an HS256 JWT for a role with the cluster secret key',
  '',
  'usage: beamline token issue --role ROLE [--secret-key-file FILE] [--expires-in 30d]',
  '',
  'options:',
  formatFlags(FLAGS),
  '',
  'examples:',
  '  beamline token issue --role acme-payments-worker --secret-key-file /etc/pulsar/secret.key',
  '  PULSAR_AUTH_SECRET_KEY_FILE=./secret.key beamline token issue -r acme-payments-analyst --expires-in 8h -o json',
].join('\n');

export const tokenCommand: NounCommand = {
  noun: 'token',
  summary: 'issue JWTs for roles (HS256, signed with the cluster secret key)',
  async run(argv, io) {
    const [verb, ...rest] = argv;
    if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
      io.stdout(HELP);
      return verb === undefined ? EXIT.usage : EXIT.ok;
    }
    let mode: 'text' | 'json' = wantsJson(rest) ? 'json' : 'text';
    try {
      if (verb !== 'issue') throw usageError(`unknown verb "${verb}"; use: beamline token issue --role ROLE`);
      const args = parseArgs(rest, FLAGS, io.env);
      mode = outputMode(args.flags['output']);
      if (args.flags['help'] === true) {
        io.stdout(HELP);
        return EXIT.ok;
      }
      const role = args.flags['role'];
      if (typeof role !== 'string') throw usageError('missing --role ROLE');
      const keyFile = args.flags['secret-key-file'];
      if (typeof keyFile !== 'string') throw usageError('missing --secret-key-file FILE (or PULSAR_AUTH_SECRET_KEY_FILE)');
      const expiresIn = args.flags['expires-in'];
      let exp: number | undefined;
      if (typeof expiresIn === 'string') {
        const ms = parseDurationMs(expiresIn);
        if (ms === undefined || ms <= 0) throw usageError(`--expires-in: invalid value "${expiresIn}"; use a duration like 1h or 30d`);
        exp = Math.floor(Date.now() / 1000) + Math.floor(ms / 1000);
      }
      const token = signHs256Token({ sub: role, ...(exp === undefined ? {} : { exp }) }, readSecretKeyFile(keyFile));
      io.stdout(mode === 'json' ? JSON.stringify({ ok: true, role, expiresAt: exp === undefined ? null : new Date(exp * 1000).toISOString(), token }, null, 2) : token);
      return EXIT.ok;
    } catch (err) {
      return reportError(err, mode, io);
    }
  },
};
