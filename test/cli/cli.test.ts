import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTokenClaims } from '../../functions/control-plane.ts';
import { parseArgs } from '../../cli/args.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

describe('parseArgs', () => {
  const specs = {
    output: { type: 'string', short: 'o', description: '' },
    force: { type: 'boolean', description: '' },
    'admin-url': { type: 'string', env: 'PULSAR_ADMIN_URL', description: '' },
  } as const;

  it('reads --flag value, --flag=value, -f value, booleans, env fallbacks and --', () => {
    const a = parseArgs(['x.yaml', '-o', 'json', '--force', '--', '--not-a-flag'], specs, { PULSAR_ADMIN_URL: 'http://e:8080' });
    expect(a).toEqual({ positionals: ['x.yaml', '--not-a-flag'], flags: { output: 'json', force: true, 'admin-url': 'http://e:8080' } });
    expect(parseArgs(['--admin-url=http://f:1'], specs, { PULSAR_ADMIN_URL: 'http://e:8080' }).flags['admin-url']).toBe('http://f:1');
  });

  it('refuses unknown flags with a suggestion and flags missing their value', () => {
    expect(() => parseArgs(['--forse'], specs)).toThrow(/--forse: invalid value "--forse"; unknown option; did you mean --force\?/);
    expect(() => parseArgs(['--output'], specs)).toThrow(/give a value: --output <value>/);
  });
});

describe('beamline CLI', () => {
  it('prints an overview listing the nouns; unknown nouns exit 2', async () => {
    const a = io();
    expect(await main(['--help'], a)).toBe(0);
    expect(a.out.join()).toMatch(/tenant[\s\S]*schema[\s\S]*token/);
    const b = io();
    expect(await main(['wroker'], b)).toBe(2);
    expect(b.err.join()).toContain('unknown command "wroker"');
  });

  it('--version prints the package version and Node version; help <noun> is <noun> --help', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const a = io();
      expect(await main([flag], a)).toBe(0);
      expect(a.out).toEqual([`beamline ${pkg.version} (node ${process.versions.node})`]);
    }
    const viaHelp = io();
    const viaFlag = io();
    expect(await main(['help', 'tenant'], viaHelp)).toBe(0);
    expect(await main(['tenant', '--help'], viaFlag)).toBe(0);
    expect(viaHelp.out).toEqual(viaFlag.out);
    expect(viaHelp.out.join('\n')).toMatch(/apply/);
  });

  it('gives every verb a --help with examples', async () => {
    for (const argv of [
      ['tenant', 'validate', '--help'],
      ['tenant', 'plan', '--help'],
      ['tenant', 'apply', '--help'],
      ['tenant', 'describe', '--help'],
      ['tenant', 'list', '--help'],
      ['tenant', 'delete', '--help'],
      ['schema', 'check', '--help'],
      ['token', 'issue', '--help'],
    ]) {
      const a = io();
      expect(await main(argv, a), argv.join(' ')).toBe(0);
      expect(a.out.join('\n'), argv.join(' ')).toMatch(/examples:\n {2}beamline /);
    }
  });

  it('every --help example names only flags its verb declares (examples run as written, #14)', async () => {
    const { NOUNS } = await import('../../cli/nouns.ts');
    const bad: string[] = [];
    let checked = 0;
    for (const [name, load] of Object.entries(NOUNS)) {
      const noun = await load();
      for (const [verb, flags] of Object.entries(noun.completion.verbs)) {
        if (verb === '' && name === 'demo') continue; // the demo parses its own options (npm run demo -- --help)
        const a = io();
        await main(verb === '' ? [name, '--help'] : [name, verb, '--help'], a);
        const text = a.out.join('\n');
        const examples = text
          .slice(text.indexOf('\nexamples:\n') + 1)
          .split('\n')
          .slice(1);
        for (const line of examples) {
          const at = line.indexOf(`beamline ${name}${verb === '' ? '' : ` ${verb}`} `);
          if (at === -1) continue;
          checked++;
          const words = line.slice(at).split(/\s+/);
          const end = words.findIndex((w) => ['|', '>', '#', '&&', ';'].includes(w) || w.startsWith('$('));
          for (const w of words.slice(0, end === -1 ? undefined : end)) {
            if (!w.startsWith('-') || w === '-' || w === '--') continue;
            const flag = w.split('=')[0] as string;
            if (!flags.includes(flag)) bad.push(`${line.trim()}: ${flag}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(bad).toEqual([]);
  });

  it('every command that opens a Pulsar client takes the same client flags: --service-url, --token, --token-file, --ca-file', async () => {
    for (const argv of [
      ['worker', '--help'],
      ['actions', 'run', '--help'],
      ['review', 'list', '--help'],
      ['model', 'list', '--help'],
      ['dlq', 'list', '--help'],
      ['features', 'export', '--help'],
      ['bridge', 'pubsub-sink', '--help'],
    ]) {
      const a = io();
      expect(await main(argv, a), argv.join(' ')).toBe(0);
      const help = a.out.join('\n');
      for (const flag of ['--service-url', '--token ', '--token-file', '--ca-file'])
        expect(help, `${argv.join(' ')}: ${flag}`).toContain(flag);
    }
  });

  it('every command that seals, opens or checks with the tenant keys takes one --keys-file (BEAMLINE_KEYS_FILE) (#21)', async () => {
    for (const argv of [
      ['audit', 'verify', '--help'],
      ['bridge', 'pubsub-source', '--help'],
      ['dlq', 'show', '--help'],
      ['model', 'push', '--help'],
      ['gdpr', 'erase', '--help'],
    ]) {
      const a = io();
      expect(await main(argv, a), argv.join(' ')).toBe(0);
      expect(a.out.join('\n'), argv.join(' ')).toMatch(/--keys-file .*BEAMLINE_KEYS_FILE|--keys-file[\s\S]*BEAMLINE_KEYS_FILE/);
    }
    // An unreadable keys file is refused naming the flag, before anything connects.
    const missing = join(mkdtempSync(join(tmpdir(), 'bl-cli-')), 'keys.json');
    const a = io({ PULSAR_SERVICE_URL: 'pulsar://127.0.0.1:1' });
    expect(await main(['audit', 'verify', '-t', 't', '-n', 'ns', '--keys-file', missing], a)).toBe(2);
    expect(a.err.join('\n')).toContain(`--keys-file: invalid value "${missing}"`);
  });

  it('bridge: a --token-file that cannot be read is refused naming the flag, before anything connects', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'bl-cli-')), 'nope.jwt');
    const argv = [
      'bridge',
      'pubsub-sink',
      '--from',
      'acme/eu/predictions',
      '--topic',
      'projects/p/topics/t',
      '--service-url',
      'pulsar://127.0.0.1:1',
      '--admin-url',
      'http://127.0.0.1:1',
      '--token-file',
      missing,
    ];
    const a = io();
    expect(await main(argv, a)).not.toBe(0);
    expect(a.err.join('\n')).toContain('--token-file');
    expect(a.err.join('\n')).toContain('readable file holding the JWT');
  });

  it('validates a spec in text and JSON', async () => {
    const a = io();
    expect(await main(['tenant', 'validate', 'tenants/acme-payments.yaml'], a)).toBe(0);
    expect(a.out[0]).toContain('valid. tenant acme-payments: 3 namespace(s), 33 topic(s)');
    const b = io({ BEAMLINE_LOCAL_CLUSTER: 'standalone' });
    expect(await main(['tenant', 'validate', 'tenants/ride-safety.yaml', '-o', 'json'], b)).toBe(0);
    const parsed = JSON.parse(b.out.join('')) as { ok: boolean; config: { allowedClusters: string[] } };
    expect(parsed.ok).toBe(true);
    expect(parsed.config.allowedClusters).toEqual(['standalone']);
  });

  it('fails a bad spec with every problem, exit 1, also as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'tenant: "bad name!"\nadminRoles: []\n');
    const a = io();
    expect(await main(['tenant', 'validate', file], a)).toBe(1);
    expect(a.err.join()).toContain('[BL_TENANT_SPEC_INVALID]');
    expect(a.err.join()).toContain('tenant: invalid value "bad name!"');
    const b = io();
    expect(await main(['tenant', 'validate', file, '--output', 'json'], b)).toBe(1);
    const body = JSON.parse(b.out.join('')) as { ok: boolean; error: { code: string; problems: { field: string }[] } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('BL_TENANT_SPEC_INVALID');
    expect(body.error.problems.map((p) => p.field)).toContain('adminRoles');
  });

  it('needs a cluster address for plan and says how to give one', async () => {
    const a = io();
    expect(await main(['tenant', 'plan', 'tenants/acme-payments.yaml'], a)).toBe(2);
    expect(a.err.join()).toContain('pass --admin-url http://host:8080 or set PULSAR_ADMIN_URL');
  });

  it('issues a token for a role, signed with the key file, expiring in 30 days by default (#21)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-cli-'));
    writeFileSync(join(dir, 'secret.key'), Buffer.alloc(32, 7));
    const a = io({ PULSAR_SECRET_KEY_FILE: join(dir, 'secret.key') });
    expect(await main(['token', 'issue', '--role', 'acme-payments-worker', '-o', 'json'], a)).toBe(0);
    const body = JSON.parse(a.out.join('')) as { token: string; role: string; alg: string };
    const claims = decodeTokenClaims(body.token) as { sub: string; exp: number };
    expect(claims.sub).toBe('acme-payments-worker');
    expect(body.alg).toBe('HS256');
    expect(Math.abs(claims.exp - (Date.now() / 1000 + 30 * 86_400))).toBeLessThan(60);
    expect(a.err).toEqual([]);
    const b = io();
    expect(await main(['token', 'issue'], b)).toBe(2);
    expect(b.err.join()).toContain('missing --role');
  });

  it('token issue: --expires never is explicit, bad lifetimes and short keys are refused, the old env name warns (#21)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-cli-'));
    writeFileSync(join(dir, 'secret.key'), Buffer.alloc(32, 7));
    writeFileSync(join(dir, 'short.key'), Buffer.alloc(16, 7));
    const never = io({ PULSAR_SECRET_KEY_FILE: join(dir, 'secret.key') });
    expect(await main(['token', 'issue', '-r', 'r', '--expires', 'never', '-o', 'json'], never)).toBe(0);
    expect(decodeTokenClaims((JSON.parse(never.out.join('')) as { token: string }).token)).toEqual({ sub: 'r' });
    const bad = io({ PULSAR_SECRET_KEY_FILE: join(dir, 'secret.key') });
    expect(await main(['token', 'issue', '-r', 'r', '--expires', 'soon'], bad)).toBe(2);
    expect(bad.err.join()).toContain('--expires: invalid value "soon"');
    const short = io({ PULSAR_SECRET_KEY_FILE: join(dir, 'short.key') });
    expect(await main(['token', 'issue', '-r', 'r'], short)).toBe(2);
    expect(short.err.join()).toContain('token.secretKey: invalid value "16 bytes"; use a key of at least 32 random bytes');
    const old = io({ PULSAR_AUTH_SECRET_KEY_FILE: join(dir, 'secret.key') });
    expect(await main(['token', 'issue', '-r', 'r', '--expires-in', '1h'], old)).toBe(0);
    expect(old.err.join('\n')).toContain('PULSAR_AUTH_SECRET_KEY_FILE is deprecated; set PULSAR_SECRET_KEY_FILE');
    expect(old.err.join('\n')).toContain('--expires-in is deprecated');
    expect((decodeTokenClaims(old.out.join('')) as { exp: number }).exp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
  });

  it('token issue signs RS256 with a private key; the public key verifies it (#21)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-cli-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'private.key'), pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
    const a = io({ PULSAR_PRIVATE_KEY_FILE: join(dir, 'private.key') });
    expect(await main(['token', 'issue', '-r', 'acme-payments-analyst', '--expires', '8h', '-o', 'json'], a)).toBe(0);
    const body = JSON.parse(a.out.join('')) as { token: string; alg: string };
    expect(body.alg).toBe('RS256');
    const [h, p, sig] = body.token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), pair.publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(dir, 'weak.pem'), weak.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const w = io({ PULSAR_PRIVATE_KEY_FILE: join(dir, 'weak.pem') });
    expect(await main(['token', 'issue', '-r', 'r'], w)).toBe(2);
    expect(w.err.join()).toContain('at least 2048 bits');
    const both = io({ PULSAR_PRIVATE_KEY_FILE: join(dir, 'private.key'), PULSAR_SECRET_KEY_FILE: join(dir, 'private.key') });
    expect(await main(['token', 'issue', '-r', 'r'], both)).toBe(2);
    expect(both.err.join()).toContain('not both');
  });

  it('usage errors for schema check without arguments', async () => {
    const a = io();
    expect(await main(['schema', 'check', 'only-topic'], a)).toBe(2);
    expect(a.err.join()).toContain('usage: beamline schema check <topic> <file.avsc>');
  });
});
