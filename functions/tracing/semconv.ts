/**
 * The OpenTelemetry semantic-convention names Beamline's spans use (#22), taken from
 * @opentelemetry/semantic-conventions (pinned exactly: the messaging names are still
 * "incubating" there and may change between its minor versions) so runtime code names them
 * without importing the SDK.
 */
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_SUBSCRIPTION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_RECEIVE,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_OPERATION_TYPE_VALUE_SETTLE,
  MESSAGING_SYSTEM_VALUE_PULSAR,
} from '@opentelemetry/semantic-conventions/incubating';

/** Attribute names and values of OpenTelemetry's messaging conventions. */
export const MESSAGING = Object.freeze({
  system: ATTR_MESSAGING_SYSTEM,
  systemPulsar: MESSAGING_SYSTEM_VALUE_PULSAR,
  destination: ATTR_MESSAGING_DESTINATION_NAME,
  subscription: ATTR_MESSAGING_DESTINATION_SUBSCRIPTION_NAME,
  consumerGroup: ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  messageId: ATTR_MESSAGING_MESSAGE_ID,
  batchCount: ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  operationType: ATTR_MESSAGING_OPERATION_TYPE,
  operationName: ATTR_MESSAGING_OPERATION_NAME,
  receive: MESSAGING_OPERATION_TYPE_VALUE_RECEIVE,
  process: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  send: MESSAGING_OPERATION_TYPE_VALUE_SEND,
  settle: MESSAGING_OPERATION_TYPE_VALUE_SETTLE,
} as const);

/** `service.name` of a resource. */
export const SERVICE_NAME = ATTR_SERVICE_NAME;
