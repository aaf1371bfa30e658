/**
 * The worker's own error codes (the registry and training keep theirs in registry/errors.ts and
 * training/errors.ts). Stable: never reuse a code for another meaning.
 */
export const RUNTIME_ERROR_CODES = Object.freeze({
  /** A handler threw something that is not a BeamlineError (the dead letter's code). */
  handlerError: 'BL_RUNTIME_HANDLER_ERROR',
  /** A commit that may or may not have happened (the worker resolves it from its marker). */
  commitOutcomeUnknown: 'BL_WORKER_COMMIT_OUTCOME_UNKNOWN',
  /** #17: a commit refused because the partition moved to another replica (nothing was sent). */
  partitionRevoked: 'BL_WORKER_PARTITION_REVOKED',
  /**
   * #17: a second replica of a namespace whose `events` topic is not partitioned: refused, as
   * it would share keys on a Key_Shared subscription with state restored once (stale state).
   * Retriable: the other replica may be on its way out (a rolling update).
   */
  secondReplica: 'BL_WORKER_SECOND_REPLICA',
} as const);
