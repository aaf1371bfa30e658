/**
 * The broker's ServerError enum mapped to stable Beamline codes. Codes are never reused; a new
 * broker value maps to BL_PULSAR_SERVER_UNKNOWN_<n> until it is named here.
 */
import { BeamlineError } from '../../errors.ts';

interface ServerErrorInfo {
  readonly name: string;
  readonly code: string;
  readonly retriable: boolean;
}

const table: readonly (readonly [number, string, string, boolean])[] = [
  [0, 'UnknownError', 'BL_PULSAR_SERVER_UNKNOWN', true],
  [1, 'MetadataError', 'BL_PULSAR_METADATA_ERROR', true],
  [2, 'PersistenceError', 'BL_PULSAR_PERSISTENCE_ERROR', true],
  [3, 'AuthenticationError', 'BL_PULSAR_AUTHENTICATION', false],
  [4, 'AuthorizationError', 'BL_PULSAR_AUTHORIZATION', false],
  [5, 'ConsumerBusy', 'BL_PULSAR_CONSUMER_BUSY', false],
  [6, 'ServiceNotReady', 'BL_PULSAR_SERVICE_NOT_READY', true],
  [7, 'ProducerBlockedQuotaExceededError', 'BL_PULSAR_PRODUCER_QUOTA_EXCEEDED', false],
  [8, 'ProducerBlockedQuotaExceededException', 'BL_PULSAR_PRODUCER_QUOTA_EXCEEDED_EXCEPTION', false],
  [9, 'ChecksumError', 'BL_PULSAR_CHECKSUM', true],
  [10, 'UnsupportedVersionError', 'BL_PULSAR_UNSUPPORTED_VERSION', false],
  [11, 'TopicNotFound', 'BL_PULSAR_TOPIC_NOT_FOUND', false],
  [12, 'SubscriptionNotFound', 'BL_PULSAR_SUBSCRIPTION_NOT_FOUND', false],
  [13, 'ConsumerNotFound', 'BL_PULSAR_CONSUMER_NOT_FOUND', false],
  [14, 'TooManyRequests', 'BL_PULSAR_TOO_MANY_REQUESTS', true],
  [15, 'TopicTerminatedError', 'BL_PULSAR_TOPIC_TERMINATED', false],
  [16, 'ProducerBusy', 'BL_PULSAR_PRODUCER_BUSY', false],
  [17, 'InvalidTopicName', 'BL_PULSAR_INVALID_TOPIC_NAME', false],
  [18, 'IncompatibleSchema', 'BL_PULSAR_INCOMPATIBLE_SCHEMA', false],
  [19, 'ConsumerAssignError', 'BL_PULSAR_CONSUMER_ASSIGN', false],
  [20, 'TransactionCoordinatorNotFound', 'BL_PULSAR_TXN_COORDINATOR_NOT_FOUND', true],
  [21, 'InvalidTxnStatus', 'BL_PULSAR_TXN_INVALID_STATUS', false],
  [22, 'NotAllowedError', 'BL_PULSAR_NOT_ALLOWED', false],
  [23, 'TransactionConflict', 'BL_PULSAR_TXN_CONFLICT', false],
  [24, 'TransactionNotFound', 'BL_PULSAR_TXN_NOT_FOUND', false],
  [25, 'ProducerFenced', 'BL_PULSAR_PRODUCER_FENCED', false],
];

export const SERVER_ERRORS: ReadonlyMap<number, ServerErrorInfo> = new Map(
  table.map(([n, name, code, retriable]) => [n, Object.freeze({ name, code, retriable })]),
);

export const ServerError = Object.freeze(Object.fromEntries(table.map(([n, name]) => [name, n]))) as Readonly<
  Record<string, number>
>;

export function serverErrorInfo(error: number | undefined): ServerErrorInfo {
  const info = SERVER_ERRORS.get(error ?? 0);
  return info ?? { name: `ServerError${error}`, code: `BL_PULSAR_SERVER_UNKNOWN_${error}`, retriable: true };
}

/** A BeamlineError for a broker error reply. */
export function serverError(error: number | undefined, message: string | undefined, details: Record<string, unknown> = {}): BeamlineError {
  const info = serverErrorInfo(error);
  return new BeamlineError(info.code, message ? `${info.name}: ${message}` : info.name, {
    retriable: info.retriable,
    details: { serverError: info.name, ...details },
  });
}
