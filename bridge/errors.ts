/** The bridge's error codes (stable; never reused once published). */
import { BeamlineError } from '../functions/index.ts';

export const BRIDGE_ERROR_CODES = Object.freeze({
  /** The Pulsar topic's registered schema is of a type the bridge cannot encode to. */
  schemaUnsupported: 'BL_BRIDGE_SCHEMA_UNSUPPORTED',
  /** Pulsar did not persist a message (send failed or timed out): the source stops. */
  pulsarSendFailed: 'BL_BRIDGE_PULSAR_SEND_FAILED',
  /** Pub/Sub's streaming pull failed for good: the source stops. */
  pubsubPullFailed: 'BL_BRIDGE_PUBSUB_PULL_FAILED',
  /** Pub/Sub did not accept a publish (transient; the sink rewinds and retries). */
  pubsubPublishFailed: 'BL_BRIDGE_PUBSUB_PUBLISH_FAILED',
  /** Reading back the bridge's own recent messages at start failed. */
  recoveryFailed: 'BL_BRIDGE_RECOVERY_FAILED',
  /** The sink's ledger subscription cannot serve (it is on another topic, or filters). */
  ledgerInvalid: 'BL_BRIDGE_LEDGER_INVALID',
  /** The sink could not read back its ledger at start (Pub/Sub or Pulsar failed, or too slow). */
  ledgerRecoveryFailed: 'BL_BRIDGE_LEDGER_RECOVERY_FAILED',
  /** Dead-lettered: a message without the key that orders it (Pub/Sub ordering key, Pulsar key). */
  missingOrderingKey: 'BL_BRIDGE_MISSING_ORDERING_KEY',
  /** Dead-lettered: a Pub/Sub message's attributes are over maxAttributeBytes. */
  attributesTooLarge: 'BL_BRIDGE_ATTRIBUTES_TOO_LARGE',
  /** Dead-lettered: a Pub/Sub message's data is not JSON. */
  decodeError: 'BL_BRIDGE_DECODE_ERROR',
  /** Dead-lettered: the data does not fit the Pulsar topic's schema. */
  schemaMismatch: 'BL_BRIDGE_SCHEMA_MISMATCH',
  /** Dead-lettered: Pub/Sub refused a publish for good. */
  pubsubRefused: 'BL_BRIDGE_PUBSUB_REFUSED',
} as const);

export type BridgeErrorCode = (typeof BRIDGE_ERROR_CODES)[keyof typeof BRIDGE_ERROR_CODES];

export class BridgeError extends BeamlineError {
  constructor(
    code: BridgeErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
