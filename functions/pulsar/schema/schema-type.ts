/**
 * Pulsar's schema types: the number carried in the binary protocol's `Schema.type` and the name
 * the admin REST API uses. Values from the published PulsarApi.proto.
 */
export const SCHEMA_TYPES = {
  NONE: 0,
  STRING: 1,
  JSON: 2,
  PROTOBUF: 3,
  AVRO: 4,
  BOOLEAN: 5,
  INT8: 6,
  INT16: 7,
  INT32: 8,
  INT64: 9,
  FLOAT: 10,
  DOUBLE: 11,
  DATE: 12,
  TIME: 13,
  TIMESTAMP: 14,
  KEY_VALUE: 15,
  INSTANT: 16,
  LOCAL_DATE: 17,
  LOCAL_TIME: 18,
  LOCAL_DATE_TIME: 19,
  PROTOBUF_NATIVE: 20,
  AUTO_CONSUME: 21,
  EXTERNAL: 22,
} as const;

export type SchemaTypeName = keyof typeof SCHEMA_TYPES;

const BY_NUMBER = new Map<number, SchemaTypeName>(Object.entries(SCHEMA_TYPES).map(([k, v]) => [v, k as SchemaTypeName]));

export function schemaTypeName(n: number): SchemaTypeName | undefined {
  return BY_NUMBER.get(n);
}

/**
 * What a producer or consumer declares to the broker, and what the registry stores: the REST
 * API's SchemaInfo shape with the definition kept as bytes.
 */
export interface SchemaInfo {
  readonly name: string;
  readonly type: SchemaTypeName;
  /** The definition: Avro/JSON schema text as UTF-8, empty for primitives. */
  readonly data: Buffer;
  readonly properties: Readonly<Record<string, string>>;
}
