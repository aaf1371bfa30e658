/**
 * Tenant onboarding against the dev broker: apply creates everything (checked through the admin
 * API), a second apply changes nothing, plan after a manual change shows exactly that change, and
 * apply resumes after a half-way failure.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PulsarAdmin, type FetchLike } from '../../functions/control-plane.ts';
import { applyTenantPlan, diffTenant, observeTenant } from '../../tenants/plan/index.ts';
import { compileTenantSpec, type TenantConfig } from '../../tenants/definition/index.ts';
import { pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarEnv();
const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });
const acme = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as Record<string, unknown>;

/** acme-payments under a unique tenant name, folded onto the dev broker's one cluster. */
function spec(tenant: string, edit: (doc: Record<string, unknown>) => void = () => undefined): TenantConfig {
  const doc = structuredClone(acme);
  doc['tenant'] = tenant;
  edit(doc);
  return compileTenantSpec(doc, { localCluster: env.cluster });
}

async function plan(config: TenantConfig, via: PulsarAdmin = admin) {
  return diffTenant(config, await observeTenant(via, config.tenant, config));
}

const created: string[] = [];
afterAll(async () => {
  for (const t of created) await admin.tenants.delete(t, { force: true }).catch(() => undefined);
});

describe('tenant apply against the dev broker', () => {
  const tenant = uniqueName('acme');
  const config = spec(tenant);

  it('creates the tenant, namespaces, policies, topics, schemas and grants', async () => {
    created.push(tenant);
    const first = await plan(config);
    expect(first.blockers).toEqual([]);
    const result = await applyTenantPlan(admin, first);
    expect(result.applied.length).toBe(first.changes.length);

    expect(await admin.tenants.get(tenant)).toEqual({ adminRoles: ['acme-payments-admin'], allowedClusters: [env.cluster] });
    expect((await admin.namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/eu-west`, `${tenant}/us-east`]);
    const ns = `${tenant}/us-east`;
    const policies = await admin.namespaces.getPolicies(ns);
    expect(policies.retention_policies).toEqual({ retentionTimeInMinutes: 7 * 24 * 60, retentionSizeInMB: 20 * 1024 });
    expect(policies.message_ttl_in_seconds).toBe(3 * 86400);
    expect(policies.backlog_quota_map?.destination_storage).toMatchObject({ limitSize: 10 * 1024 ** 3, policy: 'producer_request_hold' });
    expect(policies.schema_compatibility_strategy).toBe('BACKWARD_TRANSITIVE');
    expect(policies.schema_validation_enforced).toBe(true);
    expect(policies.replication_clusters).toEqual([env.cluster]);
    expect(policies.properties).toMatchObject({
      'beamline.topic.events.pii': 'cardNumber,holderName',
      'beamline.topic.events.sensitivity': 'restricted',
      'beamline.role.worker': 'acme-payments-worker',
    });
    expect(policies.auth_policies?.namespace_auth).toEqual({});

    expect((await admin.topics.listPartitioned(ns)).sort()).toEqual(
      ['actions', 'audit', 'dead-letter', 'events', 'labels', 'models', 'owners', 'predictions', 'review', 'state', 'subject-keys'].map(
        (t) => `persistent://${ns}/${t}`,
      ),
    );
    expect(await admin.topics.getPartitionedMetadata(`persistent://${ns}/events`)).toMatchObject({ partitions: 8 });
    // #17: the replicas' ownership journal, partitioned like events.
    expect(await admin.topics.getPartitionedMetadata(`persistent://${ns}/owners`)).toMatchObject({ partitions: 8 });
    const events = await admin.schemas.get(`persistent://${ns}/events`);
    expect(events?.type).toBe('AVRO');
    expect((JSON.parse(events?.data ?? '{}') as { name: string }).name).toBe('CardAuthorization');
    expect(await admin.schemas.get(`persistent://${ns}/dead-letter`)).toBeNull();
    // #23: the built-in labels topic, though the spec leaves it out, with Beamline's Label schema.
    expect((JSON.parse((await admin.schemas.get(`persistent://${ns}/labels`))?.data ?? '{}') as { name: string }).name).toBe('Label');
    expect(await admin.topics.getPermissions(`persistent://${ns}/events`)).toEqual({
      'acme-payments-gateway': ['produce'],
      'acme-payments-worker': ['consume'],
    });
    const review = await admin.topics.getPermissions(`persistent://${ns}/review`);
    // The broker lists actions in no fixed order.
    expect(Object.fromEntries(Object.entries(review).map(([role, actions]) => [role, [...actions].sort()]))).toEqual({
      'acme-payments-analyst': ['consume', 'produce'],
      // The worker reads `review` back only for the queue's depth gauge (#22).
      'acme-payments-worker': ['consume', 'produce'],
    });
    expect(await admin.topics.getDeduplication(`persistent://${ns}/predictions`)).toBe(true);
    expect(await admin.topics.getDeduplication(`persistent://${ns}/events`)).toBe(false);
    expect(await admin.topics.getCompactionThresholdBytes(`persistent://${ns}/state`)).toBe(100 * 1024 * 1024);
    expect(await admin.topics.getCompactionThresholdBytes(`persistent://${ns}/models`)).toBe(10 * 1024 * 1024);
    // #21: the audit trail is kept forever; other topics keep the namespace's retention.
    expect(await admin.topics.getRetention(`persistent://${ns}/audit`)).toEqual({ retentionTimeInMinutes: -1, retentionSizeInMB: -1 });
    expect(await admin.topics.getRetention(`persistent://${ns}/predictions`)).toBeNull();
  });

  it('a second apply reports no changes', async () => {
    const second = await plan(config);
    expect(second.changes).toEqual([]);
    expect((await applyTenantPlan(admin, second)).applied).toEqual([]);
  });

  it('plan after manual changes shows exactly those changes, and apply reverts them', async () => {
    await admin.namespaces.setMessageTtlSeconds(`${tenant}/eu-west`, 60);
    await admin.topics.grantPermissions(`persistent://${tenant}/central/audit`, 'intruder', ['consume']);
    const drift = await plan(config);
    expect(drift.changes).toEqual([
      { op: 'set-message-ttl', target: `${tenant}/eu-west`, before: 60, after: 259200 },
      { op: 'revoke-topic-permission', target: `persistent://${tenant}/central/audit`, key: 'intruder', before: ['consume'], after: null },
    ]);
    await applyTenantPlan(admin, drift);
    expect((await plan(config)).changes).toEqual([]);
  });
});

describe('tenant apply after a half-way failure', () => {
  it('fails naming the step, then a re-run applies exactly the rest', async () => {
    const tenant = uniqueName('half');
    created.push(tenant);
    const config = spec(tenant, (d) => {
      d['regions'] = [{ name: 'central', cluster: 'central' }];
      delete d['replication'];
    });
    const full = await plan(config);
    // A broker that goes away after 20 writes.
    let writes = 0;
    const flaky: FetchLike = async (url, init) => {
      if (init.method !== 'GET' && ++writes > 20) throw new TypeError('fetch failed');
      return fetch(url, init);
    };
    const broken = new PulsarAdmin({ url: env.adminUrl, fetch: flaky, ...(env.token === undefined ? {} : { token: env.token }) });
    const err = await applyTenantPlan(broken, full).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BL_TENANT_APPLY_FAILED', retriable: true, details: { step: 21, appliedSteps: 20 } });
    expect((err as Error).message).toContain('re-run apply to continue');

    const rest = await plan(config);
    expect(rest.changes).toEqual(full.changes.slice(20));
    await applyTenantPlan(admin, rest);
    expect((await plan(config)).changes).toEqual([]);
  });
});
