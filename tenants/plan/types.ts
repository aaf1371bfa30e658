import type { BacklogQuota, RetentionPolicy } from '../../functions/control-plane.ts';

/** What the cluster holds now, in the same shapes as the compiled spec so diffing is direct. */
export interface ObservedTopic {
  /** 0 = a non-partitioned topic. */
  readonly partitions: number;
  readonly deduplication: boolean | null;
  readonly compactionThresholdBytes: number | null;
  readonly schema: { readonly type: string; readonly data: string; readonly version: number } | null;
  /** Topic-level grants only: role -> sorted actions. */
  readonly permissions: Readonly<Record<string, readonly string[]>>;
  /** Topic-level replication clusters (sorted); null or absent = inherits the namespace's. */
  readonly replicationClusters?: readonly string[] | null;
  /** Topic-level retention; null or absent = inherits the namespace's. */
  readonly retention?: RetentionPolicy | null;
}

export interface ObservedNamespace {
  readonly replicationClusters: readonly string[];
  readonly retention: RetentionPolicy | null;
  readonly messageTtlSeconds: number | null;
  readonly backlogQuota: BacklogQuota | null;
  readonly compatibility: string | null;
  readonly validationEnforced: boolean;
  readonly properties: Readonly<Record<string, string>>;
  /** Namespace-wide grants (apply to every topic): role -> sorted actions. */
  readonly permissions: Readonly<Record<string, readonly string[]>>;
  /** Keyed by full topic name (`persistent://t/ns/x`); partitions of a partitioned topic are folded in. */
  readonly topics: Readonly<Record<string, ObservedTopic>>;
}

export interface ObservedTenant {
  /** Every cluster the broker knows; details only for the ones the spec manages. */
  readonly clusters: Readonly<Record<string, { readonly serviceUrl?: string; readonly brokerServiceUrl?: string }>>;
  readonly tenant: { readonly adminRoles: readonly string[]; readonly allowedClusters: readonly string[] } | null;
  /** Keyed by `tenant/namespace`. */
  readonly namespaces: Readonly<Record<string, ObservedNamespace>>;
}

export const CHANGE_OPS = [
  'create-cluster',
  'update-cluster',
  'create-tenant',
  'update-tenant',
  'create-namespace',
  'set-replication',
  'set-retention',
  'set-backlog-quota',
  'set-message-ttl',
  'set-schema-compatibility',
  'set-schema-validation',
  'set-properties',
  'remove-property',
  'revoke-namespace-permission',
  'create-topic',
  'update-partitions',
  'set-topic-deduplication',
  'set-topic-compaction-threshold',
  'set-topic-replication',
  'set-topic-retention',
  'upload-schema',
  'grant-topic-permission',
  'revoke-topic-permission',
] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

/** One step of a plan: plain data, so `--output json` prints it as is and apply replays it. */
export interface Change {
  readonly op: ChangeOp;
  /** Cluster, tenant, namespace (`t/ns`) or topic (`persistent://...`) the step acts on. */
  readonly target: string;
  /** Role name for permission steps, property key for remove-property. */
  readonly key?: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface TenantPlan {
  readonly tenant: string;
  /** Ordered: applying them first to last makes the cluster match the spec. */
  readonly changes: readonly Change[];
  /** Differences apply cannot fix (e.g. fewer partitions); apply refuses while any exist. */
  readonly blockers: readonly string[];
  /** Things in the cluster the spec does not mention; left alone. */
  readonly notes: readonly string[];
}
