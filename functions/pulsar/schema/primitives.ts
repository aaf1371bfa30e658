/**
 * Primitive schemas with the same byte layout as Pulsar's Java client (big-endian numbers,
 * UTF-8 strings, one byte for booleans), so both sides read each other's messages.
 */
import { SchemaDecodeError, SchemaEncodeError } from './errors.ts';
import type { Schema } from './schema.ts';
import type { SchemaInfo, SchemaTypeName } from './schema-type.ts';

function info(type: SchemaTypeName, name: string): SchemaInfo {
  return Object.freeze({ name, type, data: Buffer.alloc(0), properties: Object.freeze({}) });
}

function fixed<T>(type: SchemaTypeName, size: number, write: (b: Buffer, v: T) => void, read: (b: Buffer) => T): Schema<T> {
  return {
    info: info(type, type),
    encode(value) {
      const b = Buffer.allocUnsafe(size);
      try {
        write(b, value);
      } catch (err) {
        throw new SchemaEncodeError(`value does not fit ${type}`, { type, value: String(value) }, err);
      }
      return b;
    },
    decode(payload) {
      if (payload.length !== size) {
        throw new SchemaDecodeError(`${type} payload must be ${size} bytes, got ${payload.length}`, { type, length: payload.length });
      }
      return read(payload);
    },
  };
}

export const stringSchema: Schema<string> = {
  info: info('STRING', 'String'),
  encode: (v) => Buffer.from(v, 'utf8'),
  decode: (b) => b.toString('utf8'),
};

/** Raw bytes: no schema registered with the broker (type NONE). */
export const bytesSchema: Schema<Buffer> = {
  info: info('NONE', 'Bytes'),
  encode: (v) => v,
  decode: (b) => b,
};

export const booleanSchema = fixed<boolean>(
  'BOOLEAN',
  1,
  (b, v) => b.writeUInt8(v ? 1 : 0),
  (b) => b.readUInt8(0) !== 0,
);
export const int8Schema = fixed<number>(
  'INT8',
  1,
  (b, v) => b.writeInt8(v),
  (b) => b.readInt8(0),
);
export const int16Schema = fixed<number>(
  'INT16',
  2,
  (b, v) => b.writeInt16BE(v),
  (b) => b.readInt16BE(0),
);
export const int32Schema = fixed<number>(
  'INT32',
  4,
  (b, v) => b.writeInt32BE(v),
  (b) => b.readInt32BE(0),
);
export const int64Schema = fixed<bigint>(
  'INT64',
  8,
  (b, v) => b.writeBigInt64BE(v),
  (b) => b.readBigInt64BE(0),
);
export const floatSchema = fixed<number>(
  'FLOAT',
  4,
  (b, v) => b.writeFloatBE(v),
  (b) => b.readFloatBE(0),
);
export const doubleSchema = fixed<number>(
  'DOUBLE',
  8,
  (b, v) => b.writeDoubleBE(v),
  (b) => b.readDoubleBE(0),
);
/** Milliseconds since the epoch, as the Java client writes TIMESTAMP (an int64). */
export const timestampSchema = fixed<number>(
  'TIMESTAMP',
  8,
  (b, v) => b.writeBigInt64BE(BigInt(Math.trunc(v))),
  (b) => Number(b.readBigInt64BE(0)),
);
