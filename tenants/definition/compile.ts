import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import avsc from 'avsc';
import { LABEL_SCHEMA, type BacklogQuota, type BacklogQuotaPolicy, type RetentionPolicy } from '../../functions/control-plane.ts';
import {
  BACKLOG_POLICIES,
  BUILT_IN_TOPICS,
  PARTITIONED_LIKE_EVENTS,
  CENTRAL_REGION,
  CENTRAL_TO_EDGE_TOPICS,
  EDGE_TO_CENTRAL_TOPICS,
  COMPACTED_TOPICS,
  COMPATIBILITY_STRATEGIES,
  DATA_TOPICS,
  DEFAULT_GRANTS,
  OUTPUT_TOPICS,
  SENSITIVITY_LEVELS,
  TOPIC_KINDS,
  propertyKeys,
  type Action,
  type CompatibilityStrategy,
  type RoleKind,
  type Sensitivity,
  type TopicKind,
} from './catalog.ts';
import { Problems, TenantSpecError, suggest } from './problems.ts';
import type { CompileTenantSpecOptions, DesiredCluster, DesiredNamespace, DesiredSchema, DesiredTopic, TenantConfig } from './types.ts';
import { DURATION_FIX, SIZE_FIX, parseDurationMs, parseSizeBytes } from './units.ts';

const TOP_LEVEL_KEYS = [
  'tenant',
  'adminRoles',
  'regions',
  'roles',
  'schemaCompatibility',
  'schemaValidationEnforced',
  'retention',
  'messageTtl',
  'backlogQuota',
  'topics',
  'grants',
  'replication',
];
const TOPIC_KEYS = [
  'partitions',
  'sensitivity',
  'schema',
  'schemaFile',
  'pii',
  'piiKey',
  'dataSubject',
  'deduplication',
  'compactionThreshold',
  'retention',
];
const REGION_KEYS = ['name', 'cluster', 'serviceUrl', 'adminUrl', 'partitions'];
const ROLE_KINDS: readonly RoleKind[] = ['worker', 'producer', 'analyst'];
// Pulsar's own rule for tenant, namespace and cluster names.
const NAME_RE = /^[-=:.\w]+$/;
const MAX_PARTITIONS = 1024;

/** Defaults a spec may omit; picked for a fraud/safety workload on modest brokers. */
export const TENANT_SPEC_DEFAULTS = Object.freeze({
  schemaCompatibility: 'BACKWARD_TRANSITIVE' as CompatibilityStrategy,
  schemaValidationEnforced: true,
  retention: { time: '7d', size: '10GB' },
  messageTtl: '3d',
  backlogQuota: { size: '5GB', policy: 'producer_request_hold' as BacklogQuotaPolicy },
  partitions: 4,
  sensitivity: 'internal' as Sensitivity,
  compactionThreshold: '100MB',
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validate a parsed tenant spec and compile it to the exact desired cluster state. Touches no
 * cluster; throws `TenantSpecError` listing every problem.
 */
export function compileTenantSpec(doc: unknown, options: CompileTenantSpecOptions = {}, source = 'tenant spec'): TenantConfig {
  const p = new Problems();
  const config = compile(doc, options, p);
  if (p.list.length > 0 || config === undefined) throw new TenantSpecError(p.list, source);
  return config;
}

function compile(doc: unknown, options: CompileTenantSpecOptions, p: Problems): TenantConfig | undefined {
  if (!isObj(doc)) {
    p.add('(root)', doc, 'the spec must be a YAML mapping with tenant, adminRoles, regions, roles and topics');
    return undefined;
  }
  unknownKeys(doc, TOP_LEVEL_KEYS, '', p);

  const tenant = doc['tenant'];
  if (typeof tenant !== 'string' || !NAME_RE.test(tenant)) {
    p.add('tenant', tenant, 'use a tenant name of letters, digits, - _ . = : (e.g. acme-payments)');
  }
  const tenantName = typeof tenant === 'string' ? tenant : '';

  const adminRoles = stringList(doc['adminRoles'], 'adminRoles', p, {
    nonEmpty: true,
    fix: 'list at least one admin role, e.g. [acme-payments-admin]',
  });

  // Roles
  const roles: Partial<Record<RoleKind, string>> = {};
  const rolesRaw = doc['roles'];
  if (!isObj(rolesRaw)) {
    p.add('roles', rolesRaw, 'set roles.worker, roles.producer and roles.analyst to role names (JWT subjects)');
  } else {
    unknownKeys(rolesRaw, ROLE_KINDS, 'roles.', p);
    for (const kind of ROLE_KINDS) {
      const r = rolesRaw[kind];
      if (typeof r !== 'string' || r.trim() === '')
        p.add(`roles.${kind}`, r, `set the ${kind} role name, e.g. ${tenantName || 'acme'}-${kind}`);
      else roles[kind] = r;
    }
    const seen = new Map<string, RoleKind>();
    for (const kind of ROLE_KINDS) {
      const r = roles[kind];
      if (r === undefined) continue;
      const other = seen.get(r);
      if (other !== undefined) p.add(`roles.${kind}`, r, `use a role distinct from roles.${other}; sharing a role breaks least privilege`);
      seen.set(r, kind);
      if (adminRoles.includes(r)) p.add(`roles.${kind}`, r, 'use a role that is not a tenant admin role; admins can do everything');
    }
  }

  // Regions
  const regionsRaw = doc['regions'];
  const regions: {
    name: string;
    cluster: string;
    serviceUrl?: string;
    adminUrl?: string;
    partitions: Partial<Record<TopicKind, number>>;
  }[] = [];
  if (!Array.isArray(regionsRaw) || regionsRaw.length === 0) {
    p.add('regions', regionsRaw, 'list the regions, one of them named central, each with name and cluster');
  } else {
    regionsRaw.forEach((r: unknown, i) => {
      const f = `regions[${i}]`;
      if (!isObj(r)) return p.add(f, r, 'each region is a mapping with name, cluster, serviceUrl, adminUrl');
      unknownKeys(r, REGION_KEYS, `${f}.`, p);
      const name = r['name'];
      if (typeof name !== 'string' || !NAME_RE.test(name))
        return p.add(`${f}.name`, name, 'use a region name of letters, digits, - _ (it becomes the namespace name)');
      if (regions.some((x) => x.name === name))
        return p.add(`${f}.name`, name, 'region names must be unique; each region is one namespace');
      const cluster = r['cluster'];
      if (typeof cluster !== 'string' || !NAME_RE.test(cluster))
        return p.add(`${f}.cluster`, cluster, 'set the Pulsar cluster name of this region (e.g. us-east, or standalone for a dev broker)');
      const serviceUrl = url(r['serviceUrl'], `${f}.serviceUrl`, ['pulsar:', 'pulsar+ssl:'], 'pulsar://host:6650', p);
      const adminUrl = url(r['adminUrl'], `${f}.adminUrl`, ['http:', 'https:'], 'http://host:8080', p);
      if ((r['serviceUrl'] === undefined) !== (r['adminUrl'] === undefined) && options.localCluster === undefined) {
        p.add(
          `${f}`,
          name,
          'give both serviceUrl and adminUrl (Beamline then manages the cluster) or neither (the cluster must already exist)',
        );
      }
      const partitions: Partial<Record<TopicKind, number>> = {};
      const po = r['partitions'];
      if (po !== undefined) {
        if (!isObj(po)) p.add(`${f}.partitions`, po, 'map topic names to partition counts, e.g. { events: 2 }');
        else
          for (const [k, v] of Object.entries(po)) {
            if (!isTopicKind(k)) p.add(`${f}.partitions.${k}`, k, topicNameFix(k));
            else {
              const n = partitionCount(v, `${f}.partitions.${k}`, p);
              if (n !== undefined) partitions[k] = n;
            }
          }
      }
      regions.push({
        name,
        cluster,
        ...(serviceUrl === undefined ? {} : { serviceUrl }),
        ...(adminUrl === undefined ? {} : { adminUrl }),
        partitions,
      });
    });
    if (regions.length > 0 && !regions.some((r) => r.name === 'central')) {
      p.add(
        'regions',
        regions.map((r) => r.name),
        'add a region named central: it hosts models, review and audit for the whole tenant',
      );
    }
  }

  // Namespace-wide policies
  const compatibility = doc['schemaCompatibility'] ?? TENANT_SPEC_DEFAULTS.schemaCompatibility;
  if (!(COMPATIBILITY_STRATEGIES as readonly unknown[]).includes(compatibility)) {
    p.add('schemaCompatibility', compatibility, `use one of ${COMPATIBILITY_STRATEGIES.join(', ')} (default BACKWARD_TRANSITIVE)`);
  }
  const validationEnforced = doc['schemaValidationEnforced'] ?? TENANT_SPEC_DEFAULTS.schemaValidationEnforced;
  if (typeof validationEnforced !== 'boolean') p.add('schemaValidationEnforced', validationEnforced, 'use true or false');

  const retention = compileRetention(doc['retention'], p);
  const ttlMs = parseDurationMs(doc['messageTtl'] ?? TENANT_SPEC_DEFAULTS.messageTtl);
  if (ttlMs === undefined || ttlMs % 1000 !== 0) p.add('messageTtl', doc['messageTtl'], DURATION_FIX);
  const backlogQuota = compileBacklogQuota(doc['backlogQuota'], p);
  if (
    retention !== undefined &&
    backlogQuota !== undefined &&
    retention.retentionSizeInMB > 0 &&
    backlogQuota.limitSize >= retention.retentionSizeInMB * 1024 * 1024
  ) {
    p.add(
      'backlogQuota.size',
      doc['backlogQuota'] === undefined ? TENANT_SPEC_DEFAULTS.backlogQuota.size : (doc['backlogQuota'] as Obj)['size'],
      'keep the backlog quota below retention.size; Pulsar refuses a quota larger than retention',
    );
  }

  // Topics
  const topics = compileTopics(doc['topics'], options, p);

  // Grants: defaults per role kind plus explicit extras
  const grants = new Map<TopicKind, Map<string, Set<Action>>>();
  const grant = (topic: TopicKind, role: string, action: Action): void => {
    const byRole = grants.get(topic) ?? new Map<string, Set<Action>>();
    const actions = byRole.get(role) ?? new Set<Action>();
    actions.add(action);
    byRole.set(role, actions);
    grants.set(topic, byRole);
  };
  for (const kind of ROLE_KINDS) {
    const role = roles[kind];
    if (role === undefined) continue;
    for (const [action, list] of Object.entries(DEFAULT_GRANTS[kind]) as [Action, readonly TopicKind[]][])
      for (const t of list) grant(t, role, action);
  }
  const grantsRaw = doc['grants'];
  if (grantsRaw !== undefined) {
    if (!Array.isArray(grantsRaw)) p.add('grants', grantsRaw, 'list extra grants like - { role: ops, consume: [audit] }');
    else
      grantsRaw.forEach((g: unknown, i) => {
        const f = `grants[${i}]`;
        if (!isObj(g)) return p.add(f, g, 'each grant is a mapping { role, produce?: [topics], consume?: [topics] }');
        unknownKeys(g, ['role', 'produce', 'consume'], `${f}.`, p);
        const roleRaw = g['role'];
        if (typeof roleRaw !== 'string' || roleRaw === '')
          return p.add(`${f}.role`, roleRaw, 'name a role (worker, producer, analyst or a literal role name)');
        const role = (ROLE_KINDS as readonly string[]).includes(roleRaw) ? roles[roleRaw as RoleKind] : roleRaw;
        if (role === undefined) return;
        if (g['produce'] === undefined && g['consume'] === undefined) p.add(f, roleRaw, 'give produce and/or consume topic lists');
        for (const action of ['produce', 'consume'] as const) {
          const list = g[action];
          if (list === undefined) continue;
          stringList(list, `${f}.${action}`, p, { fix: 'list topic names, e.g. [audit]' }).forEach((t, j) => {
            if (!isTopicKind(t)) p.add(`${f}.${action}[${j}]`, t, topicNameFix(t));
            else grant(t, role, action);
          });
        }
      });
  }

  // Replication: each namespace replicates to its own cluster plus the regions listed.
  const replicateTo = new Map<string, Set<string>>();
  const replRaw = doc['replication'];
  if (replRaw !== undefined) {
    if (!Array.isArray(replRaw)) p.add('replication', replRaw, 'list entries like - { namespace: central, to: [us-east, eu-west] }');
    else
      replRaw.forEach((e: unknown, i) => {
        const f = `replication[${i}]`;
        if (!isObj(e)) return p.add(f, e, 'each entry is { namespace: <region>, to: [<region>, ...] }');
        unknownKeys(e, ['namespace', 'to'], `${f}.`, p);
        const ns = e['namespace'];
        const regionNames = regions.map((r) => r.name);
        if (typeof ns !== 'string' || !regionNames.includes(ns))
          return p.add(`${f}.namespace`, ns, `use a region name: ${regionNames.join(', ')}`);
        const to = stringList(e['to'], `${f}.to`, p, { nonEmpty: true, fix: 'list the regions to replicate to' });
        const set = replicateTo.get(ns) ?? new Set<string>();
        to.forEach((t, j) => {
          if (!regionNames.includes(t)) p.add(`${f}.to[${j}]`, t, `use a region name: ${regionNames.join(', ')}`);
          else if (t === ns) p.add(`${f}.to[${j}]`, t, 'a namespace always keeps its own region; list only the other regions');
          else set.add(t);
        });
        replicateTo.set(ns, set);
      });
  }

  if (p.list.length > 0 || topics === undefined || retention === undefined || backlogQuota === undefined || ttlMs === undefined)
    return undefined;

  const local = options.localCluster;
  const clusterOf = (region: string): string => local ?? regions.find((r) => r.name === region)?.cluster ?? region;
  const clusters: DesiredCluster[] = [];
  if (local === undefined) {
    for (const r of regions) {
      if (r.serviceUrl === undefined || r.adminUrl === undefined || clusters.some((c) => c.name === r.cluster)) continue;
      clusters.push(Object.freeze({ name: r.cluster, serviceUrl: r.adminUrl, brokerServiceUrl: r.serviceUrl }));
    }
  }
  const fullRoles = roles as Record<RoleKind, string>;

  const namespaces: DesiredNamespace[] = regions.map((region) => {
    const nsName = `${tenantName}/${region.name}`;
    const properties: Record<string, string> = {
      [propertyKeys.managedBy]: 'beamline',
      [propertyKeys.region]: region.name,
      [propertyKeys.cluster]: clusterOf(region.name),
    };
    for (const kind of ROLE_KINDS) properties[propertyKeys.role(kind)] = fullRoles[kind];
    const repl = [...new Set([clusterOf(region.name), ...[...(replicateTo.get(region.name) ?? [])].map(clusterOf)])].sort();
    const nsTopics: DesiredTopic[] = TOPIC_KINDS.map((kind) => {
      const t = topics[kind];
      properties[propertyKeys.sensitivity(kind)] = t.sensitivity;
      if (t.pii.length > 0) properties[propertyKeys.pii(kind)] = t.pii.join(',');
      if (t.dataSubject !== null) properties[propertyKeys.subject(kind)] = t.dataSubject;
      const perms: Record<string, string[]> = {};
      for (const [role, actions] of [...(grants.get(kind) ?? new Map<string, Set<Action>>())].sort(([a], [b]) => a.localeCompare(b)))
        perms[role] = [...actions].sort();
      const replicationClusters = topicReplication(kind, region.name, repl, clusterOf);
      return Object.freeze({
        kind,
        name: `persistent://${nsName}/${kind}`,
        // #17: a state (or owners) topic partitioned like events stays so where a region
        // repartitions events.
        partitions:
          region.partitions[kind] ??
          (PARTITIONED_LIKE_EVENTS.includes(kind) && t.partitions === topics.events.partitions
            ? (region.partitions.events ?? t.partitions)
            : t.partitions),
        // #19: a topic that replicates is de-duplicated (on every cluster that holds it) unless the
        // spec says otherwise: the replicator resends what a cut link left unacknowledged, and
        // only the remote broker's de-duplication drops the copies (the geo outage test saw
        // thousands of duplicated events at central without it, none on de-duplicated topics).
        deduplication: t.deduplicationSet || replicationClusters === null || replicationClusters.length < 2 ? t.deduplication : true,
        compactionThresholdBytes: t.compactionThresholdBytes,
        retention: t.retention,
        schema: t.schema,
        sensitivity: t.sensitivity,
        pii: Object.freeze([...t.pii]),
        permissions: Object.freeze(perms),
        replicationClusters,
      });
    });
    return Object.freeze({
      name: nsName,
      region: region.name,
      cluster: clusterOf(region.name),
      replicationClusters: Object.freeze(repl),
      retention,
      messageTtlSeconds: ttlMs < 0 ? 0 : ttlMs / 1000,
      backlogQuota,
      compatibility: compatibility as CompatibilityStrategy,
      validationEnforced: validationEnforced as boolean,
      properties: Object.freeze(sortKeys(properties)),
      topics: Object.freeze(nsTopics),
    });
  });

  return Object.freeze({
    tenant: tenantName,
    adminRoles: Object.freeze([...new Set(adminRoles)].sort()),
    allowedClusters: Object.freeze([...new Set(regions.map((r) => clusterOf(r.name)))].sort()),
    clusters: Object.freeze(clusters),
    roles: Object.freeze({ ...fullRoles }),
    namespaces: Object.freeze(namespaces),
    regions: Object.freeze(
      regions.map((r) =>
        Object.freeze({
          name: r.name,
          cluster: clusterOf(r.name),
          ...(local === undefined && r.adminUrl !== undefined ? { adminUrl: r.adminUrl } : {}),
          ...(local === undefined && r.serviceUrl !== undefined ? { serviceUrl: r.serviceUrl } : {}),
        }),
      ),
    ),
    localCluster: local ?? null,
  });
}

/**
 * A topic's own replication clusters inside a namespace that spans several clusters: edge
 * topics in EDGE_TO_CENTRAL_TOPICS go to central, central's CENTRAL_TO_EDGE_TOPICS go to every
 * cluster the namespace replicates to, the rest stay home. null when the namespace is on one cluster.
 */
function topicReplication(
  kind: TopicKind,
  region: string,
  nsClusters: readonly string[],
  clusterOf: (region: string) => string,
): readonly string[] | null {
  if (nsClusters.length <= 1) return null;
  const home = clusterOf(region);
  if (region === CENTRAL_REGION) return Object.freeze(CENTRAL_TO_EDGE_TOPICS.includes(kind) ? [...nsClusters] : [home]);
  const central = clusterOf(CENTRAL_REGION);
  return Object.freeze(EDGE_TO_CENTRAL_TOPICS.includes(kind) ? nsClusters.filter((c) => c === home || c === central) : [home]);
}

interface CompiledTopic {
  partitions: number;
  deduplication: boolean;
  /** The spec set `deduplication` itself (a replicated topic's default is on). */
  deduplicationSet: boolean;
  compactionThresholdBytes: number | null;
  retention: RetentionPolicy | null;
  schema: DesiredSchema | null;
  sensitivity: Sensitivity;
  pii: string[];
  /** #21: the data subject whose own key tokenizes and seals its data ('$key'), or null. */
  dataSubject: string | null;
}

function compileTopics(raw: unknown, options: CompileTenantSpecOptions, p: Problems): Record<TopicKind, CompiledTopic> | undefined {
  if (!isObj(raw)) {
    p.add('topics', raw, `map each of ${TOPIC_KINDS.join(', ')} to its settings`);
    return undefined;
  }
  for (const k of Object.keys(raw)) if (!isTopicKind(k)) p.add(`topics.${k}`, k, topicNameFix(k));
  const out: Partial<Record<TopicKind, CompiledTopic>> = {};
  for (const kind of TOPIC_KINDS) {
    const f = `topics.${kind}`;
    // A built-in topic left out of the spec gets the defaults, as `labels: {}` would.
    const t = raw[kind] === undefined && BUILT_IN_TOPICS.includes(kind) ? null : raw[kind];
    if (t === undefined) {
      p.add(f, undefined, `add the ${kind} topic; every Beamline namespace has ${TOPIC_KINDS.join(', ')}`);
      continue;
    }
    if (t !== null && !isObj(t)) {
      p.add(f, t, 'give a mapping of partitions, sensitivity, schema, pii, ...');
      continue;
    }
    const spec: Obj = t ?? {};
    unknownKeys(spec, TOPIC_KEYS, `${f}.`, p);
    // #17: ownership by partition needs `state` partitioned exactly like `events` (state of input
    // partition p lives in state partition p), so the state topic's default is the events topic's
    // count; a spec that sets both differently runs one worker per namespace (logged at start).
    const eventsSpec = PARTITIONED_LIKE_EVENTS.includes(kind) && isObj(raw['events']) ? raw['events'] : undefined;
    const eventsPartitions = eventsSpec?.['partitions'];
    const partitionsDefault =
      typeof eventsPartitions === 'number' && Number.isInteger(eventsPartitions) && eventsPartitions >= 1 && eventsPartitions <= 1024
        ? eventsPartitions
        : TENANT_SPEC_DEFAULTS.partitions;
    const partitions = partitionCount(spec['partitions'] ?? partitionsDefault, `${f}.partitions`, p) ?? 1;

    const sensitivity = spec['sensitivity'] ?? TENANT_SPEC_DEFAULTS.sensitivity;
    if (!(SENSITIVITY_LEVELS as readonly unknown[]).includes(sensitivity))
      p.add(`${f}.sensitivity`, sensitivity, `use one of ${SENSITIVITY_LEVELS.join(', ')}`);

    const dedup = spec['deduplication'] ?? OUTPUT_TOPICS.includes(kind);
    if (typeof dedup !== 'boolean') p.add(`${f}.deduplication`, dedup, 'use true or false');

    let compactionThresholdBytes: number | null = null;
    const compacted = COMPACTED_TOPICS.includes(kind);
    if (spec['compactionThreshold'] !== undefined && !compacted) {
      p.add(
        `${f}.compactionThreshold`,
        spec['compactionThreshold'],
        `remove it: only ${COMPACTED_TOPICS.join(', ')} are compacted; compacting ${kind} would hide records from readers of the compacted view`,
      );
    } else if (compacted) {
      const bytes = parseSizeBytes(
        spec['compactionThreshold'] ?? (kind === 'subject-keys' ? SUBJECT_KEYS_COMPACTION : TENANT_SPEC_DEFAULTS.compactionThreshold),
      );
      if (bytes === undefined || bytes <= 0)
        p.add(
          `${f}.compactionThreshold`,
          spec['compactionThreshold'],
          `${SIZE_FIX.replace(', or "infinite"', '')}; ${kind} must be compacted`,
        );
      else compactionThresholdBytes = bytes;
    }

    // #21: an audit trail outlives the namespace's retention (days): unlimited unless the spec says.
    const topicRetention =
      spec['retention'] !== undefined
        ? (compileRetention(spec['retention'], p, `${f}.retention`) ?? null)
        : kind === 'audit'
          ? AUDIT_RETENTION
          : null;

    const schema = compileSchema(spec, kind, f, options, p);
    const pii =
      spec['pii'] === undefined
        ? []
        : stringList(spec['pii'], `${f}.pii`, p, { fix: 'list the schema field names that hold personal data' });
    if (pii.length > 0) {
      const fields = schema?.fieldNames ?? [];
      pii.forEach((name, i) => {
        if (schema !== undefined && !fields.includes(name))
          p.add(`${f}.pii[${i}]`, name, `name a field of the ${kind} schema (${fields.join(', ')})`);
      });
    }
    // #21: the message key is personal data too (a card number, a rider id): the worker tokenizes
    // it before it keys state, outputs and audit records. It travels as the pseudo field `$key`.
    const piiKey = spec['piiKey'] ?? false;
    if (typeof piiKey !== 'boolean') p.add(`${f}.piiKey`, piiKey, 'use true (the message key holds personal data) or false');
    else if (piiKey) pii.push('$key');
    // #21: crypto-shredding. Only the message key can be the subject yet: Key_Shared (or ownership
    // by partition) gives a key to one replica at a time, which is what makes creating a
    // subject's key on its first event safe.
    let dataSubject: string | null = null;
    if (spec['dataSubject'] !== undefined) {
      if (spec['dataSubject'] !== '$key') {
        p.add(
          `${f}.dataSubject`,
          spec['dataSubject'],
          'use $key (the message key is the data subject: key the events by card or rider id)',
        );
      } else if (kind !== 'events') {
        p.add(`${f}.dataSubject`, spec['dataSubject'], 'name the data subject on the events topic, where the worker reads it');
      } else if (!pii.includes('$key')) {
        p.add(`${f}.dataSubject`, spec['dataSubject'], 'the data subject is personal data: set piiKey: true as well');
      } else {
        dataSubject = '$key';
      }
    }
    if (pii.length > 0 && (sensitivity === 'public' || sensitivity === 'internal')) {
      p.add(`${f}.sensitivity`, sensitivity, 'a topic with PII fields must be confidential or restricted');
    }
    out[kind] = {
      partitions,
      deduplication: dedup === true,
      deduplicationSet: spec['deduplication'] !== undefined,
      compactionThresholdBytes,
      retention: topicRetention,
      schema: schema?.desired ?? null,
      sensitivity: sensitivity as Sensitivity,
      pii,
      dataSubject,
    };
  }
  return TOPIC_KINDS.every((k) => out[k] !== undefined) ? (out as Record<TopicKind, CompiledTopic>) : undefined;
}

function compileSchema(
  spec: Obj,
  kind: TopicKind,
  f: string,
  options: CompileTenantSpecOptions,
  p: Problems,
): { desired: DesiredSchema; fieldNames: string[] } | undefined {
  let raw: unknown = spec['schema'];
  let field = `${f}.schema`;
  if (BUILT_IN_TOPICS.includes(kind)) {
    const given = spec['schema'] !== undefined ? 'schema' : spec['schemaFile'] !== undefined ? 'schemaFile' : undefined;
    if (given !== undefined) {
      p.add(
        `${f}.${given}`,
        spec[given],
        `remove it: the ${kind} topic holds Beamline's own records${kind === 'labels' ? ' (dev.beamline.Label)' : ''}, whose schema is fixed`,
      );
      return undefined;
    }
    raw = BUILT_IN_SCHEMAS[kind];
  }
  if (spec['schemaFile'] !== undefined) {
    field = `${f}.schemaFile`;
    if (raw !== undefined) {
      p.add(field, spec['schemaFile'], 'give either schema (inline) or schemaFile, not both');
      return undefined;
    }
    const file = spec['schemaFile'];
    if (typeof file !== 'string') {
      p.add(field, file, 'give a path to an .avsc file, relative to the spec file');
      return undefined;
    }
    const path = isAbsolute(file) ? file : resolve(options.baseDir ?? process.cwd(), file);
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      p.add(field, file, `make it a readable JSON .avsc file (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  }
  if (raw === undefined) {
    if (DATA_TOPICS.includes(kind))
      p.add(field, undefined, `give the ${kind} topic an Avro record schema (schema: or schemaFile:); data topics are typed`);
    return undefined;
  }
  if (!isObj(raw) || raw['type'] !== 'record') {
    p.add(field, raw, 'use an Avro record schema: { type: record, name: ..., fields: [...] }');
    return undefined;
  }
  try {
    avsc.Type.forSchema(raw as avsc.Schema);
  } catch (err) {
    p.add(field, raw['name'] ?? raw, `fix the Avro schema: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const fields = Array.isArray(raw['fields']) ? raw['fields'] : [];
  return {
    desired: Object.freeze({ type: 'AVRO', data: canonicalJson(raw) }),
    fieldNames: fields.map((x: unknown) => (isObj(x) && typeof x['name'] === 'string' ? x['name'] : '')).filter((n) => n !== ''),
  };
}

/** The schemas of BUILT_IN_TOPICS: the records Beamline's own code writes there. */
const BUILT_IN_SCHEMAS: Partial<Record<TopicKind, unknown>> = { labels: LABEL_SCHEMA };

/**
 * #21: `subject-keys` compacts as soon as the broker's compaction monitor (every minute) sees a
 * kilobyte of new records: a subject's key must reach the compacted view before the namespace's
 * retention could trim the raw ledger that holds it (readers keep no subscription there), and an
 * erased key should leave the compacted view quickly. The topic is small (one record per subject).
 */
const SUBJECT_KEYS_COMPACTION = '1KB';

/** The `audit` topic's retention unless its spec sets one: keep every record. */
const AUDIT_RETENTION: RetentionPolicy = Object.freeze({ retentionTimeInMinutes: -1, retentionSizeInMB: -1 });

function compileRetention(raw: unknown, p: Problems, field = 'retention'): RetentionPolicy | undefined {
  const r = raw ?? TENANT_SPEC_DEFAULTS.retention;
  if (!isObj(r)) {
    p.add(field, r, 'give { time: 7d, size: 10GB } ("infinite" for either keeps everything)');
    return undefined;
  }
  unknownKeys(r, ['time', 'size'], `${field}.`, p);
  const ms = parseDurationMs(r['time'] ?? TENANT_SPEC_DEFAULTS.retention.time);
  const bytes = parseSizeBytes(r['size'] ?? TENANT_SPEC_DEFAULTS.retention.size);
  if (ms === undefined || (ms > 0 && ms % 60_000 !== 0))
    p.add(`${field}.time`, r['time'], `${DURATION_FIX}; Pulsar keeps retention in whole minutes`);
  if (bytes === undefined || (bytes > 0 && bytes % (1024 * 1024) !== 0))
    p.add(`${field}.size`, r['size'], `${SIZE_FIX}; Pulsar keeps retention in whole MB`);
  if (ms === undefined || bytes === undefined) return undefined;
  return Object.freeze({
    retentionTimeInMinutes: ms < 0 ? -1 : ms / 60_000,
    retentionSizeInMB: bytes < 0 ? -1 : Math.floor(bytes / (1024 * 1024)),
  });
}

function compileBacklogQuota(raw: unknown, p: Problems): BacklogQuota | undefined {
  const q = raw ?? TENANT_SPEC_DEFAULTS.backlogQuota;
  if (!isObj(q)) {
    p.add('backlogQuota', q, 'give { size: 5GB, policy: producer_request_hold }');
    return undefined;
  }
  // TODO(#5): message_age quotas (limitTime) once a tenant asks for them.
  unknownKeys(q, ['size', 'policy'], 'backlogQuota.', p);
  const bytes = parseSizeBytes(q['size'] ?? TENANT_SPEC_DEFAULTS.backlogQuota.size);
  if (bytes === undefined) p.add('backlogQuota.size', q['size'], SIZE_FIX);
  const policy = q['policy'] ?? TENANT_SPEC_DEFAULTS.backlogQuota.policy;
  if (!(BACKLOG_POLICIES as readonly unknown[]).includes(policy))
    p.add('backlogQuota.policy', policy, `use one of ${BACKLOG_POLICIES.join(', ')}`);
  if (bytes === undefined) return undefined;
  return Object.freeze({ limitSize: bytes, limitTime: -1, policy: policy as BacklogQuotaPolicy });
}

function partitionCount(v: unknown, field: string, p: Problems): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_PARTITIONS) {
    p.add(field, v, `use a whole number from 1 to ${MAX_PARTITIONS}`);
    return undefined;
  }
  return v;
}

function url(v: unknown, field: string, protocols: readonly string[], example: string, p: Problems): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    try {
      if (protocols.includes(new URL(v).protocol)) return v;
    } catch {
      // fall through to the problem below
    }
  }
  p.add(field, v, `use a URL like ${example}`);
  return undefined;
}

function stringList(v: unknown, field: string, p: Problems, opts: { nonEmpty?: boolean; fix: string }): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '') || (opts.nonEmpty === true && v.length === 0)) {
    p.add(field, v, opts.fix);
    return [];
  }
  return v as string[];
}

function unknownKeys(o: Obj, known: readonly string[], prefix: string, p: Problems): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const s = suggest(k, known);
    p.add(`${prefix}${k}`, k, s === undefined ? `remove it; known keys are ${known.join(', ')}` : `did you mean ${s}?`);
  }
}

function isTopicKind(k: string): k is TopicKind {
  return (TOPIC_KINDS as readonly string[]).includes(k);
}

function topicNameFix(k: string): string {
  const s = suggest(k, TOPIC_KINDS);
  return `${s === undefined ? '' : `did you mean ${s}? `}topics are fixed: ${TOPIC_KINDS.join(', ')}`;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** JSON with object keys sorted (array order kept: Avro field order matters). */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : isObj(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, norm(v[k])]),
          )
        : v;
  return JSON.stringify(norm(value));
}
