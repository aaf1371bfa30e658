/**
 * #21 on the broker with token auth and TLS (`test-auth`): tokens issued by `beamline token
 * issue` expire by default and the broker enforces the expiry; admin commands and Pulsar clients
 * reach https:// and pulsar+ssl:// through `--ca-file`; an audit actor is the token's subject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTokenClaims, PulsarAdmin } from '../../functions/control-plane.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { pulsarAuthEnv, pulsarTlsEnv, uniqueName } from '../support/pulsar-env.ts';

const auth = pulsarAuthEnv();
const tls = pulsarTlsEnv();
const tenant = uniqueName('gauth');
let superuser: PulsarAdmin;

async function cli(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  superuser = new PulsarAdmin({ url: auth.adminUrl, token: auth.token });
  await superuser.tenants.create(tenant, { adminRoles: [], allowedClusters: [auth.cluster] });
  await superuser.namespaces.create(`${tenant}/ns`);
  await superuser.topics.createNonPartitioned(`persistent://${tenant}/ns/dead-letter`);
});

afterAll(async () => {
  await superuser.tenants.delete(tenant, { force: true }).catch(() => undefined);
});

describe('tokens and TLS on the auth broker (#21)', () => {
  it('a token from beamline token issue carries an expiry by default; a short one is refused by the broker once expired', async () => {
    const keyEnv = { PULSAR_SECRET_KEY_FILE: auth.secretKeyFile };
    const issued = await cli(keyEnv, 'token', 'issue', '-r', 'admin', '-o', 'json');
    expect(issued.code, issued.err).toBe(0);
    const claims = decodeTokenClaims((JSON.parse(issued.out) as { token: string }).token) as { exp?: number };
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);

    const short = await cli(keyEnv, 'token', 'issue', '-r', 'admin', '--expires', '3s');
    expect(short.code, short.err).toBe(0);
    const token = short.out.trim();
    // Over https with the private CA (--ca-file through PULSAR_TLS_TRUST_CERTS): accepted while valid.
    const env = { PULSAR_ADMIN_URL: tls.adminUrl, PULSAR_TLS_TRUST_CERTS: tls.trustCertsFile, PULSAR_TOKEN: token };
    const listed = await cli(env, 'tenant', 'list', '-o', 'json');
    expect(listed.code, listed.out + listed.err).toBe(0);
    expect(listed.out).toContain(tenant);
    await sleep(4_500);
    const expired = await cli(env, 'tenant', 'list', '-o', 'json');
    expect(expired.code).toBe(1);
    expect(expired.out).toContain('BL_PULSAR_ADMIN_UNAUTHORIZED');
  }, 60_000);

  it('a client command reaches pulsar+ssl:// with --ca-file; an unreadable CA file is named', async () => {
    const base = { PULSAR_SERVICE_URL: tls.serviceUrl, PULSAR_TOKEN: auth.token as string };
    const ok = await cli({ ...base, PULSAR_TLS_TRUST_CERTS: tls.trustCertsFile }, 'dlq', 'list', '-t', tenant, '-n', 'ns');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toBe('0 dead letter(s)');
    const bad = await cli({ ...base, PULSAR_TLS_TRUST_CERTS: '/nonexistent/ca.pem' }, 'dlq', 'list', '-t', tenant, '-n', 'ns');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--ca-file: invalid value "/nonexistent/ca.pem"');
  }, 60_000);

  it('the audit actor is the token subject: a flag naming someone else is refused', async () => {
    const env = { PULSAR_SERVICE_URL: auth.serviceUrl, PULSAR_TOKEN: auth.token as string };
    const r = await cli(env, 'review', 'approve', 'ev-1', '-t', tenant, '-n', 'ns', '--analyst', 'mallory');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--analyst: invalid value "mallory"; the audit trail names the authenticated token's subject ("admin")`);
  });
});
