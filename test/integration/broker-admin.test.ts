/**
 * The foundation's first integration test: the broker is real. Creates a tenant, a namespace and
 * a partitioned topic through the admin REST API and reads the topic's stats back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pulsarAuthEnv, pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarEnv();
const tenant = uniqueName('found');
const ns = `${tenant}/ns1`;
const topic = `persistent://${ns}/events`;

async function admin(method: string, path: string, body?: unknown, token = env.token, base = env.adminUrl): Promise<Response> {
  return fetch(`${base}/admin/v2${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('real Pulsar broker: admin REST', () => {
  afterAll(async () => {
    await admin('DELETE', `/namespaces/${ns}?force=true`);
    await admin('DELETE', `/tenants/${tenant}?force=true`);
  });

  it('creates a tenant, a namespace and a partitioned topic, then reads the topic stats back', async () => {
    const clusters = (await (await admin('GET', '/clusters')).json()) as string[];
    expect(clusters).toContain(env.cluster);

    expect((await admin('PUT', `/tenants/${tenant}`, { adminRoles: [], allowedClusters: [env.cluster] })).status).toBe(204);
    expect((await admin('PUT', `/namespaces/${ns}`)).status).toBe(204);
    expect((await admin('PUT', `/persistent/${ns}/events/partitions`, 3)).status).toBe(204);

    const meta = (await (await admin('GET', `/persistent/${ns}/events/partitions`)).json()) as { partitions: number };
    expect(meta.partitions).toBe(3);

    const res = await admin('GET', `/persistent/${ns}/events/partitioned-stats?perPartition=true`);
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { msgInCounter: number; partitions: Record<string, unknown> };
    expect(stats.msgInCounter).toBe(0);
    expect(Object.keys(stats.partitions).sort()).toEqual([0, 1, 2].map((i) => `${topic}-partition-${i}`));
  });

  it('refuses a request without a token on the auth broker, and accepts the superuser token', async () => {
    const auth = pulsarAuthEnv();
    const anonymous = await admin('GET', '/tenants', undefined, undefined, auth.adminUrl);
    expect(anonymous.status).toBe(401);
    const ok = await admin('GET', '/tenants', undefined, auth.token, auth.adminUrl);
    expect(ok.status).toBe(200);
    expect((await ok.json()) as string[]).toContain('public');
  });
});
