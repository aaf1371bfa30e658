/** The attributes the sink adds to every Pub/Sub publish (#24); the ledger reads them back. */

/** The Pulsar message id, `ledger:entry:partition:batchIndex` (MessageId.toString()). */
export const PULSAR_ID_ATTRIBUTE = 'beamline.pulsar_message_id';
/** The Pulsar topic (partition) the message came from. */
export const PULSAR_TOPIC_ATTRIBUTE = 'beamline.pulsar_topic';
/**
 * The Pulsar message id as base64 MessageIdData (with batch size and partition): what the sink
 * needs to ack that exact message in Pulsar from a ledger copy, in a later process.
 */
export const PULSAR_ID_BYTES_ATTRIBUTE = 'beamline.pulsar_message_id_bytes';
export const EVENT_TIME_ATTRIBUTE = 'beamline.event_time_ms';
