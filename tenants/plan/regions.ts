/**
 * Apply one tenant spec to every region's cluster (geo, #19). Clusters do not share metadata, so
 * each one gets the tenant (allowed on every cluster), the cluster entries of its peers, and every
 * namespace whose replication list names it, with the same topics, topic-level replication and
 * schemas. Before anything changes, a schema pre-flight checks that every replicated topic can
 * hold the same schema in every region: the replicator registers the producer's schema on the
 * remote cluster and stalls when the remote refuses it (apache/pulsar#25012).
 */
import { BeamlineError } from '../../functions/index.ts';
import type { AdminSchemaInfo as SchemaInfo, PulsarAdmin } from '../../functions/control-plane.ts';
import { canonicalJson, type DesiredRegion, type DesiredTopic, type TenantConfig } from '../definition/index.ts';
import { applyTenantPlan } from './apply.ts';
import { diffTenant } from './diff.ts';
import { observeTenant } from './observe.ts';
import type { Change, TenantPlan } from './types.ts';
import { TENANTS_ERROR_CODES } from '../errors.ts';

/** One admin client per cluster name. */
export type RegionAdmins = ReadonlyMap<string, PulsarAdmin>;

export interface RegionPlan {
  readonly cluster: string;
  /** Regions of the spec that map to this cluster. */
  readonly regions: readonly string[];
  readonly plan: TenantPlan;
}

/**
 * The part of a spec that lives on one cluster: the namespaces whose replication names it, and in
 * them the topics that live there (a topic whose own replication leaves this cluster out, like
 * central's events on an edge, is not created there: Pulsar refuses a topic-level policy that
 * drops the local cluster).
 */
export function configForCluster(config: TenantConfig, cluster: string): TenantConfig {
  const namespaces = config.namespaces
    .filter((ns) => ns.replicationClusters.includes(cluster))
    .map((ns) =>
      Object.freeze({
        ...ns,
        topics: Object.freeze(ns.topics.filter((t) => t.replicationClusters === null || t.replicationClusters.includes(cluster))),
      }),
    );
  return Object.freeze({ ...config, namespaces: Object.freeze(namespaces) });
}

/** Clusters in apply order: central's first (it hosts models), then the others in spec order. */
export function regionClusters(config: TenantConfig): { cluster: string; regions: DesiredRegion[] }[] {
  const out = new Map<string, DesiredRegion[]>();
  const ordered = [...config.regions].sort((a, b) => Number(b.name === 'central') - Number(a.name === 'central'));
  for (const r of ordered) out.set(r.cluster, [...(out.get(r.cluster) ?? []), r]);
  return [...out].map(([cluster, regions]) => ({ cluster, regions }));
}

function adminFor(admins: RegionAdmins, cluster: string): PulsarAdmin {
  const admin = admins.get(cluster);
  if (admin === undefined) {
    throw new BeamlineError(
      TENANTS_ERROR_CODES.configInvalid,
      `no admin URL for cluster ${cluster}: give its region an adminUrl in the spec (or apply with --admin-url and --local-cluster)`,
      {
        details: { field: 'regions[].adminUrl', cluster },
      },
    );
  }
  return admin;
}

export async function planAcrossRegions(config: TenantConfig, admins: RegionAdmins): Promise<RegionPlan[]> {
  const plans: RegionPlan[] = [];
  for (const { cluster, regions } of regionClusters(config)) {
    const part = configForCluster(config, cluster);
    const admin = adminFor(admins, cluster);
    plans.push({ cluster, regions: regions.map((r) => r.name), plan: diffTenant(part, await observeTenant(admin, config.tenant, part)) });
  }
  return plans;
}

/** What one region holds for a replicated topic, as the pre-flight saw it. */
export interface RegionSchema {
  readonly cluster: string;
  readonly schema: SchemaInfo | null;
}

export interface SchemaMismatch {
  readonly topic: string;
  readonly a: RegionSchema;
  readonly b: RegionSchema;
  readonly reason: string;
}

/**
 * Every replicated topic's schema, region by region. Passes when all regions that hold a schema
 * hold the same one, or when the ones that differ will all become the spec's schema on apply
 * (each region's broker accepts it under the topic's strategy). Otherwise throws
 * `BL_GEO_SCHEMA_MISMATCH` naming the topic, both versions and the fix.
 */
export async function checkReplicatedSchemas(config: TenantConfig, admins: RegionAdmins): Promise<void> {
  const mismatches: SchemaMismatch[] = [];
  for (const ns of config.namespaces) {
    for (const t of ns.topics) {
      if (t.replicationClusters === null || t.replicationClusters.length < 2) continue;
      const held: RegionSchema[] = [];
      for (const cluster of t.replicationClusters) held.push({ cluster, schema: await adminFor(admins, cluster).schemas.get(t.name) });
      const m = await topicMismatch(t, held, admins);
      if (m !== undefined) mismatches.push(m);
    }
  }
  if (mismatches.length > 0) {
    const lines = mismatches.map((m) => `  - ${m.topic}: ${describe(m.a)} vs ${describe(m.b)}: ${m.reason}`);
    throw new BeamlineError(
      TENANTS_ERROR_CODES.geoSchemaMismatch,
      `schema pre-flight for tenant ${config.tenant}: replicated topics differ between regions; nothing was applied:\n${lines.join('\n')}\n` +
        'fix: make every region hold the same schema before anything is produced: evolve the schema compatibly in the spec and apply again, ' +
        'or delete the stray version in the region that diverged (`DELETE /admin/v2/schemas/<tenant>/<ns>/<topic>/schema` there) and re-run apply',
      {
        details: {
          tenant: config.tenant,
          mismatches: mismatches.map((m) => ({ topic: m.topic, a: summary(m.a), b: summary(m.b), reason: m.reason })),
        },
      },
    );
  }
}

async function topicMismatch(t: DesiredTopic, held: RegionSchema[], admins: RegionAdmins): Promise<SchemaMismatch | undefined> {
  const present = held.filter((h) => h.schema !== null);
  const distinct = new Map<string, RegionSchema>();
  for (const h of present) distinct.set(fingerprint(h.schema), h);
  const wanted = t.schema === null ? undefined : canonicalKey(t.schema.type, t.schema.data);
  // Every region already agrees, and either the spec has no schema or the spec's is what they hold.
  if (distinct.size <= 1 && (wanted === undefined || distinct.size === 0 || distinct.has(wanted))) return undefined;
  if (t.schema === null) {
    const [a, b] = [...distinct.values()];
    return a === undefined || b === undefined
      ? undefined
      : { topic: t.name, a, b, reason: 'the spec declares no schema for it, so apply cannot bring the regions together' };
  }
  // The regions will converge on the spec's schema only if each region that holds another one accepts it.
  for (const h of present) {
    if (fingerprint(h.schema) === wanted) continue;
    const check = await adminFor(admins, h.cluster).schemas.checkCompatibility(t.name, { type: t.schema.type, data: t.schema.data });
    if (!check.isCompatible) {
      const other = present.find((x) => x.cluster !== h.cluster && fingerprint(x.schema) !== fingerprint(h.schema)) ?? {
        cluster: 'spec',
        schema: { type: t.schema.type, data: t.schema.data },
      };
      return {
        topic: t.name,
        a: h,
        b: other,
        reason: `${h.cluster} refuses the spec's schema under ${check.schemaCompatibilityStrategy}${check.reason === undefined ? '' : ` (${check.reason.slice(0, 200)})`}`,
      };
    }
  }
  return undefined;
}

/** After apply: every replicated topic with a spec schema holds exactly that schema in every region. */
export async function verifyReplicatedSchemas(config: TenantConfig, admins: RegionAdmins): Promise<void> {
  for (const ns of config.namespaces) {
    for (const t of ns.topics) {
      if (t.replicationClusters === null || t.replicationClusters.length < 2 || t.schema === null) continue;
      const wanted = canonicalKey(t.schema.type, t.schema.data);
      for (const cluster of t.replicationClusters) {
        const schema = await adminFor(admins, cluster).schemas.get(t.name);
        if (fingerprint(schema) !== wanted) {
          throw new BeamlineError(
            TENANTS_ERROR_CODES.geoSchemaMismatch,
            `after apply, ${t.name} on ${cluster} does not hold the spec's schema (${describe({ cluster, schema })}); re-run apply, and check that nothing else writes schemas there`,
            {
              retriable: true,
              details: { topic: t.name, cluster },
            },
          );
        }
      }
    }
  }
}

export interface RegionApplyResult {
  readonly cluster: string;
  readonly applied: readonly Change[];
}

/**
 * Plan every region, refuse while any region has blockers or the schema pre-flight fails, then
 * apply region by region (central first). Re-running resumes, as each plan is recomputed.
 */
export async function applyAcrossRegions(
  config: TenantConfig,
  admins: RegionAdmins,
  onStep?: (cluster: string, change: Change, index: number, total: number) => void,
): Promise<RegionApplyResult[]> {
  const plans = await planAcrossRegions(config, admins);
  const blockers = plans.flatMap((p) => p.plan.blockers.map((b) => `${p.cluster}: ${b}`));
  if (blockers.length > 0) {
    throw new BeamlineError(
      TENANTS_ERROR_CODES.applyBlocked,
      `cannot apply tenant ${config.tenant}:\n${blockers.map((b) => `  - ${b}`).join('\n')}`,
      { details: { tenant: config.tenant, blockers } },
    );
  }
  await checkReplicatedSchemas(config, admins);
  // Two passes: a topic-level replication policy is pushed to the remote clusters it names at
  // once, so it fails ("Namespace not found") until every region holds its namespaces and topics.
  const applied = new Map<string, Change[]>();
  for (const pass of ['structure', 'topic-replication'] as const) {
    for (const p of plans) {
      const changes = p.plan.changes.filter((c) => (c.op === 'set-topic-replication') === (pass === 'topic-replication'));
      const part: TenantPlan = { ...p.plan, changes };
      const done = applied.get(p.cluster) ?? [];
      const r = await applyTenantPlan(adminFor(admins, p.cluster), part, (c) => {
        onStep?.(p.cluster, c, done.length, p.plan.changes.length);
        done.push(c);
      });
      applied.set(p.cluster, done);
      void r;
    }
  }
  const results: RegionApplyResult[] = plans.map((p) => ({ cluster: p.cluster, applied: applied.get(p.cluster) ?? [] }));
  await verifyReplicatedSchemas(config, admins);
  return results;
}

function canonicalKey(type: string, data: string): string {
  try {
    return `${type}:${canonicalJson(JSON.parse(data))}`;
  } catch {
    return `${type}:${data}`;
  }
}

function fingerprint(s: SchemaInfo | null): string {
  return s === null ? 'none' : canonicalKey(s.type, s.data);
}

function summary(h: RegionSchema): Record<string, unknown> {
  if (h.schema === null) return { cluster: h.cluster, schema: null };
  let name: string | undefined;
  let fields: string[] | undefined;
  try {
    const parsed = JSON.parse(h.schema.data) as { name?: string; fields?: { name: string }[] };
    name = parsed.name;
    fields = parsed.fields?.map((f) => f.name);
  } catch {
    // not JSON: type only
  }
  return { cluster: h.cluster, version: h.schema.version ?? null, type: h.schema.type, name, fields };
}

function describe(h: RegionSchema): string {
  const s = summary(h);
  if (h.schema === null) return `${h.cluster} holds no schema`;
  const fields = Array.isArray(s['fields']) ? ` fields [${(s['fields'] as string[]).join(', ')}]` : '';
  return `${h.cluster} ${h.cluster === 'spec' ? 'declares' : `holds v${String(s['version'] ?? '?')}`} ${String(s['type'])} ${String(s['name'] ?? '')}${fields}`;
}
