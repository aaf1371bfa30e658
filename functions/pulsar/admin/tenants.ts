import type { AdminHttp } from './http.ts';
import { enc } from './rest-path.ts';

export interface TenantInfo {
  adminRoles: string[];
  allowedClusters: string[];
}

export class TenantsApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }
  async list(): Promise<string[]> {
    return this.#http.request('GET', '/admin/v2/tenants');
  }
  async get(tenant: string): Promise<TenantInfo> {
    return this.#http.request('GET', `/admin/v2/tenants/${enc(tenant)}`);
  }
  async create(tenant: string, info: TenantInfo): Promise<void> {
    return this.#http.request('PUT', `/admin/v2/tenants/${enc(tenant)}`, { body: info });
  }
  async update(tenant: string, info: TenantInfo): Promise<void> {
    return this.#http.request('POST', `/admin/v2/tenants/${enc(tenant)}`, { body: info });
  }
  /** `force` deletes the tenant's namespaces and topics too. */
  async delete(tenant: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#http.request('DELETE', `/admin/v2/tenants/${enc(tenant)}`, { query: { force: options.force } });
  }
}
