/**
 * The Avro schemas of what the built-in scoring handler writes. Tenant specs that use the
 * built-in handler give their predictions, actions and review topics exactly these schemas
 * (a test compares tenants/acme-payments.yaml against them), so the broker's schema validation
 * accepts every record the worker produces.
 */
const timestampMillis = { type: 'long', logicalType: 'timestamp-millis' } as const;
const optionalString = ['null', 'string'] as const;
const optionalDouble = ['null', 'double'] as const;

export const PREDICTION_SCHEMA = Object.freeze({
  type: 'record',
  name: 'Prediction',
  namespace: 'dev.beamline',
  doc: 'One decision on one input event',
  fields: [
    { name: 'eventId', type: 'string', doc: 'The input event id (a field of the event, or its message id)' },
    { name: 'key', type: optionalString, default: null },
    { name: 'decision', type: 'string', doc: 'approve | review | block' },
    { name: 'score', type: optionalDouble, default: null },
    { name: 'modelVersion', type: optionalString, default: null },
    { name: 'shadowScore', type: optionalDouble, default: null },
    { name: 'shadowModelVersion', type: optionalString, default: null },
    { name: 'policyVersion', type: 'string' },
    { name: 'fallbackReason', type: optionalString, default: null },
    { name: 'features', type: ['null', { type: 'map', values: 'double' }], default: null },
    {
      name: 'traceId',
      type: 'string',
      doc: "The W3C trace id of the input record's trace (its traceparent): joins decision, action, review item, audit and trace",
    },
    { name: 'eventTime', type: timestampMillis },
  ],
});

export const ACTION_SCHEMA = Object.freeze({
  type: 'record',
  name: 'Action',
  namespace: 'dev.beamline',
  doc: 'A side effect to apply (by `beamline actions`), at most once per idempotency key',
  fields: [
    { name: 'idempotencyKey', type: 'string' },
    { name: 'eventId', type: 'string' },
    { name: 'key', type: optionalString, default: null },
    { name: 'action', type: 'string', doc: 'e.g. block' },
    { name: 'score', type: optionalDouble, default: null },
    { name: 'modelVersion', type: optionalString, default: null },
    { name: 'policyVersion', type: 'string' },
    { name: 'traceId', type: 'string' },
    { name: 'eventTime', type: timestampMillis },
  ],
});

export const REVIEW_ITEM_SCHEMA = Object.freeze({
  type: 'record',
  name: 'ReviewItem',
  namespace: 'dev.beamline',
  doc: 'A decision left to a human analyst',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'key', type: optionalString, default: null },
    { name: 'status', type: 'string', doc: 'open | approved | rejected' },
    { name: 'score', type: optionalDouble, default: null },
    { name: 'modelVersion', type: optionalString, default: null },
    { name: 'policyVersion', type: 'string' },
    { name: 'features', type: ['null', { type: 'map', values: 'double' }], default: null },
    { name: 'traceId', type: 'string' },
    { name: 'eventTime', type: timestampMillis },
    // An analyst's outcome on the same topic (#21): without these, Avro drops who decided and when.
    { name: 'type', type: optionalString, default: null, doc: 'review-outcome for an outcome' },
    { name: 'decidedBy', type: optionalString, default: null },
    { name: 'decidedAtMs', type: ['null', 'long'], default: null },
    { name: 'timeToDecisionMs', type: ['null', 'long'], default: null },
    { name: 'note', type: optionalString, default: null },
  ],
});
