/** Schemas: Avro, JSON, string, bytes, primitives and KeyValue; a registry of writer schemas. */
export { adminSchemaFetcher, fromAdmin } from './admin-fetcher.ts';
export { avroSchema, parseAvro, type AvroSchemaOptions } from './avro.ts';
export type { AvroLongMode } from './avro-long.ts';
export { SchemaDecodeError, SchemaDefinitionError, SchemaEncodeError } from './errors.ts';
export { schemaFromInfo } from './from-info.ts';
export { jsonSchema } from './json.ts';
export { decodeSeparated, keyValueSchema, splitWriter, type KeyValue, type KeyValueEncoding, type KeyValueSchema } from './key-value.ts';
export {
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
export { SchemaRegistry, schemaVersionBytes, schemaVersionNumber, type SchemaFetcher, type SchemaRegistryOptions } from './registry.ts';
export type { Schema } from './schema.ts';
export { SCHEMA_TYPES, schemaTypeName, type SchemaInfo, type SchemaTypeName } from './schema-type.ts';
