import type { AdminHttp } from './http.ts';
import { enc, namespacePath } from './rest-path.ts';

export interface RetentionPolicy {
  /** -1 = infinite */
  retentionTimeInMinutes: number;
  /** -1 = infinite */
  retentionSizeInMB: number;
}

export type BacklogQuotaPolicy = 'producer_request_hold' | 'producer_exception' | 'consumer_backlog_eviction';
export type BacklogQuotaType = 'destination_storage' | 'message_age';

export interface BacklogQuota {
  /** Bytes; -1 = unlimited. */
  limitSize: number;
  /** Seconds; -1 = unlimited. */
  limitTime: number;
  policy: BacklogQuotaPolicy;
}

export type AuthAction = 'produce' | 'consume' | 'functions' | 'sources' | 'sinks' | 'packages';

/** Pulsar's namespace Policies as returned by GET; only the fields Beamline reads are typed. */
export interface NamespacePolicies {
  auth_policies?: {
    namespace_auth?: Record<string, string[]>;
    destination_auth?: Record<string, Record<string, string[]>>;
  };
  replication_clusters?: string[];
  backlog_quota_map?: Partial<Record<BacklogQuotaType, BacklogQuota>>;
  retention_policies?: RetentionPolicy;
  message_ttl_in_seconds?: number;
  deduplicationEnabled?: boolean;
  compaction_threshold?: number;
  schema_compatibility_strategy?: string;
  schema_validation_enforced?: boolean;
  properties?: Record<string, string>;
  [key: string]: unknown;
}

export class NamespacesApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }

  #p(namespace: string, suffix = ''): string {
    return `/admin/v2/namespaces/${namespacePath(namespace)}${suffix}`;
  }

  /** Namespaces of a tenant, as `tenant/namespace`. */
  async list(tenant: string): Promise<string[]> {
    return this.#http.request('GET', `/admin/v2/namespaces/${enc(tenant)}`);
  }
  /** @param namespace `tenant/namespace`; `policies` are set atomically at creation. */
  async create(namespace: string, policies?: Partial<NamespacePolicies>): Promise<void> {
    return this.#http.request('PUT', this.#p(namespace), policies === undefined ? {} : { body: policies });
  }
  async delete(namespace: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#http.request('DELETE', this.#p(namespace), { query: { force: options.force } });
  }
  /** Unloads every bundle: the broker closes the namespace's topics and loads them again on use. */
  async unload(namespace: string): Promise<void> {
    return this.#http.request('PUT', this.#p(namespace, '/unload'));
  }
  /** All policies in one call: the cheapest way to describe a namespace. */
  async getPolicies(namespace: string): Promise<NamespacePolicies> {
    return this.#http.request('GET', this.#p(namespace));
  }

  async getRetention(namespace: string): Promise<RetentionPolicy | null> {
    return (await this.#http.request<RetentionPolicy | undefined>('GET', this.#p(namespace, '/retention'))) ?? null;
  }
  async setRetention(namespace: string, policy: RetentionPolicy): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/retention'), { body: policy });
  }
  async getMessageTtlSeconds(namespace: string): Promise<number | null> {
    return (await this.#http.request<number | undefined>('GET', this.#p(namespace, '/messageTTL'))) ?? null;
  }
  async setMessageTtlSeconds(namespace: string, seconds: number): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/messageTTL'), { body: seconds });
  }
  async getBacklogQuotas(namespace: string): Promise<Partial<Record<BacklogQuotaType, BacklogQuota>>> {
    return this.#http.request('GET', this.#p(namespace, '/backlogQuotaMap'));
  }
  async setBacklogQuota(namespace: string, quota: BacklogQuota, type: BacklogQuotaType = 'destination_storage'): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/backlogQuota'), { body: quota, query: { backlogQuotaType: type } });
  }
  async removeBacklogQuota(namespace: string, type: BacklogQuotaType = 'destination_storage'): Promise<void> {
    return this.#http.request('DELETE', this.#p(namespace, '/backlogQuota'), { query: { backlogQuotaType: type } });
  }
  async getDeduplication(namespace: string): Promise<boolean | null> {
    return (await this.#http.request<boolean | undefined>('GET', this.#p(namespace, '/deduplication'))) ?? null;
  }
  async setDeduplication(namespace: string, enabled: boolean): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/deduplication'), { body: enabled });
  }
  async getCompactionThresholdBytes(namespace: string): Promise<number | null> {
    return (await this.#http.request<number | undefined>('GET', this.#p(namespace, '/compactionThreshold'))) ?? null;
  }
  async setCompactionThresholdBytes(namespace: string, bytes: number): Promise<void> {
    return this.#http.request('PUT', this.#p(namespace, '/compactionThreshold'), { body: bytes });
  }
  async getSchemaCompatibilityStrategy(namespace: string): Promise<string> {
    return this.#http.request('GET', this.#p(namespace, '/schemaCompatibilityStrategy'));
  }
  async setSchemaCompatibilityStrategy(namespace: string, strategy: string): Promise<void> {
    return this.#http.request('PUT', this.#p(namespace, '/schemaCompatibilityStrategy'), { body: strategy });
  }
  async getSchemaValidationEnforced(namespace: string): Promise<boolean> {
    return this.#http.request('GET', this.#p(namespace, '/schemaValidationEnforced'));
  }
  async setSchemaValidationEnforced(namespace: string, enforced: boolean): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/schemaValidationEnforced'), { body: enforced });
  }
  async getReplicationClusters(namespace: string): Promise<string[]> {
    return this.#http.request('GET', this.#p(namespace, '/replication'));
  }
  async setReplicationClusters(namespace: string, clusters: readonly string[]): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, '/replication'), { body: clusters });
  }
  /** Namespace-level grants: role -> actions. */
  async getPermissions(namespace: string): Promise<Record<string, AuthAction[]>> {
    return this.#http.request('GET', this.#p(namespace, '/permissions'));
  }
  async grantPermissions(namespace: string, role: string, actions: readonly AuthAction[]): Promise<void> {
    return this.#http.request('POST', this.#p(namespace, `/permissions/${enc(role)}`), { body: actions });
  }
  async revokePermissions(namespace: string, role: string): Promise<void> {
    return this.#http.request('DELETE', this.#p(namespace, `/permissions/${enc(role)}`));
  }
  async getProperties(namespace: string): Promise<Record<string, string>> {
    return (await this.#http.request<Record<string, string> | undefined>('GET', this.#p(namespace, '/properties'))) ?? {};
  }
  /** Merges into existing properties; keys not named keep their values. */
  async setProperties(namespace: string, properties: Readonly<Record<string, string>>): Promise<void> {
    return this.#http.request('PUT', this.#p(namespace, '/properties'), { body: properties });
  }
  async removeProperty(namespace: string, key: string): Promise<void> {
    return this.#http.request('DELETE', this.#p(namespace, `/property/${enc(key)}`));
  }
}
