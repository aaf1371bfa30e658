/**
 * The admin REST client against the real dev broker: every resource Beamline uses, round-tripped.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULSAR_ADMIN_ERROR_CODES, PulsarAdmin, PulsarAdminError } from '../../functions/control-plane.ts';
import { pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarEnv();
const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });
const tenant = uniqueName('adm');
const ns = `${tenant}/ns1`;

describe('PulsarAdmin against the dev broker', () => {
  beforeAll(async () => {
    await admin.tenants.create(tenant, { adminRoles: ['adm-admin'], allowedClusters: [env.cluster] });
    await admin.namespaces.create(ns);
  });
  afterAll(async () => {
    await admin.tenants.delete(tenant, { force: true });
  });

  it('reads clusters and broker health', async () => {
    expect(await admin.clusters.list()).toContain(env.cluster);
    expect((await admin.clusters.get(env.cluster)).serviceUrl).toMatch(/^http/);
    await admin.brokers.healthCheck();
    await admin.brokers.ready();
  });

  it('gets, lists and updates tenants; a duplicate create is a conflict', async () => {
    expect(await admin.tenants.list()).toContain(tenant);
    await admin.tenants.update(tenant, { adminRoles: ['adm-admin', 'second'], allowedClusters: [env.cluster] });
    expect((await admin.tenants.get(tenant)).adminRoles.sort()).toEqual(['adm-admin', 'second']);
    const err = await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: [env.cluster] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulsarAdminError);
    expect((err as PulsarAdminError).code).toBe(PULSAR_ADMIN_ERROR_CODES.conflict);
    expect((err as PulsarAdminError).status).toBe(409);
    expect((err as PulsarAdminError).reason).toMatch(/already exist/i);
  });

  it('round-trips every namespace policy Beamline sets', async () => {
    expect(await admin.namespaces.list(tenant)).toEqual([ns]);
    await admin.namespaces.setRetention(ns, { retentionTimeInMinutes: 60, retentionSizeInMB: 100 });
    await admin.namespaces.setBacklogQuota(ns, { limitSize: 10 * 1024 * 1024, limitTime: -1, policy: 'producer_exception' });
    await admin.namespaces.setMessageTtlSeconds(ns, 120);
    await admin.namespaces.setDeduplication(ns, true);
    await admin.namespaces.setCompactionThresholdBytes(ns, 1024 * 1024);
    await admin.namespaces.setSchemaCompatibilityStrategy(ns, 'BACKWARD_TRANSITIVE');
    await admin.namespaces.setSchemaValidationEnforced(ns, true);
    await admin.namespaces.setReplicationClusters(ns, [env.cluster]);
    await admin.namespaces.grantPermissions(ns, 'reader', ['consume']);
    await admin.namespaces.setProperties(ns, { 'beamline.a': '1', 'beamline.b': '2' });
    await admin.namespaces.removeProperty(ns, 'beamline.b');

    expect(await admin.namespaces.getRetention(ns)).toEqual({ retentionTimeInMinutes: 60, retentionSizeInMB: 100 });
    expect((await admin.namespaces.getBacklogQuotas(ns)).destination_storage).toMatchObject({
      limitSize: 10 * 1024 * 1024,
      policy: 'producer_exception',
    });
    expect(await admin.namespaces.getMessageTtlSeconds(ns)).toBe(120);
    expect(await admin.namespaces.getDeduplication(ns)).toBe(true);
    expect(await admin.namespaces.getCompactionThresholdBytes(ns)).toBe(1024 * 1024);
    expect(await admin.namespaces.getSchemaCompatibilityStrategy(ns)).toBe('BACKWARD_TRANSITIVE');
    expect(await admin.namespaces.getSchemaValidationEnforced(ns)).toBe(true);
    expect(await admin.namespaces.getReplicationClusters(ns)).toEqual([env.cluster]);
    expect(await admin.namespaces.getPermissions(ns)).toEqual({ reader: ['consume'] });
    expect(await admin.namespaces.getProperties(ns)).toEqual({ 'beamline.a': '1' });
    const policies = await admin.namespaces.getPolicies(ns);
    expect(policies.message_ttl_in_seconds).toBe(120);
    await admin.namespaces.revokePermissions(ns, 'reader');
    expect(await admin.namespaces.getPermissions(ns)).toEqual({});
  });

  it('creates, grows, inspects and deletes partitioned and non-partitioned topics', async () => {
    const p = `persistent://${ns}/parted`;
    const np = `persistent://${ns}/single`;
    await admin.topics.createPartitioned(p, 2);
    await admin.topics.updatePartitions(p, 3);
    await admin.topics.createNonPartitioned(np);
    expect(await admin.topics.getPartitionedMetadata(p)).toMatchObject({ partitions: 3 });
    expect(await admin.topics.listPartitioned(ns)).toEqual([p]);
    expect(await admin.topics.list(ns)).toEqual(expect.arrayContaining([np, `${p}-partition-0`]));
    await admin.topics.createSubscription(p, 'sub-a');
    const ps = await admin.topics.getPartitionedStats(p, { perPartition: true });
    expect(ps.metadata?.partitions).toBe(3);
    expect(Object.keys(ps.subscriptions ?? {})).toContain('sub-a');
    expect(await admin.topics.getStats(np)).toHaveProperty('subscriptions');
    expect(await admin.topics.getInternalStats(np)).toHaveProperty('ledgers');

    await admin.topics.setDeduplication(p, true);
    await admin.topics.setCompactionThresholdBytes(p, 5 * 1024 * 1024);
    expect(await admin.topics.getDeduplication(p)).toBe(true);
    expect(await admin.topics.getCompactionThresholdBytes(p)).toBe(5 * 1024 * 1024);

    await admin.topics.triggerCompaction(np);
    expect(['RUNNING', 'SUCCESS', 'NOT_RUN']).toContain((await admin.topics.getCompactionStatus(np)).status);

    await admin.topics.grantPermissions(p, 'worker', ['consume', 'produce']);
    expect((await admin.topics.getPermissions(p))['worker']?.sort()).toEqual(['consume', 'produce']);
    await admin.topics.revokePermissions(p, 'worker');
    expect((await admin.topics.getPermissions(p))['worker']).toBeUndefined();

    await admin.topics.deletePartitioned(p, { force: true });
    await admin.topics.delete(np, { force: true });
    expect(await admin.topics.listPartitioned(ns)).toEqual([]);
    const missing = await admin.topics.getStats(np).catch((e: unknown) => e);
    expect((missing as PulsarAdminError).code).toBe(PULSAR_ADMIN_ERROR_CODES.notFound);
    expect((missing as PulsarAdminError).reason).toMatch(/not found/i);
  });

  it('uploads, checks, refuses and deletes Avro schemas', async () => {
    const topic = `persistent://${ns}/typed`;
    await admin.topics.createPartitioned(topic, 1);
    const v1 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
    const v2ok = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'string' },
        { name: 'b', type: ['null', 'int'], default: null },
      ],
    });
    const v2bad = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'int' },
      ],
    });
    expect(await admin.schemas.get(topic)).toBeNull();
    expect(await admin.schemas.post(topic, { type: 'AVRO', data: v1 })).toEqual({ version: 0 });
    expect((await admin.schemas.get(topic))?.data).toBe(v1);
    expect(await admin.schemas.checkCompatibility(topic, { type: 'AVRO', data: v2ok })).toMatchObject({ isCompatible: true });
    const bad = await admin.schemas.checkCompatibility(topic, { type: 'AVRO', data: v2bad });
    expect(bad).toMatchObject({ isCompatible: false, schemaCompatibilityStrategy: 'BACKWARD_TRANSITIVE' });
    const refused = (await admin.schemas.post(topic, { type: 'AVRO', data: v2bad }).catch((e: unknown) => e)) as PulsarAdminError;
    expect([refused.code, refused.status]).toEqual([PULSAR_ADMIN_ERROR_CODES.conflict, 409]);
    expect(refused.reason).toContain('Unable to read schema');
    expect(await admin.schemas.post(topic, { type: 'AVRO', data: v2ok })).toEqual({ version: 1 });
    expect((await admin.schemas.getAll(topic)).map((s) => s.version)).toEqual([0, 1]);
    await admin.schemas.delete(topic);
    expect(await admin.schemas.get(topic)).toBeNull();
  });

  it('times out against a server that never answers, and reports a closed port as unreachable', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const slow = new PulsarAdmin({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 });
      const err = (await slow.tenants.list().catch((e: unknown) => e)) as PulsarAdminError;
      expect([err.code, err.status, err.retriable]).toEqual([PULSAR_ADMIN_ERROR_CODES.timeout, 0, true]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    const closed = new PulsarAdmin({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const err = (await closed.tenants.list().catch((e: unknown) => e)) as PulsarAdminError;
    expect([err.code, err.retriable]).toEqual([PULSAR_ADMIN_ERROR_CODES.unreachable, true]);
  });
});
