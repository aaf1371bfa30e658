/**
 * Avro schemas (avsc). Pulsar carries plain Avro binary in the payload (no container header) and
 * the schema definition as JSON text in the registry. Decoding uses the writer's schema when it
 * differs from the reader's, so a consumer built for v2 reads messages written with v1.
 */
import avro from 'avsc';
import { avroLongRegistry, type AvroLongMode } from './avro-long.ts';
import { SchemaDecodeError, SchemaDefinitionError, SchemaEncodeError } from './errors.ts';
import type { Schema } from './schema.ts';
import type { SchemaInfo } from './schema-type.ts';

type AvroType = ReturnType<typeof avro.Type.forSchema>;
type AvroResolver = ReturnType<AvroType['createResolver']>;

/** Parsed Avro types by long mode and definition text: writer schemas repeat across messages. */
const typeCache = new Map<string, AvroType>();

/**
 * Parse an Avro schema whose `long`s decode and encode exactly (see avro-long.ts): every Avro
 * type Beamline encodes or decodes with comes from here.
 */
export function parseAvro(definition: string | object, context: Record<string, unknown> = {}, longs: AvroLongMode = 'auto'): AvroType {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  const cacheKey = `${longs}:${text}`;
  let t = typeCache.get(cacheKey);
  if (t === undefined) {
    try {
      t = avro.Type.forSchema(JSON.parse(text) as avro.Schema, { wrapUnions: false, ...avroLongRegistry(longs) });
    } catch (err) {
      throw new SchemaDefinitionError(
        `invalid Avro schema: ${(err as Error).message}`,
        { ...context, fix: 'check the .avsc against the Avro specification (record name, field types, defaults)' },
        err,
      );
    }
    typeCache.set(cacheKey, t);
  }
  return t;
}

export interface AvroSchemaOptions {
  /** Schema name registered with the broker. @default the record's name */
  name?: string;
  /** Extra schema properties (Pulsar's Java client adds `__alwaysAllowNull`). @default {} */
  properties?: Record<string, string>;
  /**
   * What a `long` decodes to: `'auto'` a number when it is a safe integer and a bigint beyond
   * ±(2^53-1); `'bigint'` always a bigint. Encoding takes either in both modes. @default 'auto'
   */
  longs?: AvroLongMode;
}

export function avroSchema<T = Record<string, unknown>>(definition: string | object, options: AvroSchemaOptions = {}): Schema<T> {
  const longs = options.longs ?? 'auto';
  if (longs !== 'auto' && longs !== 'bigint') {
    throw new SchemaDefinitionError(`invalid Avro long mode ${String(longs)}`, {
      field: 'longs',
      value: longs,
      fix: "use 'auto' or 'bigint'",
    });
  }
  const type = parseAvro(definition, {}, longs);
  // A definition given as text is registered as that exact text: the broker compares schema
  // bytes, so re-serializing the registry's own definition would add a needless new version.
  const text = typeof definition === 'string' ? definition : JSON.stringify(type.schema());
  const info: SchemaInfo = Object.freeze({
    name: options.name ?? type.name ?? 'avro',
    type: 'AVRO',
    data: Buffer.from(text, 'utf8'),
    properties: Object.freeze({ __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false', ...(options.properties ?? {}) }),
  });
  const resolvers = new Map<string, AvroResolver>();
  return {
    info,
    encode(value) {
      const errors: string[] = [];
      if (!type.isValid(value, { errorHook: (path) => void errors.push(path.join('.') || '(root)') })) {
        throw new SchemaEncodeError(`value does not match Avro schema ${info.name} at ${errors.join(', ')}`, {
          schema: info.name,
          fields: errors,
          fix: 'give each field a value of its Avro type; a long beyond ±(2^53-1) must be a bigint (a number that large is already rounded)',
        });
      }
      return type.toBuffer(value);
    },
    decode(payload, writer) {
      try {
        const writerText = writer?.data.toString('utf8');
        if (writerText === undefined || writerText === text) return type.fromBuffer(payload) as T;
        let resolver = resolvers.get(writerText);
        if (resolver === undefined) {
          resolver = type.createResolver(parseAvro(writerText, {}, longs));
          resolvers.set(writerText, resolver);
        }
        return type.fromBuffer(payload, resolver) as T;
      } catch (err) {
        throw new SchemaDecodeError(
          `payload is not valid Avro for schema ${info.name}: ${(err as Error).message}`,
          { schema: info.name, length: payload.length },
          err,
        );
      }
    },
  };
}
