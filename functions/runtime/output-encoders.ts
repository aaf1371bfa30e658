/**
 * Encoders for the worker's output topics, from the schemas the cluster holds for them: a topic
 * with an Avro schema gets Avro payloads (the broker enforces it), a topic without gets JSON text.
 */
import type { EmitTarget } from '../contract.ts';
import { avroSchema, type PulsarAdmin, type Schema } from '../pulsar/index.ts';
import type { OutputEncoder } from './namespace-worker.ts';
import { stringifyJson } from '../json.ts';

export const EMIT_TARGETS: readonly EmitTarget[] = ['predictions', 'actions', 'review', 'audit'];

export interface OutputSchemas {
  readonly encode: OutputEncoder;
  /** The schema each topic's producer declares (absent: raw bytes). */
  readonly schemas: Partial<Record<EmitTarget, Schema<unknown>>>;
}

/** Reads each output topic's latest schema through the admin API. */
export async function outputSchemasFor(admin: Pick<PulsarAdmin, 'schemas'>, topicOf: (t: EmitTarget) => string): Promise<OutputSchemas> {
  const schemas: Partial<Record<EmitTarget, Schema<unknown>>> = {};
  for (const target of EMIT_TARGETS) {
    const info = await admin.schemas.get(topicOf(target));
    if (info !== null && info.type === 'AVRO') schemas[target] = avroSchema(info.data) as Schema<unknown>;
  }
  return {
    schemas,
    encode: (topic, value) => {
      const s = schemas[topic];
      return s === undefined ? Buffer.from(stringifyJson(value) ?? 'null') : s.encode(value);
    },
  };
}
