/**
 * Builds a schema from a registry entry: what AUTO_CONSUME needs to decode a message with the
 * schema it was written with, whatever its type.
 */
import { avroSchema } from './avro.ts';
import { SchemaDefinitionError } from './errors.ts';
import { jsonSchema } from './json.ts';
import { keyValueSchema, splitWriter, type KeyValueEncoding } from './key-value.ts';
import {
  booleanSchema,
  bytesSchema,
  doubleSchema,
  floatSchema,
  int16Schema,
  int32Schema,
  int64Schema,
  int8Schema,
  stringSchema,
  timestampSchema,
} from './primitives.ts';
import type { Schema } from './schema.ts';
import type { SchemaInfo } from './schema-type.ts';

export function schemaFromInfo(info: SchemaInfo): Schema<unknown> {
  switch (info.type) {
    case 'AVRO':
      return avroSchema(info.data.toString('utf8'), { name: info.name, properties: { ...info.properties } }) as Schema<unknown>;
    case 'JSON':
      return jsonSchema(info.data.toString('utf8'), info.name) as Schema<unknown>;
    case 'STRING':
      return stringSchema as Schema<unknown>;
    case 'NONE':
    case 'AUTO_CONSUME':
      return bytesSchema as Schema<unknown>;
    case 'BOOLEAN':
      return booleanSchema as Schema<unknown>;
    case 'INT8':
      return int8Schema as Schema<unknown>;
    case 'INT16':
      return int16Schema as Schema<unknown>;
    case 'INT32':
      return int32Schema as Schema<unknown>;
    case 'INT64':
      return int64Schema as Schema<unknown>;
    case 'FLOAT':
      return floatSchema as Schema<unknown>;
    case 'DOUBLE':
      return doubleSchema as Schema<unknown>;
    case 'TIMESTAMP':
      return timestampSchema as Schema<unknown>;
    case 'KEY_VALUE': {
      const parts = splitWriter(info);
      const encoding = (info.properties['kv.encoding.type'] ?? 'INLINE') as KeyValueEncoding;
      return keyValueSchema(schemaFromInfo(parts.key), schemaFromInfo(parts.value), encoding) as Schema<unknown>;
    }
    default:
      throw new SchemaDefinitionError(`schema type ${info.type} is not supported by Beamline yet`, {
        type: info.type,
        fix: 'use AVRO, JSON, STRING, KEY_VALUE, bytes or a primitive type',
      });
  }
}
