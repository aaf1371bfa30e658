import type { AdminHttp } from './http.ts';
import type { AuthAction, RetentionPolicy } from './namespaces.ts';
import { parseTopicName } from '../topic/index.ts';
import { ADMIN_TOPIC, namespacePath } from './rest-path.ts';

/** Subset of TopicStats; the broker sends much more, kept as unknown fields. */
export interface TopicStats {
  msgRateIn?: number;
  msgRateOut?: number;
  storageSize?: number;
  backlogSize?: number;
  subscriptions?: Record<string, { msgBacklog?: number; [key: string]: unknown }>;
  publishers?: unknown[];
  [key: string]: unknown;
}

export interface PartitionedTopicStats extends TopicStats {
  metadata?: { partitions: number };
  partitions?: Record<string, TopicStats>;
}

export type CompactionStatus = 'NOT_RUN' | 'RUNNING' | 'SUCCESS' | 'ERROR';

export class TopicsApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }

  #p(topic: string, suffix = ''): string {
    return `/admin/v2/${parseTopicName(topic, ADMIN_TOPIC).restPath}${suffix}`;
  }

  /** Partitioned topics (base names) in a persistent namespace. */
  async listPartitioned(namespace: string): Promise<string[]> {
    return this.#http.request('GET', `/admin/v2/persistent/${namespacePath(namespace)}/partitioned`);
  }
  /** Non-partitioned topics and individual partitions (`x-partition-N`). */
  async list(namespace: string): Promise<string[]> {
    return this.#http.request('GET', `/admin/v2/persistent/${namespacePath(namespace)}`);
  }
  async createPartitioned(topic: string, partitions: number): Promise<void> {
    return this.#http.request('PUT', this.#p(topic, '/partitions'), { body: partitions });
  }
  /** Partitions can only grow; Pulsar refuses a smaller count. */
  async updatePartitions(topic: string, partitions: number): Promise<void> {
    return this.#http.request('POST', this.#p(topic, '/partitions'), { body: partitions });
  }
  /** `{ partitions: 0 }` means the name is not a partitioned topic. */
  async getPartitionedMetadata(topic: string): Promise<{ partitions: number }> {
    return this.#http.request('GET', this.#p(topic, '/partitions'));
  }
  async deletePartitioned(topic: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#http.request('DELETE', this.#p(topic, '/partitions'), { query: { force: options.force } });
  }
  async createNonPartitioned(topic: string): Promise<void> {
    return this.#http.request('PUT', this.#p(topic));
  }
  async delete(topic: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#http.request('DELETE', this.#p(topic), { query: { force: options.force } });
  }
  /** Closes the topic on its broker (dropping an in-memory instance a failed delete left fenced). */
  async unload(topic: string): Promise<void> {
    return this.#http.request('PUT', this.#p(topic, '/unload'));
  }
  async getStats(topic: string): Promise<TopicStats> {
    return this.#http.request('GET', this.#p(topic, '/stats'));
  }
  async getInternalStats(topic: string): Promise<Record<string, unknown>> {
    return this.#http.request('GET', this.#p(topic, '/internalStats'));
  }
  async getPartitionedStats(topic: string, options: { perPartition?: boolean } = {}): Promise<PartitionedTopicStats> {
    return this.#http.request('GET', this.#p(topic, '/partitioned-stats'), { query: { perPartition: options.perPartition ?? false } });
  }
  async triggerCompaction(topic: string): Promise<void> {
    return this.#http.request('PUT', this.#p(topic, '/compaction'));
  }
  async getCompactionStatus(topic: string): Promise<{ status: CompactionStatus; lastError?: string }> {
    return this.#http.request('GET', this.#p(topic, '/compaction'));
  }
  /** Grants on this topic, plus namespace grants the broker merges in. */
  async getPermissions(topic: string): Promise<Record<string, AuthAction[]>> {
    return this.#http.request('GET', this.#p(topic, '/permissions'));
  }
  async grantPermissions(topic: string, role: string, actions: readonly AuthAction[]): Promise<void> {
    return this.#http.request('POST', this.#p(topic, `/permissions/${encodeURIComponent(role)}`), { body: actions });
  }
  async revokePermissions(topic: string, role: string): Promise<void> {
    return this.#http.request('DELETE', this.#p(topic, `/permissions/${encodeURIComponent(role)}`));
  }
  /** Create a durable subscription at `earliest` (default) or `latest`. */
  async createSubscription(topic: string, subscription: string, position: 'earliest' | 'latest' = 'earliest'): Promise<void> {
    return this.#http.request('PUT', this.#p(topic, `/subscription/${encodeURIComponent(subscription)}`), {
      query: { messageId: position },
    });
  }
  /** Peek the first `count` messages of a subscription; needs consume permission. */
  async peekMessages(topic: string, subscription: string, count = 1): Promise<void> {
    await this.#http.request('GET', this.#p(topic, `/subscription/${encodeURIComponent(subscription)}/position/${count}`));
  }
  /** Topic-level policy (needs topicLevelPoliciesEnabled, the default since Pulsar 2.11). */
  async getDeduplication(topic: string): Promise<boolean | null> {
    return (await this.#http.request<boolean | undefined>('GET', this.#p(topic, '/deduplicationEnabled'))) ?? null;
  }
  async setDeduplication(topic: string, enabled: boolean): Promise<void> {
    return this.#http.request('POST', this.#p(topic, '/deduplicationEnabled'), { body: enabled });
  }
  /** Topic-level replication clusters (geo); null when the topic inherits its namespace's. */
  async getReplicationClusters(topic: string): Promise<string[] | null> {
    const r = await this.#http.request<string[] | undefined | null>('GET', this.#p(topic, '/replication'));
    return Array.isArray(r) && r.length > 0 ? r : null;
  }
  async setReplicationClusters(topic: string, clusters: readonly string[]): Promise<void> {
    return this.#http.request('POST', this.#p(topic, '/replication'), { body: clusters });
  }
  /** The topic-level retention policy; null when the topic inherits its namespace's. */
  async getRetention(topic: string): Promise<RetentionPolicy | null> {
    const r = await this.#http.request<RetentionPolicy | undefined | null>('GET', this.#p(topic, '/retention'));
    return r === undefined || r === null || typeof r.retentionTimeInMinutes !== 'number' ? null : r;
  }
  async setRetention(topic: string, policy: RetentionPolicy): Promise<void> {
    return this.#http.request('POST', this.#p(topic, '/retention'), { body: policy });
  }
  async getCompactionThresholdBytes(topic: string): Promise<number | null> {
    return (await this.#http.request<number | undefined>('GET', this.#p(topic, '/compactionThreshold'))) ?? null;
  }
  async setCompactionThresholdBytes(topic: string, bytes: number): Promise<void> {
    return this.#http.request('POST', this.#p(topic, '/compactionThreshold'), { body: bytes });
  }
}
