/**
 * TLS material for a broker started with --tls: a private CA and a server certificate for
 * localhost / 127.0.0.1, made with the `openssl` CLI once per instance and kept across restarts,
 * so a CA file a developer or a test already trusts stays valid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import tls from 'node:tls';
import { BrokerScriptError } from './errors.ts';

export interface TlsFiles {
  dir: string;
  caCertFile: string;
  caKeyFile: string;
  certFile: string;
  /** PKCS#8 PEM: Netty (the broker's TLS stack) reads no other private key format. */
  keyFile: string;
}

export function tlsFilesIn(dir: string): TlsFiles {
  return {
    dir,
    caCertFile: join(dir, 'ca.cert.pem'),
    caKeyFile: join(dir, 'ca.key.pem'),
    certFile: join(dir, 'broker.cert.pem'),
    keyFile: join(dir, 'broker.key.pem'),
  };
}

/**
 * The openssl config the commands read. The server certificate names both localhost and
 * 127.0.0.1: clients given `pulsar+ssl://localhost` check the DNS name, while the broker
 * advertises (and its own internal client dials) 127.0.0.1.
 */
export function renderOpensslConf(caName: string): string {
  return `[req]
distinguished_name = dn
prompt = no

[dn]
CN = ${caName}

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
`;
}

/** The openssl invocations, in order, that write `files` (arguments only; pure). */
export function opensslSteps(files: TlsFiles, confFile: string, caName: string, serial: string): string[][] {
  const csr = join(files.dir, 'broker.csr.pem');
  return [
    // genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), unlike the legacy genrsa.
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', files.caKeyFile],
    [
      'req',
      '-x509',
      '-new',
      '-config',
      confFile,
      '-extensions',
      'ca_ext',
      '-key',
      files.caKeyFile,
      '-sha256',
      '-days',
      '3650',
      '-subj',
      `/CN=${caName}`,
      '-out',
      files.caCertFile,
    ],
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', files.keyFile],
    ['req', '-new', '-config', confFile, '-key', files.keyFile, '-subj', '/CN=localhost', '-out', csr],
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      files.caCertFile,
      '-CAkey',
      files.caKeyFile,
      '-set_serial',
      `0x${serial}`,
      '-sha256',
      '-days',
      '825',
      '-extfile',
      confFile,
      '-extensions',
      'server_ext',
      '-out',
      files.certFile,
    ],
  ];
}

export interface RunResult {
  status: number | null;
  stderr: string;
  error?: NodeJS.ErrnoException | undefined;
}

export type CommandRunner = (command: string, args: string[]) => RunResult;

const runCommand: CommandRunner = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  return { status: r.status, stderr: r.stderr ?? '', error: r.error as NodeJS.ErrnoException | undefined };
};

export interface EnsureTlsOptions {
  /** Instance name, shown in the CA's name. */
  name: string;
  /** @default spawnSync of the real binary */
  run?: CommandRunner;
  /** @default 'openssl' */
  openssl?: string;
  log?: (line: string) => void;
}

/**
 * The instance's TLS files under `dir`, generated when any is missing. Generation writes into a
 * scratch folder renamed into place at the end, so an interrupted run never leaves a half set
 * that a later start would trust.
 */
export function ensureTlsFiles(dir: string, o: EnsureTlsOptions): { files: TlsFiles; generated: boolean } {
  const files = tlsFilesIn(dir);
  if ([files.caCertFile, files.caKeyFile, files.certFile, files.keyFile].every((f) => existsSync(f))) {
    return { files, generated: false };
  }
  const run = o.run ?? runCommand;
  const openssl = o.openssl ?? 'openssl';
  const scratch = `${dir}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const caName = `Beamline local CA (${o.name})`;
  const confFile = join(scratch, 'openssl.cnf');
  writeFileSync(confFile, renderOpensslConf(caName));
  try {
    for (const args of opensslSteps(tlsFilesIn(scratch), confFile, caName, randomBytes(8).toString('hex'))) {
      const r = run(openssl, args);
      if (r.error?.code === 'ENOENT') {
        throw new BrokerScriptError(
          `\`${openssl}\` was not found on PATH; --tls makes the broker's CA and certificate with the openssl CLI`,
          'install OpenSSL (e.g. `apt-get install openssl` or `brew install openssl`), or start the broker without --tls',
        );
      }
      if (r.error !== undefined || r.status !== 0) {
        const why = r.error?.message ?? `exit ${String(r.status)}`;
        throw new BrokerScriptError(
          `\`${openssl} ${args[0]}\` failed while making the broker's TLS certificate (${why}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
          `check \`${openssl} version\` (OpenSSL 1.1.1 or newer is needed), or start the broker without --tls`,
        );
      }
    }
    rmSync(join(scratch, 'broker.csr.pem'), { force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  o.log?.(`  TLS: new CA and server certificate in ${dir}`);
  return { files, generated: true };
}

/** True when a TLS handshake to host:port verifies against `ca` for `servername`. */
export function tlsHandshakeOk(port: number, ca: string | Buffer, servername = 'localhost', timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      socket.end();
      resolve(socket.authorized);
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
