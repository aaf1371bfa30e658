/**
 * Topic lookup over the binary protocol: LOOKUP with the redirect loop (authoritative flag,
 * proxy_through_service_url), PARTITIONED_METADATA and GET_TOPICS_OF_NAMESPACE.
 */
import { PULSAR_ERROR_CODES } from '../../errors.ts';
import { BeamlineError } from '../../../errors.ts';
import { CommandType, LookupResponseType, TopicDomainMode } from '../../wire/index.ts';
import type { Connection } from './connection.ts';
import type { ConnectionPool } from './connection-pool.ts';
import type { BrokerAddress } from './service-url.ts';

export interface LookupResult {
  /** The broker that owns the topic. */
  readonly logicalUrl: string;
  /** Where to open the socket (the service url when going through a proxy). */
  readonly physicalUrl: string;
}

const MAX_REDIRECTS = 20;

export class LookupService {
  readonly #pool: ConnectionPool;
  readonly #service: readonly BrokerAddress[];
  readonly #tls: boolean;
  #next = 0;

  constructor(pool: ConnectionPool, service: readonly BrokerAddress[]) {
    this.#pool = pool;
    this.#service = service;
    this.#tls = service[0]?.tls ?? false;
  }

  /** A service address, rotating through the list so a dead host is not retried forever. */
  serviceUrl(): string {
    const a = this.#service[this.#next % this.#service.length] as BrokerAddress;
    return a.url;
  }

  async serviceConnection(): Promise<Connection> {
    const url = this.serviceUrl();
    try {
      return await this.#pool.get(url);
    } catch (err) {
      this.#next++;
      throw err;
    }
  }

  async lookup(topic: string): Promise<LookupResult> {
    // The broker the current LOOKUP went to. A Connect with proxy_through_service_url means
    // "reach the owner through me" (standalone brokers on loopback always set it), so after a
    // redirect it names the redirect target, not the service url.
    let via = this.serviceUrl();
    let conn = await this.serviceConnection();
    let authoritative = false;
    for (let i = 0; i < MAX_REDIRECTS; i++) {
      const requestId = conn.newRequestId();
      const resp = await conn.request(
        { type: CommandType.LOOKUP, lookupTopic: { topic, request_id: requestId, authoritative } },
        requestId,
        'lookup',
      );
      const r = resp.lookupTopicResponse;
      if (r === undefined) throw lookupError(topic, 'empty lookup response');
      const url = this.#tls ? (r.brokerServiceUrlTls ?? r.brokerServiceUrl) : (r.brokerServiceUrl ?? r.brokerServiceUrlTls);
      if (url === undefined || url === '') throw lookupError(topic, 'lookup response named no broker');
      const logical = url;
      const physical = r.proxy_through_service_url ? via : url;
      if (r.response === LookupResponseType.Connect) return { logicalUrl: logical, physicalUrl: physical };
      authoritative = r.authoritative ?? false;
      conn = await this.#pool.get(logical, physical);
      via = physical;
    }
    throw new BeamlineError(PULSAR_ERROR_CODES.lookupTooManyRedirects, 'lookup redirected too many times', {
      retriable: true,
      details: { topic, redirects: MAX_REDIRECTS },
    });
  }

  /** Number of partitions; 0 for a non-partitioned topic. */
  async partitions(topic: string): Promise<number> {
    const conn = await this.serviceConnection();
    const requestId = conn.newRequestId();
    const resp = await conn.request(
      { type: CommandType.PARTITIONED_METADATA, partitionMetadata: { topic, request_id: requestId } },
      requestId,
      'partitioned metadata',
    );
    return resp.partitionMetadataResponse?.partitions ?? 0;
  }

  async topicsOfNamespace(namespace: string, mode: 'persistent' | 'non-persistent' | 'all' = 'persistent'): Promise<string[]> {
    const conn = await this.serviceConnection();
    const requestId = conn.newRequestId();
    const resp = await conn.request(
      {
        type: CommandType.GET_TOPICS_OF_NAMESPACE,
        getTopicsOfNamespace: {
          request_id: requestId,
          namespace,
          mode:
            mode === 'persistent'
              ? TopicDomainMode.PERSISTENT
              : mode === 'non-persistent'
                ? TopicDomainMode.NON_PERSISTENT
                : TopicDomainMode.ALL,
        },
      },
      requestId,
      'topics of namespace',
    );
    return resp.getTopicsOfNamespaceResponse?.topics ?? [];
  }
}

function lookupError(topic: string, message: string): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.lookupFailed, message, { retriable: true, details: { topic } });
}
