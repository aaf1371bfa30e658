/**
 * JSON schemas as Pulsar defines them: the payload is JSON text; the registered definition is an
 * Avro record schema describing it (that is what the broker checks compatibility against).
 */
import { parseAvro } from './avro.ts';
import { SchemaDecodeError, SchemaEncodeError } from './errors.ts';
import type { Schema } from './schema.ts';
import type { SchemaInfo } from './schema-type.ts';
import { parseJson, stringifyJson } from '../../json.ts';

export function jsonSchema<T = Record<string, unknown>>(avroDefinition: string | object, name?: string): Schema<T> {
  const type = parseAvro(avroDefinition);
  const info: SchemaInfo = Object.freeze({
    name: name ?? type.name ?? 'json',
    type: 'JSON',
    data: Buffer.from(JSON.stringify(type.schema()), 'utf8'),
    properties: Object.freeze({ __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false' }),
  });
  return {
    info,
    encode(value) {
      try {
        return Buffer.from(stringifyJson(value) ?? 'null', 'utf8');
      } catch (err) {
        throw new SchemaEncodeError(`value cannot be written as JSON: ${(err as Error).message}`, { schema: info.name }, err);
      }
    },
    decode(payload) {
      try {
        return parseJson(payload.toString('utf8')) as T;
      } catch (err) {
        throw new SchemaDecodeError(
          `payload is not valid JSON for schema ${info.name}`,
          { schema: info.name, length: payload.length },
          err,
        );
      }
    },
  };
}
