/**
 * The broker's TLS material: which openssl commands make it, what the server certificate names,
 * reuse of an existing set, and a clear error when openssl is missing or fails. The openssl
 * runner is injected, so no process is started here.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerScriptError } from '../../local-broker/errors.ts';
import { ensureTlsFiles, opensslSteps, renderOpensslConf, tlsFilesIn, type CommandRunner } from '../../local-broker/tls.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamline-tls-test-'));
  dirs.push(d);
  return d;
}

/** Pretends to be openssl: creates every `-out` file it is asked for. */
function fakeOpenssl(calls: string[][]): CommandRunner {
  return (_cmd, args) => {
    calls.push(args);
    const out = args[args.indexOf('-out') + 1];
    if (out !== undefined) writeFileSync(out, `fake ${args[0]}`);
    return { status: 0, stderr: '' };
  };
}

describe('openssl steps', () => {
  it('make a CA, then a PKCS#8 server key and a certificate signed by the CA with the server extensions', () => {
    const f = tlsFilesIn('/x/tls');
    const steps = opensslSteps(f, '/x/tls/openssl.cnf', 'Beamline local CA (t)', 'ab12');
    expect(steps.map((s) => s[0])).toEqual(['genpkey', 'req', 'genpkey', 'req', 'x509']);
    // genpkey (not genrsa) writes PKCS#8, the only key format the broker's Netty TLS reads.
    expect(steps[2]).toEqual(expect.arrayContaining(['-out', f.keyFile]));
    expect(steps[1]).toEqual(expect.arrayContaining(['-x509', '-extensions', 'ca_ext', '-out', f.caCertFile]));
    const sign = steps[4] as string[];
    expect(sign).toEqual(
      expect.arrayContaining([
        '-CA',
        f.caCertFile,
        '-CAkey',
        f.caKeyFile,
        '-extensions',
        'server_ext',
        '-out',
        f.certFile,
        '-set_serial',
        '0xab12',
      ]),
    );
  });

  it('the server certificate names localhost and 127.0.0.1 and is no CA', () => {
    const conf = renderOpensslConf('Beamline local CA (t)');
    const server = conf.slice(conf.indexOf('[server_ext]'));
    expect(server).toContain('subjectAltName = DNS:localhost, IP:127.0.0.1');
    expect(server).toContain('CA:FALSE');
    expect(server).toContain('serverAuth');
    expect(conf.slice(conf.indexOf('[ca_ext]'), conf.indexOf('[server_ext]'))).toContain('CA:TRUE');
  });
});

describe('ensureTlsFiles', () => {
  it('generates once, then reuses the set', () => {
    const dir = join(scratch(), 'tls');
    const calls: string[][] = [];
    const first = ensureTlsFiles(dir, { name: 't', run: fakeOpenssl(calls) });
    expect(first.generated).toBe(true);
    expect(calls).toHaveLength(5);
    expect(readdirSync(dir).sort()).toEqual(['broker.cert.pem', 'broker.key.pem', 'ca.cert.pem', 'ca.key.pem', 'openssl.cnf']);
    const again = ensureTlsFiles(dir, { name: 't', run: fakeOpenssl(calls) });
    expect(again).toEqual({ files: first.files, generated: false });
    expect(calls).toHaveLength(5);
  });

  it('a missing openssl is a BrokerScriptError that says what, why and how to fix it', () => {
    const dir = join(scratch(), 'tls');
    const run: CommandRunner = () => ({
      status: null,
      stderr: '',
      error: Object.assign(new Error('spawnSync openssl ENOENT'), { code: 'ENOENT' }),
    });
    const err = (() => {
      try {
        ensureTlsFiles(dir, { name: 't', run });
      } catch (e) {
        return e;
      }
      return undefined;
    })() as BrokerScriptError;
    expect(err).toBeInstanceOf(BrokerScriptError);
    expect(err.message).toMatch(/`openssl` was not found on PATH; --tls makes the broker's CA and certificate/);
    expect(err.fix).toMatch(/install OpenSSL .* or start the broker without --tls/);
    expect(existsSync(dir)).toBe(false);
  });

  it('a failing openssl step reports its stderr and leaves no half-made set behind', () => {
    const parent = scratch();
    const dir = join(parent, 'tls');
    let n = 0;
    const run: CommandRunner = (_c, args) => {
      if (++n === 3) return { status: 1, stderr: 'unknown option -pkeyopt\n' };
      const out = args[args.indexOf('-out') + 1];
      if (out !== undefined) writeFileSync(out, 'x');
      return { status: 0, stderr: '' };
    };
    expect(() => ensureTlsFiles(dir, { name: 't', run })).toThrow(/`openssl genpkey` failed .*\(exit 1\): unknown option -pkeyopt/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
