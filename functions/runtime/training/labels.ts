/**
 * #23: labels on the namespace's `labels` topic, keyed like the events. Review outcomes
 * (an analyst rejecting a payment says fraud, approving says honest) and confirmed-fraud
 * feedback (chargebacks, customer reports) are the same record with another `source`; for one
 * event the latest label wins, so a chargeback after an approval turns the label to fraud.
 */
import { avroSchema, type Producer, type PulsarClient } from '../../pulsar/index.ts';
import { TRAINING_ERROR_CODES, trainingError } from './errors.ts';

export const LABEL_SCHEMA = Object.freeze({
  type: 'record',
  name: 'Label',
  namespace: 'dev.beamline',
  doc: 'Ground truth for one event, joined to its features by eventId',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'key', type: ['null', 'string'], default: null },
    { name: 'fraud', type: 'boolean', doc: 'true: confirmed fraud; false: honest' },
    { name: 'source', type: 'string', doc: 'review | feedback | generator | ...' },
    { name: 'atMs', type: 'long', doc: 'when the label was known (epoch ms)' },
    { name: 'by', type: ['null', 'string'], default: null },
  ],
});

export interface Label {
  eventId: string;
  key: string | null;
  fraud: boolean;
  source: string;
  atMs: number;
  by: string | null;
}

const codec = avroSchema<Label>(LABEL_SCHEMA);

export function labelsTopic(tenant: string, namespace: string): string {
  return `persistent://${tenant}/${namespace}/labels`;
}

/** Checks a label before it is written: each error names the field and the fix. */
export function validateLabel(l: Partial<Label>): Label {
  if (typeof l.eventId !== 'string' || l.eventId === '') {
    throw trainingError(
      TRAINING_ERROR_CODES.invalidLabel,
      `label.eventId: invalid value ${JSON.stringify(l.eventId)}; give the id of the labelled event`,
      { field: 'eventId' },
    );
  }
  if (typeof l.fraud !== 'boolean') {
    throw trainingError(
      TRAINING_ERROR_CODES.invalidLabel,
      `label.fraud: invalid value ${JSON.stringify(l.fraud)}; use true (fraud) or false (honest)`,
      { field: 'fraud' },
    );
  }
  if (typeof l.source !== 'string' || l.source === '') {
    throw trainingError(
      TRAINING_ERROR_CODES.invalidLabel,
      `label.source: invalid value ${JSON.stringify(l.source)}; say where the label comes from (review, feedback)`,
      { field: 'source' },
    );
  }
  const atMs = l.atMs ?? Date.now();
  if (!Number.isSafeInteger(atMs) || atMs < 0)
    throw trainingError(TRAINING_ERROR_CODES.invalidLabel, `label.atMs: invalid value ${atMs}; use epoch milliseconds`, { field: 'atMs' });
  return { eventId: l.eventId, key: l.key ?? null, fraud: l.fraud, source: l.source, atMs, by: l.by ?? null };
}

export interface LabelWriter {
  /** `properties`: message properties, e.g. the W3C trace context of the decision it records (#22). */
  write(label: Partial<Label>, options?: { properties?: Readonly<Record<string, string>> }): Promise<Label>;
  close(): Promise<void>;
}

/** A producer on the `labels` topic (Avro, LABEL_SCHEMA; the topic is created on first write). */
export async function openLabelWriter(client: PulsarClient, tenant: string, namespace: string): Promise<LabelWriter> {
  const producer: Producer = await client.createProducer({ topic: labelsTopic(tenant, namespace), batching: false, schema: codec });
  return {
    async write(raw, options = {}) {
      const label = validateLabel(raw);
      await producer.send({
        payload: codec.encode(label),
        ...(label.key === null ? {} : { key: label.key }),
        eventTimeMs: label.atMs,
        ...(options.properties === undefined ? {} : { properties: { ...options.properties } }),
      });
      return label;
    },
    close: () => producer.close(),
  };
}

/** Every label on the topic up to its current end, the latest per event id. Empty when none. */
export async function readLabels(
  client: PulsarClient,
  tenant: string,
  namespace: string,
  options: { readTimeoutMs?: number } = {},
): Promise<Map<string, Label>> {
  const out = new Map<string, Label>();
  const topic = labelsTopic(tenant, namespace);
  const exists = await client.getSchema(topic).catch(() => undefined);
  if (exists === undefined) return out;
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(options.readTimeoutMs ?? 10_000);
      let l: Label;
      try {
        l = codec.decode(m.payload);
      } catch {
        continue; // Not a label (written by something else): skipped, not fatal.
      }
      const had = out.get(l.eventId);
      if (had === undefined || had.atMs <= l.atMs) out.set(l.eventId, l);
    }
  } finally {
    await reader.close();
  }
  return out;
}
