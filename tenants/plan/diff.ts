import { PROPERTY_PREFIX, canonicalJson, type DesiredNamespace, type DesiredTopic, type TenantConfig } from '../definition/index.ts';
import type { Change, ChangeOp, ObservedNamespace, ObservedTenant, ObservedTopic, TenantPlan } from './types.ts';

/**
 * The ordered difference between spec and cluster. Pure: unit tests feed it an in-memory
 * `ObservedTenant`. Order follows dependencies (cluster, tenant, namespace, policies, topics,
 * schemas, grants), so a half-applied plan re-plans to just the remaining steps.
 */
export function diffTenant(config: TenantConfig, observed: ObservedTenant): TenantPlan {
  const changes: Change[] = [];
  const blockers: string[] = [];
  const notes: string[] = [];
  const add = (op: ChangeOp, target: string, before: unknown, after: unknown, key?: string): void => {
    changes.push({ op, target, ...(key === undefined ? {} : { key }), before, after });
  };

  for (const c of config.clusters) {
    const cur = observed.clusters[c.name];
    const want = { serviceUrl: c.serviceUrl, brokerServiceUrl: c.brokerServiceUrl };
    if (cur === undefined) add('create-cluster', c.name, null, want);
    else if (cur.serviceUrl !== c.serviceUrl || cur.brokerServiceUrl !== c.brokerServiceUrl) add('update-cluster', c.name, cur, want);
  }
  const managed = new Set(config.clusters.map((c) => c.name));
  for (const name of config.allowedClusters) {
    if (!managed.has(name) && observed.clusters[name] === undefined) {
      blockers.push(
        `cluster ${name} does not exist: give serviceUrl and adminUrl for its region, or map regions to an existing cluster with --local-cluster`,
      );
    }
  }

  const tenantInfo = { adminRoles: [...config.adminRoles], allowedClusters: [...config.allowedClusters] };
  if (observed.tenant === null) add('create-tenant', config.tenant, null, tenantInfo);
  else if (!sameList(observed.tenant.adminRoles, config.adminRoles) || !sameList(observed.tenant.allowedClusters, config.allowedClusters)) {
    add('update-tenant', config.tenant, observed.tenant, tenantInfo);
  }

  for (const ns of config.namespaces) diffNamespace(ns, observed.namespaces[ns.name], add, blockers, notes);

  const wanted = new Set(config.namespaces.map((n) => n.name));
  for (const name of Object.keys(observed.namespaces)) {
    if (!wanted.has(name)) notes.push(`namespace ${name} is not in the spec; left as is (delete it by hand if it is obsolete)`);
  }
  return { tenant: config.tenant, changes, blockers, notes };
}

type Add = (op: ChangeOp, target: string, before: unknown, after: unknown, key?: string) => void;

const EMPTY_NAMESPACE: ObservedNamespace = {
  replicationClusters: [],
  retention: null,
  messageTtlSeconds: null,
  backlogQuota: null,
  compatibility: null,
  validationEnforced: false,
  properties: {},
  permissions: {},
  topics: {},
};

function diffNamespace(ns: DesiredNamespace, found: ObservedNamespace | undefined, add: Add, blockers: string[], notes: string[]): void {
  const cur = found ?? EMPTY_NAMESPACE;
  // Replication is set at creation, so a new namespace never replicates anywhere the spec does not say.
  if (found === undefined) add('create-namespace', ns.name, null, { replicationClusters: [...ns.replicationClusters] });
  else if (!sameList(cur.replicationClusters, ns.replicationClusters))
    add('set-replication', ns.name, cur.replicationClusters, [...ns.replicationClusters]);
  // Pulsar refuses a backlog quota at or above the retention size, so when retention shrinks the
  // quota must shrink first, and when it grows retention must grow first.
  const retention = (): void => {
    if (!sameJson(cur.retention, ns.retention)) add('set-retention', ns.name, cur.retention, ns.retention);
  };
  const quota = (): void => {
    if (!sameJson(cur.backlogQuota, ns.backlogQuota)) add('set-backlog-quota', ns.name, cur.backlogQuota, ns.backlogQuota);
  };
  const shrinking =
    cur.retention !== null &&
    ns.retention.retentionSizeInMB >= 0 &&
    (cur.retention.retentionSizeInMB < 0 || ns.retention.retentionSizeInMB < cur.retention.retentionSizeInMB);
  if (shrinking) {
    quota();
    retention();
  } else {
    retention();
    quota();
  }
  if (cur.messageTtlSeconds !== ns.messageTtlSeconds) add('set-message-ttl', ns.name, cur.messageTtlSeconds, ns.messageTtlSeconds);
  if (cur.compatibility !== ns.compatibility) add('set-schema-compatibility', ns.name, cur.compatibility, ns.compatibility);
  if (cur.validationEnforced !== ns.validationEnforced)
    add('set-schema-validation', ns.name, cur.validationEnforced, ns.validationEnforced);

  const changedProps: Record<string, string> = {};
  const beforeProps: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(ns.properties)) {
    if (cur.properties[k] !== v) {
      changedProps[k] = v;
      beforeProps[k] = cur.properties[k] ?? null;
    }
  }
  if (Object.keys(changedProps).length > 0)
    add('set-properties', ns.name, Object.values(beforeProps).every((v) => v === null) ? null : beforeProps, changedProps);
  for (const [k, v] of Object.entries(cur.properties)) {
    if (k.startsWith(PROPERTY_PREFIX) && !(k in ns.properties)) add('remove-property', ns.name, v, null, k);
  }
  // Least privilege: a namespace-wide grant reaches every topic, so Beamline grants per topic only.
  for (const [role, actions] of Object.entries(cur.permissions)) add('revoke-namespace-permission', ns.name, actions, null, role);

  for (const t of ns.topics) diffTopic(t, cur.topics[t.name], add, blockers);
  const wanted = new Set(ns.topics.map((t) => t.name));
  for (const name of Object.keys(cur.topics)) if (!wanted.has(name)) notes.push(`topic ${name} is not in the spec; left as is`);
}

function diffTopic(t: DesiredTopic, found: ObservedTopic | undefined, add: Add, blockers: string[]): void {
  if (found === undefined) add('create-topic', t.name, null, { partitions: t.partitions });
  else if (found.partitions === 0) {
    blockers.push(
      `topic ${t.name} exists as a non-partitioned topic; the spec wants ${t.partitions} partitions (delete it or change the spec)`,
    );
    return;
  } else if (found.partitions < t.partitions) add('update-partitions', t.name, found.partitions, t.partitions);
  else if (found.partitions > t.partitions) {
    blockers.push(
      `topic ${t.name} has ${found.partitions} partitions; the spec asks for ${t.partitions} but Pulsar cannot remove partitions (set partitions: ${found.partitions})`,
    );
  }
  const cur: ObservedTopic = found ?? { partitions: 0, deduplication: null, compactionThresholdBytes: null, schema: null, permissions: {} };
  // Only an explicit topic policy counts: unset (null) would inherit the namespace/broker default.
  if (cur.deduplication !== t.deduplication) add('set-topic-deduplication', t.name, cur.deduplication, t.deduplication);
  if (t.compactionThresholdBytes !== null && cur.compactionThresholdBytes !== t.compactionThresholdBytes) {
    add('set-topic-compaction-threshold', t.name, cur.compactionThresholdBytes, t.compactionThresholdBytes);
  }
  if (t.replicationClusters !== null && (cur.replicationClusters == null || !sameList(cur.replicationClusters, t.replicationClusters))) {
    add('set-topic-replication', t.name, cur.replicationClusters ?? null, [...t.replicationClusters]);
  }
  if (t.retention !== null && (cur.retention == null || !sameJson(cur.retention, t.retention))) {
    add('set-topic-retention', t.name, cur.retention ?? null, t.retention);
  }
  if (t.schema !== null && (cur.schema === null || cur.schema.type !== t.schema.type || !sameSchema(cur.schema.data, t.schema.data))) {
    add('upload-schema', t.name, cur.schema === null ? null : { version: cur.schema.version }, t.schema);
  }
  for (const [role, actions] of Object.entries(t.permissions)) {
    const have = cur.permissions[role];
    if (have === undefined || !sameList(have, actions)) add('grant-topic-permission', t.name, have ?? null, [...actions], role);
  }
  for (const [role, actions] of Object.entries(cur.permissions)) {
    if (!(role in t.permissions)) add('revoke-topic-permission', t.name, actions, null, role);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sameSchema(stored: string, wanted: string): boolean {
  try {
    return canonicalJson(JSON.parse(stored)) === wanted;
  } catch {
    return false;
  }
}
