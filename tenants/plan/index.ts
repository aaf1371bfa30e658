export { observeTenant } from './observe.ts';
export { diffTenant } from './diff.ts';
export { applyTenantPlan } from './apply.ts';
export type { ApplyResult } from './apply.ts';
export { formatPlan, formatChange } from './format.ts';
export { deleteTenant, deleteTenantContents, loosenTenant, tenantBacklog, type DeleteRounds } from './delete.ts';
export type { TopicBacklog } from './delete.ts';
export { CHANGE_OPS } from './types.ts';
export type { Change, ChangeOp, TenantPlan, ObservedTenant, ObservedNamespace, ObservedTopic } from './types.ts';
export {
  applyAcrossRegions,
  checkReplicatedSchemas,
  configForCluster,
  planAcrossRegions,
  regionClusters,
  verifyReplicatedSchemas,
} from './regions.ts';
export type { RegionAdmins, RegionApplyResult, RegionPlan, RegionSchema, SchemaMismatch } from './regions.ts';
export { geoStatusPrometheus, readGeoStatus } from './geo-status.ts';
export type { GeoStatusOptions, LinkState, ReplicationLink } from './geo-status.ts';
