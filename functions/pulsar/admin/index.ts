export { PulsarAdmin } from './admin.ts';
export { compilePulsarAdminOptions } from './options.ts';
export type { CaCertificates } from './ca-fetch.ts';
export type { PulsarAdminOptions, PulsarAdminConfig, FetchLike } from './options.ts';
export { PulsarAdminError, PULSAR_ADMIN_ERROR_CODES, isAdminStatus } from './errors.ts';
export type { PulsarAdminErrorDetails } from './errors.ts';
export type { ClusterData, ClustersApi } from './clusters.ts';
export type { TenantInfo, TenantsApi } from './tenants.ts';
export type {
  NamespacesApi,
  NamespacePolicies,
  RetentionPolicy,
  BacklogQuota,
  BacklogQuotaPolicy,
  BacklogQuotaType,
  AuthAction,
} from './namespaces.ts';
export type { TopicsApi, TopicStats, PartitionedTopicStats, CompactionStatus } from './topics.ts';
export type { SchemasApi, SchemaInfo, SchemaType, SchemaCompatibility } from './schemas.ts';
export type { BrokersApi } from './brokers.ts';
export {
  decodeTokenClaims,
  MIN_RSA_BITS,
  MIN_SECRET_KEY_BYTES,
  readPrivateKeyFile,
  readSecretKeyFile,
  signHs256Token,
  signRs256Token,
} from './token.ts';
export type { TokenClaims } from './token.ts';
