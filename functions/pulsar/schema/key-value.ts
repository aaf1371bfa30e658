/**
 * KeyValue schemas. INLINE puts both parts in the payload as
 * `[keyLength int32 BE][key][valueLength int32 BE][value]`; SEPARATED puts the key bytes in the
 * message key (base64) and only the value in the payload. The registered definition is
 * `[keySchemaLength][keySchema][valueSchemaLength][valueSchema]` with the parts' types in properties.
 */
import { SchemaDecodeError } from './errors.ts';
import type { Schema } from './schema.ts';
import type { SchemaInfo } from './schema-type.ts';

export type KeyValueEncoding = 'INLINE' | 'SEPARATED';

export interface KeyValue<K, V> {
  key: K;
  value: V;
}

export interface KeyValueSchema<K, V> extends Schema<KeyValue<K, V>> {
  readonly encoding: KeyValueEncoding;
  readonly keySchema: Schema<K>;
  readonly valueSchema: Schema<V>;
}

function lengthPrefixed(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + a.length + b.length);
  out.writeInt32BE(a.length, 0);
  a.copy(out, 4);
  out.writeInt32BE(b.length, 4 + a.length);
  b.copy(out, 8 + a.length);
  return out;
}

function splitLengthPrefixed(buf: Buffer, what: string): [Buffer, Buffer] {
  if (buf.length < 8) throw new SchemaDecodeError(`${what} too short: ${buf.length} bytes`, { length: buf.length });
  const kLen = buf.readInt32BE(0);
  if (kLen < 0 || 8 + kLen > buf.length) throw new SchemaDecodeError(`${what}: key length ${kLen} out of range`, { length: buf.length });
  const vLen = buf.readInt32BE(4 + kLen);
  if (vLen < 0 || 8 + kLen + vLen !== buf.length)
    throw new SchemaDecodeError(`${what}: value length ${vLen} out of range`, { length: buf.length });
  return [buf.subarray(4, 4 + kLen), buf.subarray(8 + kLen)];
}

export function keyValueSchema<K, V>(
  keySchema: Schema<K>,
  valueSchema: Schema<V>,
  encoding: KeyValueEncoding = 'INLINE',
): KeyValueSchema<K, V> {
  const info: SchemaInfo = Object.freeze({
    name: 'KeyValue',
    type: 'KEY_VALUE',
    data: lengthPrefixed(keySchema.info.data, valueSchema.info.data),
    properties: Object.freeze({
      'key.schema.name': keySchema.info.name,
      'key.schema.type': keySchema.info.type,
      'key.schema.properties': JSON.stringify(keySchema.info.properties),
      'value.schema.name': valueSchema.info.name,
      'value.schema.type': valueSchema.info.type,
      'value.schema.properties': JSON.stringify(valueSchema.info.properties),
      'kv.encoding.type': encoding,
    }),
  });
  return {
    info,
    encoding,
    keySchema,
    valueSchema,
    encode(kv) {
      // SEPARATED: the caller puts `encodeKey(kv.key)` in the message key (base64).
      return encoding === 'INLINE' ? lengthPrefixed(keySchema.encode(kv.key), valueSchema.encode(kv.value)) : valueSchema.encode(kv.value);
    },
    decode(payload, writer) {
      if (encoding === 'SEPARATED') {
        throw new SchemaDecodeError('a SEPARATED KeyValue needs the message key: use decodeSeparated(keyBytes, payload)', {});
      }
      const [k, v] = splitLengthPrefixed(payload, 'KeyValue payload');
      const parts = writer ? splitWriter(writer) : undefined;
      return { key: keySchema.decode(k, parts?.key), value: valueSchema.decode(v, parts?.value) };
    },
  };
}

/** Decodes a SEPARATED KeyValue from the message key bytes and the payload. */
export function decodeSeparated<K, V>(schema: KeyValueSchema<K, V>, keyBytes: Buffer, payload: Buffer): KeyValue<K, V> {
  return { key: schema.keySchema.decode(keyBytes), value: schema.valueSchema.decode(payload) };
}

/** The key and value SchemaInfos inside a KEY_VALUE SchemaInfo. */
export function splitWriter(writer: SchemaInfo): { key: SchemaInfo; value: SchemaInfo } {
  const [k, v] = splitLengthPrefixed(writer.data, 'KeyValue schema definition');
  const p = writer.properties;
  const part = (prefix: 'key' | 'value', data: Buffer): SchemaInfo => ({
    name: p[`${prefix}.schema.name`] ?? prefix,
    type: (p[`${prefix}.schema.type`] ?? 'BYTES') as SchemaInfo['type'],
    data,
    properties: JSON.parse(p[`${prefix}.schema.properties`] ?? '{}') as Record<string, string>,
  });
  return { key: part('key', k), value: part('value', v) };
}
