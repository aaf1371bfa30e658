import type { AuthAction, BacklogQuota, PulsarAdmin, RetentionPolicy } from '../../functions/control-plane.ts';
import { BeamlineError } from '../../functions/index.ts';
import type { Change, TenantPlan } from './types.ts';
import { TENANTS_ERROR_CODES } from '../errors.ts';

export interface ApplyResult {
  readonly applied: readonly Change[];
}

/**
 * Run a plan's changes in order. Stops at the first failure with `BL_TENANT_APPLY_FAILED`
 * naming the step; because plans are recomputed from the cluster, re-running apply resumes.
 */
export async function applyTenantPlan(
  admin: PulsarAdmin,
  plan: TenantPlan,
  onStep?: (change: Change, index: number) => void,
): Promise<ApplyResult> {
  if (plan.blockers.length > 0) {
    throw new BeamlineError(
      TENANTS_ERROR_CODES.applyBlocked,
      `cannot apply tenant ${plan.tenant}:\n${plan.blockers.map((b) => `  - ${b}`).join('\n')}`,
      {
        details: { tenant: plan.tenant, blockers: plan.blockers },
      },
    );
  }
  const applied: Change[] = [];
  for (const [i, change] of plan.changes.entries()) {
    try {
      await applyChange(admin, change);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new BeamlineError(
        TENANTS_ERROR_CODES.applyFailed,
        `step ${i + 1}/${plan.changes.length} ${change.op} ${change.target}${change.key === undefined ? '' : ` (${change.key})`} failed: ${reason}; ${applied.length} step(s) were applied, re-run apply to continue`,
        {
          cause,
          retriable: cause instanceof BeamlineError && cause.retriable,
          details: { step: i + 1, op: change.op, target: change.target, appliedSteps: applied.length },
        },
      );
    }
    applied.push(change);
    onStep?.(change, i);
  }
  return { applied };
}

async function applyChange(admin: PulsarAdmin, c: Change): Promise<void> {
  const after = c.after;
  switch (c.op) {
    case 'create-cluster':
      return admin.clusters.create(c.target, after as { serviceUrl: string; brokerServiceUrl: string });
    case 'update-cluster':
      return admin.clusters.update(c.target, after as { serviceUrl: string; brokerServiceUrl: string });
    case 'create-tenant':
      return admin.tenants.create(c.target, after as { adminRoles: string[]; allowedClusters: string[] });
    case 'update-tenant':
      return admin.tenants.update(c.target, after as { adminRoles: string[]; allowedClusters: string[] });
    case 'create-namespace':
      return admin.namespaces.create(c.target, { replication_clusters: (after as { replicationClusters: string[] }).replicationClusters });
    case 'set-replication':
      return admin.namespaces.setReplicationClusters(c.target, after as string[]);
    case 'set-retention':
      return admin.namespaces.setRetention(c.target, after as RetentionPolicy);
    case 'set-backlog-quota':
      return admin.namespaces.setBacklogQuota(c.target, after as BacklogQuota);
    case 'set-message-ttl':
      return admin.namespaces.setMessageTtlSeconds(c.target, after as number);
    case 'set-schema-compatibility':
      return admin.namespaces.setSchemaCompatibilityStrategy(c.target, after as string);
    case 'set-schema-validation':
      return admin.namespaces.setSchemaValidationEnforced(c.target, after as boolean);
    case 'set-properties':
      return admin.namespaces.setProperties(c.target, after as Record<string, string>);
    case 'remove-property':
      return admin.namespaces.removeProperty(c.target, c.key ?? '');
    case 'revoke-namespace-permission':
      return admin.namespaces.revokePermissions(c.target, c.key ?? '');
    case 'create-topic':
      return admin.topics.createPartitioned(c.target, (after as { partitions: number }).partitions);
    case 'update-partitions':
      return admin.topics.updatePartitions(c.target, after as number);
    case 'set-topic-deduplication':
      return admin.topics.setDeduplication(c.target, after as boolean);
    case 'set-topic-retention':
      return admin.topics.setRetention(c.target, after as RetentionPolicy);
    case 'set-topic-compaction-threshold':
      return admin.topics.setCompactionThresholdBytes(c.target, after as number);
    case 'set-topic-replication':
      return admin.topics.setReplicationClusters(c.target, after as string[]);
    case 'upload-schema': {
      const s = after as { type: string; data: string };
      await admin.schemas.post(c.target, { type: s.type, data: s.data });
      return;
    }
    case 'grant-topic-permission':
      return admin.topics.grantPermissions(c.target, c.key ?? '', after as AuthAction[]);
    case 'revoke-topic-permission':
      return admin.topics.revokePermissions(c.target, c.key ?? '');
  }
}
