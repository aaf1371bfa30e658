/** The tenant tools' error codes (spec, plan/apply, delete, geo); stable, never reused once published. */
export const TENANTS_ERROR_CODES = Object.freeze({
  /** A tenant spec with problems; `details.problems` names each field, value and fix. */
  specInvalid: 'BL_TENANT_SPEC_INVALID',
  /** The plan has blockers; nothing was applied. */
  applyBlocked: 'BL_TENANT_APPLY_BLOCKED',
  /** A step of apply failed; the steps before it stay applied (re-run apply to continue). */
  applyFailed: 'BL_TENANT_APPLY_FAILED',
  /** Delete refused: subscriptions hold unconsumed messages (--force deletes anyway). */
  hasBacklog: 'BL_TENANT_HAS_BACKLOG',
  /** The tenant still exists after the forced deletes (retriable). */
  deleteIncomplete: 'BL_TENANT_DELETE_INCOMPLETE',
  /** A replicated topic's schema differs between regions. */
  geoSchemaMismatch: 'BL_GEO_SCHEMA_MISMATCH',
  /**
   * Bad configuration (functions' ConfigError code): listed here so tenants/ names it without an
   * inline string; the same code as functions/errors.ts.
   */
  configInvalid: 'BL_CONFIG_INVALID',
} as const);

export type TenantsErrorCode = (typeof TENANTS_ERROR_CODES)[keyof typeof TENANTS_ERROR_CODES];
