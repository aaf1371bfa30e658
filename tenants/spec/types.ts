import type { BacklogQuota, RetentionPolicy } from '../../functions/index.ts';
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
  readonly schema: DesiredSchema | null;
  readonly sensitivity: Sensitivity;
  readonly pii: readonly string[];
  /** role -> sorted actions. */
  readonly permissions: Readonly<Record<string, readonly string[]>>;
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
