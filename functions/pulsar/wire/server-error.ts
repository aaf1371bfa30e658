/**
 * The broker's ServerError enum mapped to stable Beamline codes. Codes are never reused; a new
 * broker value maps to BL_PULSAR_SERVER_UNKNOWN_<n> until it is named here.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';

interface ServerErrorInfo {
  readonly name: string;
  readonly code: string;
  readonly retriable: boolean;
}

const table: readonly (readonly [number, string, string, boolean])[] = [
  [0, 'UnknownError', PULSAR_ERROR_CODES.serverUnknown, true],
  [1, 'MetadataError', PULSAR_ERROR_CODES.metadataError, true],
  [2, 'PersistenceError', PULSAR_ERROR_CODES.persistenceError, true],
  [3, 'AuthenticationError', PULSAR_ERROR_CODES.authentication, false],
  [4, 'AuthorizationError', PULSAR_ERROR_CODES.authorization, false],
  [5, 'ConsumerBusy', PULSAR_ERROR_CODES.consumerBusy, false],
  [6, 'ServiceNotReady', PULSAR_ERROR_CODES.serviceNotReady, true],
  [7, 'ProducerBlockedQuotaExceededError', PULSAR_ERROR_CODES.producerQuotaExceeded, false],
  [8, 'ProducerBlockedQuotaExceededException', PULSAR_ERROR_CODES.producerQuotaExceededException, false],
  [9, 'ChecksumError', PULSAR_ERROR_CODES.checksum, true],
  [10, 'UnsupportedVersionError', PULSAR_ERROR_CODES.unsupportedVersion, false],
  [11, 'TopicNotFound', PULSAR_ERROR_CODES.topicNotFound, false],
  [12, 'SubscriptionNotFound', PULSAR_ERROR_CODES.subscriptionNotFound, false],
  [13, 'ConsumerNotFound', PULSAR_ERROR_CODES.consumerNotFound, false],
  [14, 'TooManyRequests', PULSAR_ERROR_CODES.tooManyRequests, true],
  [15, 'TopicTerminatedError', PULSAR_ERROR_CODES.topicTerminated, false],
  [16, 'ProducerBusy', PULSAR_ERROR_CODES.producerBusy, false],
  [17, 'InvalidTopicName', PULSAR_ERROR_CODES.invalidTopicName, false],
  [18, 'IncompatibleSchema', PULSAR_ERROR_CODES.incompatibleSchema, false],
  [19, 'ConsumerAssignError', PULSAR_ERROR_CODES.consumerAssign, false],
  [20, 'TransactionCoordinatorNotFound', PULSAR_ERROR_CODES.txnCoordinatorNotFound, true],
  [21, 'InvalidTxnStatus', PULSAR_ERROR_CODES.txnInvalidStatus, false],
  [22, 'NotAllowedError', PULSAR_ERROR_CODES.notAllowed, false],
  [23, 'TransactionConflict', PULSAR_ERROR_CODES.txnConflict, false],
  [24, 'TransactionNotFound', PULSAR_ERROR_CODES.txnNotFound, false],
  [25, 'ProducerFenced', PULSAR_ERROR_CODES.producerFenced, false],
];

export const SERVER_ERRORS: ReadonlyMap<number, ServerErrorInfo> = new Map(
  table.map(([n, name, code, retriable]) => [n, Object.freeze({ name, code, retriable })]),
);

export const ServerError = Object.freeze(Object.fromEntries(table.map(([n, name]) => [name, n]))) as Readonly<Record<string, number>>;

export function serverErrorInfo(error: number | undefined): ServerErrorInfo {
  const info = SERVER_ERRORS.get(error ?? 0);
  return info ?? { name: `ServerError${error}`, code: `${PULSAR_ERROR_CODES.serverUnknown}_${error}`, retriable: true };
}

/** A BeamlineError for a broker error reply. */
export function serverError(error: number | undefined, message: string | undefined, details: Record<string, unknown> = {}): BeamlineError {
  const info = serverErrorInfo(error);
  return new BeamlineError(info.code, message ? `${info.name}: ${message}` : info.name, {
    retriable: info.retriable,
    details: { serverError: info.name, ...details },
  });
}
