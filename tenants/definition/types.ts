import type { BacklogQuota, RetentionPolicy } from '../../functions/control-plane.ts';
import type { CompatibilityStrategy, RoleKind, Sensitivity, TopicKind } from './catalog.ts';

/** A Pulsar cluster the spec manages (created/updated when its URLs are given). */
export interface DesiredCluster {
  readonly name: string;
  readonly serviceUrl: string;
  readonly brokerServiceUrl: string;
}

export interface DesiredSchema {
  readonly type: 'AVRO';
  /** Canonical JSON text (stable key order) of the Avro schema. */
  readonly data: string;
}

export interface DesiredTopic {
  readonly kind: TopicKind;
  /** `persistent://tenant/namespace/kind` */
  readonly name: string;
  readonly partitions: number;
  readonly deduplication: boolean;
  /** Bytes; null = not compacted automatically. */
  readonly compactionThresholdBytes: number | null;
  /** #21: topic-level retention (the `audit` topic keeps everything by default); null = the namespace's. */
  readonly retention: RetentionPolicy | null;
  readonly schema: DesiredSchema | null;
  readonly sensitivity: Sensitivity;
  readonly pii: readonly string[];
  /** role -> sorted actions. */
  readonly permissions: Readonly<Record<string, readonly string[]>>;
  /**
   * Topic-level replication clusters (sorted), narrowing the namespace's: see
   * EDGE_TO_CENTRAL_TOPICS. null when the namespace lives on one cluster only.
   */
  readonly replicationClusters: readonly string[] | null;
}

/** A region of the spec with the cluster it maps to (after `localCluster`). */
export interface DesiredRegion {
  readonly name: string;
  readonly cluster: string;
  /** Absent when folded onto a local cluster or not given. */
  readonly adminUrl?: string;
  readonly serviceUrl?: string;
}

export interface DesiredNamespace {
  /** `tenant/namespace` */
  readonly name: string;
  readonly region: string;
  readonly cluster: string;
  readonly replicationClusters: readonly string[];
  readonly retention: RetentionPolicy;
  readonly messageTtlSeconds: number;
  readonly backlogQuota: BacklogQuota;
  readonly compatibility: CompatibilityStrategy;
  readonly validationEnforced: boolean;
  readonly properties: Readonly<Record<string, string>>;
  readonly topics: readonly DesiredTopic[];
}

/** The compiled, validated, frozen spec: exactly what the cluster should look like. */
export interface TenantConfig {
  readonly tenant: string;
  readonly adminRoles: readonly string[];
  readonly allowedClusters: readonly string[];
  readonly clusters: readonly DesiredCluster[];
  readonly roles: Readonly<Record<RoleKind, string>>;
  readonly namespaces: readonly DesiredNamespace[];
  /** Every region in spec order, with its cluster and URLs: apply talks to each region's admin URL. */
  readonly regions: readonly DesiredRegion[];
  /** Set when `localCluster` folded all regions into one cluster. */
  readonly localCluster: string | null;
}

export interface CompileTenantSpecOptions {
  /**
   * Map every region to this one cluster (e.g. `standalone` for a dev broker): cluster URLs
   * are ignored and replication collapses to that cluster. @default undefined (use the spec's clusters)
   */
  localCluster?: string;
  /** Directory that relative `schemaFile` paths resolve against. @default process.cwd() */
  baseDir?: string;
}
