import type { AdminHttp } from './http.ts';
import { enc } from './rest-path.ts';

/** Subset of Pulsar's ClusterData that Beamline manages; other fields pass through untouched. */
export interface ClusterData {
  serviceUrl?: string;
  serviceUrlTls?: string;
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
  [key: string]: unknown;
}

export class ClustersApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }
  async list(): Promise<string[]> {
    return this.#http.request('GET', '/admin/v2/clusters');
  }
  async get(cluster: string): Promise<ClusterData> {
    return this.#http.request('GET', `/admin/v2/clusters/${enc(cluster)}`);
  }
  async create(cluster: string, data: ClusterData): Promise<void> {
    return this.#http.request('PUT', `/admin/v2/clusters/${enc(cluster)}`, { body: data });
  }
  async update(cluster: string, data: ClusterData): Promise<void> {
    return this.#http.request('POST', `/admin/v2/clusters/${enc(cluster)}`, { body: data });
  }
}
