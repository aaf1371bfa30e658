/**
 * The package's error-code catalogue (#15): every `BL_PULSAR_*` code thrown by
 * `@beamline/pulsar` is named here once, and code refers to the constant, never an inline string.
 * Codes are stable API: callers branch on `err.code`; add new ones, never rename.
 */

/** Client, wire, schema and native-client failures. */
export const PULSAR_ERROR_CODES = Object.freeze({
  alreadyClosed: 'BL_PULSAR_ALREADY_CLOSED',
  authentication: 'BL_PULSAR_AUTHENTICATION',
  authorization: 'BL_PULSAR_AUTHORIZATION',
  batchCorrupt: 'BL_PULSAR_BATCH_CORRUPT',
  checksum: 'BL_PULSAR_CHECKSUM',
  compressionFailed: 'BL_PULSAR_COMPRESSION_FAILED',
  compressionUnsupported: 'BL_PULSAR_COMPRESSION_UNSUPPORTED',
  connectFailed: 'BL_PULSAR_CONNECT_FAILED',
  connectionClosed: 'BL_PULSAR_CONNECTION_CLOSED',
  consumerAssign: 'BL_PULSAR_CONSUMER_ASSIGN',
  consumerBusy: 'BL_PULSAR_CONSUMER_BUSY',
  consumerNotFound: 'BL_PULSAR_CONSUMER_NOT_FOUND',
  cumulativeAckNotAllowed: 'BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED',
  decompressionFailed: 'BL_PULSAR_DECOMPRESSION_FAILED',
  incompatibleSchema: 'BL_PULSAR_INCOMPATIBLE_SCHEMA',
  invalidTopicName: 'BL_PULSAR_INVALID_TOPIC_NAME',
  invalidUrl: 'BL_PULSAR_INVALID_URL',
  lookupFailed: 'BL_PULSAR_LOOKUP_FAILED',
  lookupTooManyRedirects: 'BL_PULSAR_LOOKUP_TOO_MANY_REDIRECTS',
  messageIdInvalid: 'BL_PULSAR_MESSAGE_ID_INVALID',
  messageTooLarge: 'BL_PULSAR_MESSAGE_TOO_LARGE',
  metadataError: 'BL_PULSAR_METADATA_ERROR',
  nativeError: 'BL_PULSAR_NATIVE_ERROR',
  nativeUnavailable: 'BL_PULSAR_NATIVE_UNAVAILABLE',
  notAllowed: 'BL_PULSAR_NOT_ALLOWED',
  persistenceError: 'BL_PULSAR_PERSISTENCE_ERROR',
  producerBusy: 'BL_PULSAR_PRODUCER_BUSY',
  producerFenced: 'BL_PULSAR_PRODUCER_FENCED',
  producerQueueFull: 'BL_PULSAR_PRODUCER_QUEUE_FULL',
  producerQuotaExceeded: 'BL_PULSAR_PRODUCER_QUOTA_EXCEEDED',
  producerQuotaExceededException: 'BL_PULSAR_PRODUCER_QUOTA_EXCEEDED_EXCEPTION',
  protocolDecode: 'BL_PULSAR_PROTOCOL_DECODE',
  schemaDecode: 'BL_PULSAR_SCHEMA_DECODE',
  schemaDefinition: 'BL_PULSAR_SCHEMA_DEFINITION',
  schemaEncode: 'BL_PULSAR_SCHEMA_ENCODE',
  schemaNone: 'BL_PULSAR_SCHEMA_NONE',
  seekInvalid: 'BL_PULSAR_SEEK_INVALID',
  serverUnknown: 'BL_PULSAR_SERVER_UNKNOWN',
  serviceNotReady: 'BL_PULSAR_SERVICE_NOT_READY',
  subscriptionNotFound: 'BL_PULSAR_SUBSCRIPTION_NOT_FOUND',
  timeout: 'BL_PULSAR_TIMEOUT',
  tooManyRequests: 'BL_PULSAR_TOO_MANY_REQUESTS',
  topicNotFound: 'BL_PULSAR_TOPIC_NOT_FOUND',
  topicTerminated: 'BL_PULSAR_TOPIC_TERMINATED',
  topicWatcherUnsupported: 'BL_PULSAR_TOPIC_WATCHER_UNSUPPORTED',
  txnAborted: 'BL_PULSAR_TXN_ABORTED',
  txnConflict: 'BL_PULSAR_TXN_CONFLICT',
  txnCoordinatorNotFound: 'BL_PULSAR_TXN_COORDINATOR_NOT_FOUND',
  txnInvalidOptions: 'BL_PULSAR_TXN_INVALID_OPTIONS',
  txnInvalidStatus: 'BL_PULSAR_TXN_INVALID_STATUS',
  txnNotFound: 'BL_PULSAR_TXN_NOT_FOUND',
  txnOperationFailed: 'BL_PULSAR_TXN_OPERATION_FAILED',
  txnOutcomeUnknown: 'BL_PULSAR_TXN_OUTCOME_UNKNOWN',
  txnTimeout: 'BL_PULSAR_TXN_TIMEOUT',
  unknownEvent: 'BL_PULSAR_UNKNOWN_EVENT',
  unknownMessage: 'BL_PULSAR_UNKNOWN_MESSAGE',
  unsupportedFeature: 'BL_PULSAR_UNSUPPORTED_FEATURE',
  unsupportedVersion: 'BL_PULSAR_UNSUPPORTED_VERSION',
} as const);

/**
 * Stable codes for admin REST failures. The HTTP status picks the code so callers can branch on
 * `code` without parsing messages; `status` and Pulsar's `reason` ride along for humans.
 */
export const PULSAR_ADMIN_ERROR_CODES = Object.freeze({
  notFound: 'BL_PULSAR_ADMIN_NOT_FOUND',
  conflict: 'BL_PULSAR_ADMIN_CONFLICT',
  unauthorized: 'BL_PULSAR_ADMIN_UNAUTHORIZED',
  forbidden: 'BL_PULSAR_ADMIN_FORBIDDEN',
  preconditionFailed: 'BL_PULSAR_ADMIN_PRECONDITION_FAILED',
  badRequest: 'BL_PULSAR_ADMIN_BAD_REQUEST',
  server: 'BL_PULSAR_ADMIN_SERVER_ERROR',
  http: 'BL_PULSAR_ADMIN_HTTP_ERROR',
  timeout: 'BL_PULSAR_ADMIN_TIMEOUT',
  unreachable: 'BL_PULSAR_ADMIN_UNREACHABLE',
  badResponse: 'BL_PULSAR_ADMIN_BAD_RESPONSE',
  /** #21: a redirect from https to plain http (the token and the body would travel in the clear). */
  insecureRedirect: 'BL_PULSAR_ADMIN_INSECURE_REDIRECT',
} as const);
