import { isAdminStatus, type PulsarAdmin } from '../../functions/control-plane.ts';
import type { TenantConfig } from '../definition/index.ts';
import type { ObservedNamespace, ObservedTenant, ObservedTopic } from './types.ts';

const PARTITION_SUFFIX = /-partition-\d+$/;

/**
 * Read everything Beamline manages for one tenant. Read-only. When `config` is given, also
 * reads the clusters it manages; otherwise describes whatever the tenant holds.
 */
export async function observeTenant(admin: PulsarAdmin, tenant: string, config?: TenantConfig): Promise<ObservedTenant> {
  const clusterNames = await admin.clusters.list();
  const clusters: Record<string, { serviceUrl?: string; brokerServiceUrl?: string }> = {};
  for (const name of clusterNames) clusters[name] = {};
  for (const c of config?.clusters ?? []) {
    if (!clusterNames.includes(c.name)) continue;
    const d = await admin.clusters.get(c.name);
    clusters[c.name] = {
      ...(d.serviceUrl === undefined ? {} : { serviceUrl: d.serviceUrl }),
      ...(d.brokerServiceUrl === undefined ? {} : { brokerServiceUrl: d.brokerServiceUrl }),
    };
  }

  const info = await orNull(admin.tenants.get(tenant));
  if (info === null) return { clusters, tenant: null, namespaces: {} };

  const namespaces: Record<string, ObservedNamespace> = {};
  const names = await admin.namespaces.list(tenant);
  // Namespaces in parallel, topics within each in parallel: a 3-region tenant is ~100 GETs.
  await Promise.all(
    names.map(async (ns) => {
      namespaces[ns] = await observeNamespace(admin, ns);
    }),
  );
  return {
    clusters,
    tenant: { adminRoles: [...info.adminRoles].sort(), allowedClusters: [...info.allowedClusters].sort() },
    namespaces: sortKeys(namespaces),
  };
}

async function observeNamespace(admin: PulsarAdmin, ns: string): Promise<ObservedNamespace> {
  const [policies, partitioned, plain] = await Promise.all([
    admin.namespaces.getPolicies(ns),
    admin.topics.listPartitioned(ns),
    admin.topics.list(ns),
  ]);
  const destAuth = policies.auth_policies?.destination_auth ?? {};
  const topicNames = [...new Set([...partitioned, ...plain.filter((t) => !PARTITION_SUFFIX.test(t))])].sort();
  const topics: Record<string, ObservedTopic> = {};
  await Promise.all(
    topicNames.map(async (name) => {
      const isPartitioned = partitioned.includes(name);
      const [meta, dedup, threshold, schema, replication, retention] = await Promise.all([
        isPartitioned ? admin.topics.getPartitionedMetadata(name) : Promise.resolve({ partitions: 0 }),
        orNull(admin.topics.getDeduplication(name)),
        orNull(admin.topics.getCompactionThresholdBytes(name)),
        admin.schemas.get(name),
        // Only namespaces on several clusters carry topic-level replication (geo, #19).
        (policies.replication_clusters ?? []).length > 1 ? orNull(admin.topics.getReplicationClusters(name)) : Promise.resolve(null),
        orNull(admin.topics.getRetention(name)),
      ]);
      topics[name] = {
        partitions: meta.partitions,
        deduplication: dedup,
        compactionThresholdBytes: threshold,
        schema: schema === null ? null : { type: schema.type, data: schema.data, version: schema.version ?? 0 },
        permissions: sortedGrants(destAuth[name] ?? {}),
        replicationClusters: replication === null ? null : [...replication].sort(),
        retention,
      };
    }),
  );
  const quota = policies.backlog_quota_map?.destination_storage;
  return {
    replicationClusters: [...(policies.replication_clusters ?? [])].sort(),
    retention: policies.retention_policies ?? null,
    messageTtlSeconds: policies.message_ttl_in_seconds ?? null,
    backlogQuota: quota === undefined ? null : { limitSize: quota.limitSize, limitTime: quota.limitTime, policy: quota.policy },
    compatibility: policies.schema_compatibility_strategy ?? null,
    validationEnforced: policies.schema_validation_enforced ?? false,
    properties: sortKeys(policies.properties ?? {}),
    permissions: sortedGrants(policies.auth_policies?.namespace_auth ?? {}),
    topics: sortKeys(topics),
  };
}

function sortedGrants(g: Record<string, readonly string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(g)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([role, actions]) => [role, [...actions].sort()]),
  );
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isAdminStatus(err, 404)) return null;
    throw err;
  }
}
