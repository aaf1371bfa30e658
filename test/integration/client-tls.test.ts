/**
 * TLS against the REAL secure broker (`test-auth`, started by the global setup with --auth
 * --tls): its listener presents the certificate `scripts/pulsar` made; our client with the token
 * and the instance CA produces, consumes, looks up partitions and commits a transaction over
 * `pulsar+ssl://` only, every connection (lookup answers included) on the broker's TLS url; a
 * client that does not trust the CA, a plaintext client on the TLS port and a TLS client on the
 * plain port fail fast with typed errors that name the problem; the admin client works over
 * https with the CA and names the certificate problem without it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/errors.ts';
import {
  PULSAR_ADMIN_ERROR_CODES,
  PulsarAdmin,
  PulsarAdminError,
  createClient,
  type ClientOptions,
  type PulsarClient,
} from '@beamline/pulsar';
import { pulsarAuthEnv, pulsarTlsEnv, uniqueName } from '../support/pulsar-env.ts';
import { receiveN, roundTripKeyedAcrossPartitions } from '../support/receive.ts';

const env = pulsarTlsEnv();
const plainEnv = pulsarAuthEnv();
const ca = readFileSync(env.trustCertsFile);
const tlsPort = Number(/:(\d+)$/.exec(env.serviceUrl)?.[1]);
/** What the broker advertises for TLS, so what lookups must hand back. */
const advertisedTlsUrl = `pulsar+ssl://127.0.0.1:${tlsPort}`;
const admin = new PulsarAdmin({ url: env.adminUrl, token: env.token, ca });

const clients: PulsarClient[] = [];
function client(extra: Partial<ClientOptions> = {}): PulsarClient {
  const c = createClient({ serviceUrl: env.serviceUrl, token: env.token, tls: { ca }, operationTimeoutMs: 10_000, ...extra });
  clients.push(c);
  return c;
}

const topics: string[] = [];
function topic(prefix: string): string {
  const t = `persistent://public/default/${uniqueName(prefix)}`;
  topics.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  for (const t of topics) {
    await admin.topics.deletePartitioned(t, { force: true }).catch(() => undefined);
    await admin.topics.delete(t, { force: true }).catch(() => undefined);
  }
});

async function logicalUrls(c: PulsarClient): Promise<string[]> {
  return [...new Set((await c.pool.connections()).map((conn) => conn.logicalUrl))].sort();
}

async function failure(p: Promise<unknown>): Promise<{ err: BeamlineError; ms: number }> {
  const t0 = Date.now();
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BeamlineError);
  return { err: err as BeamlineError, ms: Date.now() - t0 };
}

describe('the TLS listener of the real broker', () => {
  it('presents the certificate scripts/pulsar made: localhost and 127.0.0.1, signed by the instance CA, PKCS#8 key', async () => {
    const caCert = new X509Certificate(ca);
    const certFile = join(dirname(env.trustCertsFile), 'broker.cert.pem');
    const cert = new X509Certificate(readFileSync(certFile));
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(['DNS:localhost', 'IP Address:127.0.0.1']);
    expect(readFileSync(join(dirname(env.trustCertsFile), 'broker.key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const socket = tls.connect({ host: '127.0.0.1', port: tlsPort, servername: 'localhost', ca });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    try {
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(cert.fingerprint256);
    } finally {
      socket.destroy();
    }
  });
});

describe('our client over pulsar+ssl:// with token auth', () => {
  it('produces and consumes; the lookup hands back the broker TLS url and no plaintext connection is opened', async () => {
    const c = client();
    const t = topic('tls-rt');
    const consumer = await c.subscribe({ topic: t, subscription: 's', initialPosition: 'Earliest' });
    const producer = await c.createProducer({ topic: t });
    for (let i = 0; i < 5; i++) await producer.send(`tls-${i}`);
    const got = await receiveN(consumer, 5);
    expect(got.map((m) => m.payload.toString())).toEqual(['tls-0', 'tls-1', 'tls-2', 'tls-3', 'tls-4']);
    for (const m of got) consumer.ack(m);
    // The service connection plus the one to the broker the lookup named (its TLS url).
    expect(await logicalUrls(c)).toEqual([advertisedTlsUrl, env.serviceUrl].sort());
    expect((await c.pool.connections()).every((conn) => conn.state === 'ready')).toBe(true);
  });

  it('a partitioned topic: partition count and every partition lookup over TLS, messages on every partition', async () => {
    const t = topic('tls-part');
    await admin.topics.createPartitioned(t, 3);
    const c = client();
    expect(await c.getPartitions(t)).toBe(3);
    await roundTripKeyedAcrossPartitions(c, t, 30, 3);
    expect(await logicalUrls(c)).toEqual([advertisedTlsUrl, env.serviceUrl].sort());
    const stats = await admin.topics.getPartitionedStats(t, { perPartition: true });
    const perPartition = Object.values(stats.partitions ?? {}).map((p) => Number(p['msgInCounter'] ?? 0));
    expect(perPartition).toHaveLength(3);
    expect(perPartition.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('commits a transaction: its sends are invisible until the commit, then delivered', async () => {
    const c = client();
    const t = topic('tls-txn');
    const consumer = await c.subscribe({ topic: t, subscription: 's', initialPosition: 'Earliest' });
    const producer = await c.createProducer({ topic: t });
    const txn = await c.newTransaction({ timeoutMs: 30_000 });
    await Promise.all(['a', 'b', 'c'].map((p) => producer.send(p, { txn })));
    await expect(consumer.receive(1000)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await txn.commit();
    expect(txn.state).toBe('committed');
    const got = await receiveN(consumer, 3);
    expect(got.map((m) => m.payload.toString()).sort()).toEqual(['a', 'b', 'c']);
    // The transaction coordinator was reached over TLS as well.
    expect((await logicalUrls(c)).every((u) => u.startsWith('pulsar+ssl://'))).toBe(true);
  });
});

describe('misconfigured TLS fails fast and says why', () => {
  it('a client that does not trust the CA: BL_PULSAR_CONNECT_FAILED naming the certificate verification', async () => {
    const c = client({ tls: {} });
    const { err, ms } = await failure(c.createProducer({ topic: topic('tls-untrusted') }));
    expect(err.code).toBe('BL_PULSAR_CONNECT_FAILED');
    expect(err.message).toContain(env.serviceUrl);
    expect(err.message).toMatch(/TLS certificate verification failed \(unable to verify the first certificate/);
    expect(err.details['reason']).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // Well inside the 10 s operation timeout: refused, not hung.
    expect(ms).toBeLessThan(5000);
    expect(await c.pool.connections()).toEqual([]);
  });

  it('a pulsar:// client on the TLS port: BL_PULSAR_CONNECTION_CLOSED during the handshake, told to use pulsar+ssl://', async () => {
    const url = `pulsar://localhost:${tlsPort}`;
    const c = client({ serviceUrl: url, tls: undefined });
    const { err, ms } = await failure(c.createProducer({ topic: topic('tls-plain') }));
    expect(err.code).toBe('BL_PULSAR_CONNECTION_CLOSED');
    expect(err.message).toContain(`${url} closed the connection during the CONNECT handshake`);
    expect(err.message).toContain('use a pulsar+ssl:// url');
    expect(ms).toBeLessThan(5000);
  });

  it('a pulsar+ssl:// client on the plain port: BL_PULSAR_CONNECT_FAILED naming the failed TLS setup', async () => {
    const plainPort = /:(\d+)$/.exec(plainEnv.serviceUrl)?.[1];
    const url = `pulsar+ssl://localhost:${plainPort}`;
    const { err, ms } = await failure(client({ serviceUrl: url }).createProducer({ topic: topic('tls-wrong-port') }));
    expect(err.code).toBe('BL_PULSAR_CONNECT_FAILED');
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/before secure TLS connection was established/);
    expect(ms).toBeLessThan(5000);
  });
});

describe('the admin REST client over https', () => {
  it('with the CA option it reads the cluster and the broker health', async () => {
    expect(await admin.clusters.list()).toContain(env.cluster);
    const cluster = await admin.clusters.get(env.cluster);
    expect(cluster.brokerServiceUrlTls).toBe(advertisedTlsUrl);
    await expect(admin.brokers.healthCheck()).resolves.toBeUndefined();
  });

  it('without it the request fails as unreachable and names the certificate problem', async () => {
    const untrusting = new PulsarAdmin({ url: env.adminUrl, token: env.token, timeoutMs: 5000 });
    const err = (await untrusting.clusters.list().catch((e: unknown) => e)) as PulsarAdminError;
    expect(err).toBeInstanceOf(PulsarAdminError);
    expect([err.code, err.status]).toEqual([PULSAR_ADMIN_ERROR_CODES.unreachable, 0]);
    expect(err.message).toContain('unable to verify the first certificate');
  });
});
