import { describe, expect, it } from 'vitest';
import { diffTenant, formatPlan, type ObservedNamespace, type ObservedTenant, type ObservedTopic } from '../../tenants/plan/index.ts';
import { loadTenantSpecFile, type TenantConfig } from '../../tenants/definition/index.ts';

const local = loadTenantSpecFile('tenants/acme-payments.yaml', { localCluster: 'standalone' });
const multi = loadTenantSpecFile('tenants/acme-payments.yaml');

/** The cluster state a successful apply of `config` leaves behind. */
function matching(config: TenantConfig): ObservedTenant {
  const namespaces: Record<string, ObservedNamespace> = {};
  for (const ns of config.namespaces) {
    const topics: Record<string, ObservedTopic> = {};
    ns.topics.forEach((t, i) => {
      topics[t.name] = {
        partitions: t.partitions,
        deduplication: t.deduplication,
        compactionThresholdBytes: t.compactionThresholdBytes,
        // The broker hands back whatever JSON text was uploaded: key order must not matter.
        schema: t.schema === null ? null : { type: 'AVRO', data: JSON.stringify(JSON.parse(t.schema.data), null, 2), version: i },
        permissions: t.permissions,
        replicationClusters: t.replicationClusters,
        retention: t.retention,
      };
    });
    namespaces[ns.name] = {
      replicationClusters: ns.replicationClusters,
      retention: ns.retention,
      messageTtlSeconds: ns.messageTtlSeconds,
      backlogQuota: ns.backlogQuota,
      compatibility: ns.compatibility,
      validationEnforced: ns.validationEnforced,
      properties: { ...ns.properties, 'team.owner': 'fraud' },
      permissions: {},
      topics,
    };
  }
  const clusters: Record<string, { serviceUrl?: string; brokerServiceUrl?: string }> = { standalone: {} };
  for (const c of config.clusters) clusters[c.name] = { serviceUrl: c.serviceUrl, brokerServiceUrl: c.brokerServiceUrl };
  return { clusters, tenant: { adminRoles: config.adminRoles, allowedClusters: config.allowedClusters }, namespaces };
}

interface LooseTopic {
  partitions: number;
  permissions: Record<string, string[]>;
  schema: { data: string };
}
interface LooseNamespace {
  messageTtlSeconds: number;
  permissions: Record<string, string[]>;
  properties: Record<string, string>;
  topics: Record<string, LooseTopic>;
}
interface LooseTenant {
  tenant: unknown;
  namespaces: Record<string, LooseNamespace>;
}

/** A deep copy of `o` changed by `f`, as a manual edit on the cluster would. */
function mutate(o: ObservedTenant, f: (x: LooseTenant) => void): ObservedTenant {
  const copy = structuredClone(o) as unknown as LooseTenant;
  f(copy);
  return copy as unknown as ObservedTenant;
}

function ns(o: LooseTenant, name: string): LooseNamespace {
  const n = o.namespaces[name];
  if (n === undefined) throw new Error(`no namespace ${name}`);
  return n;
}

function topic(o: LooseTenant, name: string): LooseTopic {
  const t = ns(o, name.replace(/^persistent:\/\/([^/]+\/[^/]+)\/.*$/, '$1')).topics[name];
  if (t === undefined) throw new Error(`no topic ${name}`);
  return t;
}

describe('diffTenant', () => {
  it('plans everything, in dependency order, against an empty cluster', () => {
    const plan = diffTenant(local, { clusters: { standalone: {} }, tenant: null, namespaces: {} });
    const ops = plan.changes.map((c) => c.op);
    expect(ops[0]).toBe('create-tenant');
    expect(ops.filter((o) => o === 'create-namespace')).toHaveLength(3);
    expect(ops.filter((o) => o === 'create-topic')).toHaveLength(33);
    expect(ops.filter((o) => o === 'upload-schema')).toHaveLength(18);
    const idx = (op: string, target: string): number => plan.changes.findIndex((c) => c.op === op && c.target === target);
    const events = 'persistent://acme-payments/us-east/events';
    expect(idx('create-namespace', 'acme-payments/us-east')).toBeLessThan(idx('set-retention', 'acme-payments/us-east'));
    expect(idx('set-retention', 'acme-payments/us-east')).toBeLessThan(idx('set-backlog-quota', 'acme-payments/us-east'));
    expect(idx('create-topic', events)).toBeLessThan(idx('upload-schema', events));
    expect(idx('upload-schema', events)).toBeLessThan(idx('grant-topic-permission', events));
    expect(plan.blockers).toEqual([]);
    expect(plan.changes.find((c) => c.op === 'create-namespace')?.after).toEqual({ replicationClusters: ['standalone'] });
  });

  it('reports no changes when the cluster matches (and ignores foreign properties)', () => {
    const plan = diffTenant(local, matching(local));
    expect(plan.changes).toEqual([]);
    expect(formatPlan(plan)).toContain('no changes');
  });

  it('shows exactly one change after one manual change', () => {
    const observed = mutate(matching(local), (o) => {
      ns(o, 'acme-payments/eu-west').messageTtlSeconds = 60;
    });
    const plan = diffTenant(local, observed);
    expect(plan.changes).toEqual([{ op: 'set-message-ttl', target: 'acme-payments/eu-west', before: 60, after: 259200 }]);
    expect(formatPlan(plan)).toContain('~ set-message-ttl acme-payments/eu-west: 60 -> 259200');
  });

  it('revokes grants the spec does not give, at topic and namespace level', () => {
    const observed = mutate(matching(local), (o) => {
      ns(o, 'acme-payments/central').permissions['intruder'] = ['consume', 'produce'];
      topic(o, 'persistent://acme-payments/central/events').permissions['acme-payments-analyst'] = ['consume'];
      // Analysts consume and produce review; audit is never theirs (#21).
      topic(o, 'persistent://acme-payments/central/audit').permissions['acme-payments-analyst'] = ['produce'];
    });
    const plan = diffTenant(local, observed);
    expect(plan.changes.map((c) => [c.op, c.target, c.key])).toEqual([
      ['revoke-namespace-permission', 'acme-payments/central', 'intruder'],
      ['revoke-topic-permission', 'persistent://acme-payments/central/events', 'acme-payments-analyst'],
      ['revoke-topic-permission', 'persistent://acme-payments/central/audit', 'acme-payments-analyst'],
    ]);
  });

  it('grows partitions but blocks shrinking them', () => {
    const grow = mutate(matching(local), (o) => {
      topic(o, 'persistent://acme-payments/us-east/events').partitions = 4;
    });
    expect(diffTenant(local, grow).changes).toEqual([
      { op: 'update-partitions', target: 'persistent://acme-payments/us-east/events', before: 4, after: 8 },
    ]);
    const shrink = mutate(matching(local), (o) => {
      topic(o, 'persistent://acme-payments/us-east/events').partitions = 16;
    });
    const plan = diffTenant(local, shrink);
    expect(plan.changes).toEqual([]);
    expect(plan.blockers[0]).toContain('has 16 partitions');
  });

  it('uploads a new schema version only when the definition changed', () => {
    const observed = mutate(matching(local), (o) => {
      const t = topic(o, 'persistent://acme-payments/us-east/audit');
      const s = JSON.parse(t.schema.data) as { fields: unknown[] };
      s.fields.pop();
      t.schema.data = JSON.stringify(s);
    });
    const plan = diffTenant(local, observed);
    expect(plan.changes.map((c) => [c.op, c.target])).toEqual([['upload-schema', 'persistent://acme-payments/us-east/audit']]);
    expect(formatPlan(plan)).toContain('new version after v7');
  });

  it('shrinks the backlog quota before retention when retention shrinks', () => {
    const observed = mutate(matching(local), (o) => {
      const n = ns(o, 'acme-payments/us-east') as unknown as {
        retention: { retentionTimeInMinutes: number; retentionSizeInMB: number };
        backlogQuota: { limitSize: number };
      };
      n.retention = { retentionTimeInMinutes: 10080, retentionSizeInMB: 40960 };
      n.backlogQuota = { ...n.backlogQuota, limitSize: 30 * 1024 ** 3 };
    });
    expect(diffTenant(local, observed).changes.map((c) => c.op)).toEqual(['set-backlog-quota', 'set-retention']);
  });

  it('keeps the audit trail forever by default: a topic retention on audit only, re-set when it drifts (#21)', () => {
    const audit = local.namespaces[0]?.topics.find((t) => t.kind === 'audit');
    expect(audit?.retention).toEqual({ retentionTimeInMinutes: -1, retentionSizeInMB: -1 });
    expect(local.namespaces[0]?.topics.filter((t) => t.retention !== null).map((t) => t.kind)).toEqual(['audit']);
    const observed = mutate(matching(local), (o) => {
      (topic(o, 'persistent://acme-payments/us-east/audit') as unknown as { retention: unknown }).retention = null;
    });
    const plan = diffTenant(local, observed);
    expect(plan.changes.map((c) => [c.op, c.target, c.after])).toEqual([
      ['set-topic-retention', 'persistent://acme-payments/us-east/audit', { retentionTimeInMinutes: -1, retentionSizeInMB: -1 }],
    ]);
    expect(formatPlan(plan)).toContain('~ set-topic-retention persistent://acme-payments/us-east/audit: {"retentionTimeInMinutes":-1');
  });

  it('removes stale beamline.* properties and leaves other properties alone', () => {
    const observed = mutate(matching(local), (o) => {
      ns(o, 'acme-payments/us-east').properties['beamline.topic.old.pii'] = 'x';
    });
    expect(diffTenant(local, observed).changes).toEqual([
      { op: 'remove-property', target: 'acme-payments/us-east', key: 'beamline.topic.old.pii', before: 'x', after: null },
    ]);
  });

  it('creates missing clusters that have URLs and blocks ones that have none', () => {
    const plan = diffTenant(multi, { clusters: { standalone: {} }, tenant: null, namespaces: {} });
    expect(plan.changes.slice(0, 3).map((c) => [c.op, c.target])).toEqual([
      ['create-cluster', 'us-east'],
      ['create-cluster', 'eu-west'],
      ['create-cluster', 'central'],
    ]);
    const noUrls = { ...multi, clusters: [] };
    expect(diffTenant(noUrls, { clusters: {}, tenant: null, namespaces: {} }).blockers).toHaveLength(3);
  });

  it('updates the tenant when admin roles drift, and notes namespaces outside the spec', () => {
    const observed = mutate(matching(local), (o) => {
      o.tenant = { adminRoles: ['someone-else'], allowedClusters: ['standalone'] };
      o.namespaces['acme-payments/scratch'] = structuredClone(ns(o, 'acme-payments/central'));
    });
    const plan = diffTenant(local, observed);
    expect(plan.changes.map((c) => c.op)).toEqual(['update-tenant']);
    expect(plan.notes.join('\n')).toContain('acme-payments/scratch');
  });
});
