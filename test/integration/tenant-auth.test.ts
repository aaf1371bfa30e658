/**
 * Tenant isolation on a broker with token auth and authorization on. Runs when the global setup
 * (or the developer) provides PULSAR_AUTH_ADMIN_URL, PULSAR_AUTH_SERVICE_URL, PULSAR_AUTH_TOKEN
 * (superuser) and PULSAR_AUTH_SECRET_KEY_FILE; otherwise the suite is reported as skipped.
 *
 * Checks go through REST endpoints that Pulsar authorizes per topic operation: stats (lookup:
 * produce or consume), subscription create (consume). TODO(#5): repeat them over the binary
 * protocol (CONNECT with the role token, PRODUCER / SUBSCRIBE refused) once the client lands.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PulsarAdmin, PulsarAdminError, readSecretKeyFile, signHs256Token } from '../../functions/index.ts';
import { applyTenantPlan, diffTenant, observeTenant } from '../../tenants/plan/index.ts';
import { compileTenantSpec, type TenantConfig } from '../../tenants/spec/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';

const e = process.env;
const configured = Boolean(e['PULSAR_AUTH_ADMIN_URL'] && e['PULSAR_AUTH_SERVICE_URL'] && e['PULSAR_AUTH_TOKEN'] && e['PULSAR_AUTH_SECRET_KEY_FILE']);

describe.skipIf(!configured)('tenant isolation with token auth', () => {
  const adminUrl = e['PULSAR_AUTH_ADMIN_URL'] ?? '';
  const cluster = e['PULSAR_AUTH_CLUSTER'] ?? 'standalone';
  // Built in beforeAll: the describe body also runs (to collect tests) when the suite is skipped.
  let superuser: PulsarAdmin;
  const acme = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as Record<string, unknown>;
  const a = uniqueName('tna');
  const b = uniqueName('tnb');

  function spec(tenant: string): TenantConfig {
    const doc = structuredClone(acme);
    doc['tenant'] = tenant;
    doc['adminRoles'] = [`${tenant}-admin`];
    doc['roles'] = { worker: `${tenant}-worker`, producer: `${tenant}-producer`, analyst: `${tenant}-analyst` };
    doc['regions'] = [{ name: 'central', cluster: 'central' }];
    delete doc['replication'];
    delete doc['grants'];
    return compileTenantSpec(doc, { localCluster: cluster });
  }

  /** An admin client acting as `role`, with a token signed by the cluster's secret key. */
  function as(role: string): PulsarAdmin {
    const key = readSecretKeyFile(e['PULSAR_AUTH_SECRET_KEY_FILE'] ?? '');
    return new PulsarAdmin({ url: adminUrl, token: signHs256Token({ sub: role }, key) });
  }

  async function refused(p: Promise<unknown>): Promise<number> {
    const err = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err, 'expected the broker to refuse').toBeInstanceOf(PulsarAdminError);
    return (err as PulsarAdminError).status;
  }

  const topic = (tenant: string, kind: string): string => `persistent://${tenant}/central/${kind}`;

  beforeAll(async () => {
    superuser = new PulsarAdmin({ url: adminUrl, token: e['PULSAR_AUTH_TOKEN'] ?? '' });
    for (const t of [a, b]) {
      const config = spec(t);
      await applyTenantPlan(superuser, diffTenant(config, await observeTenant(superuser, t, config)));
    }
  });
  afterAll(async () => {
    for (const t of [a, b]) await superuser.tenants.delete(t, { force: true }).catch(() => undefined);
  });

  it('applies a tenant idempotently with the superuser token', async () => {
    const config = spec(a);
    expect(diffTenant(config, await observeTenant(superuser, a, config)).changes).toEqual([]);
  });

  it("tenant A's worker reads and subscribes to A's events but is refused on B's topics", async () => {
    const worker = as(`${a}-worker`);
    await worker.topics.getPartitionedStats(topic(a, 'events'));
    await worker.topics.createSubscription(topic(a, 'events'), 'scorer');
    expect([401, 403]).toContain(await refused(worker.topics.getPartitionedStats(topic(b, 'events'))));
    expect([401, 403]).toContain(await refused(worker.topics.createSubscription(topic(b, 'events'), 'steal')));
    expect([401, 403]).toContain(await refused(worker.topics.getPartitionedStats(topic(b, 'predictions'))));
    expect([401, 403]).toContain(await refused(worker.topics.listPartitioned(`${b}/central`)));
  });

  it('a producer token can look up its topic but cannot consume from it', async () => {
    const producer = as(`${a}-producer`);
    await producer.topics.getPartitionedStats(topic(a, 'events'));
    expect([401, 403]).toContain(await refused(producer.topics.createSubscription(topic(a, 'events'), 'sneak')));
    expect([401, 403]).toContain(await refused(producer.topics.getPartitionedStats(topic(a, 'review'))));
  });

  it('the analyst consumes review only', async () => {
    const analyst = as(`${a}-analyst`);
    await analyst.topics.createSubscription(topic(a, 'review'), 'analysts');
    expect([401, 403]).toContain(await refused(analyst.topics.createSubscription(topic(a, 'events'), 'peek')));
  });

  it('a token signed with another key is rejected', async () => {
    const forged = new PulsarAdmin({ url: adminUrl, token: signHs256Token({ sub: `${a}-worker` }, Buffer.alloc(32, 1)) });
    expect(await refused(forged.topics.getPartitionedStats(topic(a, 'events')))).toBe(401);
  });
});
