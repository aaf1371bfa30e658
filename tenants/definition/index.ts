export { compileTenantSpec, canonicalJson, TENANT_SPEC_DEFAULTS } from './compile.ts';
export { loadTenantSpecFile, MAX_TENANT_SPEC_BYTES } from './load.ts';
export { TenantSpecError, suggest } from './problems.ts';
export {
  TOPIC_KINDS,
  BUILT_IN_TOPICS,
  PARTITIONED_LIKE_EVENTS,
  DATA_TOPICS,
  COMPACTED_TOPICS,
  OUTPUT_TOPICS,
  SENSITIVITY_LEVELS,
  COMPATIBILITY_STRATEGIES,
  DEFAULT_GRANTS,
  EDGE_TO_CENTRAL_TOPICS,
  CENTRAL_TO_EDGE_TOPICS,
  CENTRAL_REGION,
  PROPERTY_PREFIX,
  propertyKeys,
} from './catalog.ts';
export type { TopicKind, Sensitivity, CompatibilityStrategy, RoleKind, Action } from './catalog.ts';
export { parseDurationMs, parseSizeBytes } from './units.ts';
export type {
  TenantConfig,
  DesiredNamespace,
  DesiredTopic,
  DesiredSchema,
  DesiredCluster,
  DesiredRegion,
  CompileTenantSpecOptions,
} from './types.ts';
