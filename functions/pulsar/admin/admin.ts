import { BrokersApi } from './brokers.ts';
import { ClustersApi } from './clusters.ts';
import { AdminHttp } from './http.ts';
import { NamespacesApi } from './namespaces.ts';
import { compilePulsarAdminOptions, type PulsarAdminConfig, type PulsarAdminOptions } from './options.ts';
import { SchemasApi } from './schemas.ts';
import { TenantsApi } from './tenants.ts';
import { TopicsApi } from './topics.ts';

/**
 * Pulsar admin REST client (API v2). Stateless apart from config: no connections are held, so
 * there is nothing to close. Every failure is a `PulsarAdminError` with the HTTP status and
 * Pulsar's `reason`.
 */
export class PulsarAdmin {
  readonly config: PulsarAdminConfig;
  readonly clusters: ClustersApi;
  readonly tenants: TenantsApi;
  readonly namespaces: NamespacesApi;
  readonly topics: TopicsApi;
  readonly schemas: SchemasApi;
  readonly brokers: BrokersApi;

  constructor(options: PulsarAdminOptions) {
    this.config = compilePulsarAdminOptions(options);
    const http = new AdminHttp(this.config);
    this.clusters = new ClustersApi(http);
    this.tenants = new TenantsApi(http);
    this.namespaces = new NamespacesApi(http);
    this.topics = new TopicsApi(http);
    this.schemas = new SchemasApi(http);
    this.brokers = new BrokersApi(http);
  }
}
