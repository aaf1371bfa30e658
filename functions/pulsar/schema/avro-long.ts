/**
 * Avro `long` as an exact 64-bit integer. avsc's default long type refuses values beyond
 * ±(2^53-1) ("potential precision loss"), which other clients write freely. Beamline's long:
 *
 * - `'auto'` (the default): a JavaScript number when it is a safe integer, a bigint beyond. Every
 *   value that was readable before stays a number (timestamps, counters, ids below 2^53), so
 *   existing handlers keep working; only values that used to be refused arrive as bigint.
 * - `'bigint'`: always a bigint, for code that wants one type for a `long` field.
 *
 * Encoding accepts a safe-integer number or any bigint in the signed 64-bit range, in both modes.
 */
import avro from 'avsc';

export type AvroLongMode = 'auto' | 'bigint';

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function normalize(v: bigint, mode: AvroLongMode): number | bigint {
  return mode === 'auto' && v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

function isLong(v: unknown): v is number | bigint {
  return (typeof v === 'bigint' && v >= MIN_LONG && v <= MAX_LONG) || (typeof v === 'number' && Number.isSafeInteger(v));
}

function makeLongType(mode: AvroLongMode): avro.types.LongType {
  return avro.types.LongType.__with({
    // avsc hands over (and takes) the value as 8 bytes, little-endian two's complement.
    fromBuffer: (buf: Buffer) => normalize(buf.readBigInt64LE(0), mode),
    toBuffer: (v: number | bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt(v));
      return buf;
    },
    // JSON forms (schema defaults, clone): numbers as they are, a decimal string for a bigint.
    fromJSON: (v: unknown) => {
      if (typeof v === 'bigint') return normalize(v, mode);
      if (typeof v === 'string') return normalize(BigInt(v), mode);
      return mode === 'bigint' ? BigInt(v as number) : v;
    },
    toJSON: (v: number | bigint) => (typeof v === 'bigint' ? v.toString() : v),
    isValid: isLong,
    compare: (a: number | bigint, b: number | bigint) => (a === b ? 0 : a < b ? -1 : 1),
  });
}

const LONG_TYPES: Readonly<Record<AvroLongMode, avro.types.LongType>> = Object.freeze({
  auto: makeLongType('auto'),
  bigint: makeLongType('bigint'),
});

/** avsc `forSchema` options that make every `long` in the schema Beamline's exact long. */
export function avroLongRegistry(mode: AvroLongMode): { registry: Record<string, avro.Type> } {
  // A fresh registry per parse: avsc adds the schema's named types to it.
  return { registry: { long: LONG_TYPES[mode] } };
}
