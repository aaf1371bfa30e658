import { describe, expect, it } from 'vitest';
import {
  SchemaDecodeError,
  SchemaDefinitionError,
  SchemaEncodeError,
  SchemaRegistry,
  avroSchema,
  booleanSchema,
  doubleSchema,
  int32Schema,
  int64Schema,
  jsonSchema,
  keyValueSchema,
  schemaFromInfo,
  schemaVersionBytes,
  schemaVersionNumber,
  stringSchema,
  type SchemaInfo,
} from '../../../../functions/pulsar/schema/index.ts';

const paymentV1 = {
  type: 'record',
  name: 'Payment',
  namespace: 'acme',
  fields: [
    { name: 'cardId', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
const paymentV2 = {
  ...paymentV1,
  fields: [...paymentV1.fields, { name: 'currency', type: 'string', default: 'EUR' }],
};

describe('primitive schemas', () => {
  it('use the Java client byte layout (big-endian)', () => {
    expect(int32Schema.encode(0x01020304)).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(int64Schema.encode(-2n)).toEqual(Buffer.from([255, 255, 255, 255, 255, 255, 255, 254]));
    expect(booleanSchema.encode(true)).toEqual(Buffer.from([1]));
    expect(doubleSchema.decode(doubleSchema.encode(Math.PI))).toBe(Math.PI);
    expect(stringSchema.decode(stringSchema.encode('grüße'))).toBe('grüße');
  });

  it('refuse payloads of the wrong size with a typed decode error', () => {
    expect(() => int32Schema.decode(Buffer.from([1, 2]))).toThrow(SchemaDecodeError);
  });
});

describe('Avro', () => {
  it('round-trips a record and registers its definition', () => {
    const s = avroSchema<{ cardId: string; amount: number }>(paymentV1);
    expect(s.info.type).toBe('AVRO');
    expect(s.info.name).toBe('acme.Payment');
    expect(JSON.parse(s.info.data.toString('utf8')).fields).toHaveLength(2);
    expect(s.decode(s.encode({ cardId: 'c1', amount: 12.5 }))).toEqual({ cardId: 'c1', amount: 12.5 });
  });

  it('reads v1 messages with a v2 reader through the writer schema (defaults fill new fields)', () => {
    const v1 = avroSchema(paymentV1);
    const v2 = avroSchema(paymentV2);
    const old = v1.encode({ cardId: 'c9', amount: 3 });
    expect(v2.decode(old, v1.info)).toEqual({ cardId: 'c9', amount: 3, currency: 'EUR' });
    expect(v2.decode(v2.encode({ cardId: 'c9', amount: 3, currency: 'USD' }))).toEqual({ cardId: 'c9', amount: 3, currency: 'USD' });
  });

  it('names the bad field when a value does not match', () => {
    const s = avroSchema(paymentV1);
    expect(() => s.encode({ cardId: 'c1', amount: 'lots' })).toThrow(/amount/);
    expect(() => s.encode({ cardId: 'c1', amount: 'lots' })).toThrow(SchemaEncodeError);
  });

  it('turns garbage bytes into a decode error, not a crash', () => {
    const s = avroSchema(paymentV1);
    expect(() => s.decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(SchemaDecodeError);
  });

  it('refuses an invalid definition with the fix', () => {
    expect(() => avroSchema({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'strnig' }] })).toThrow(SchemaDefinitionError);
  });
});

describe('JSON and KeyValue', () => {
  it('JSON registers an Avro definition and carries JSON text', () => {
    const s = jsonSchema(paymentV1);
    expect(s.info.type).toBe('JSON');
    expect(s.encode({ cardId: 'x', amount: 1 }).toString()).toBe('{"cardId":"x","amount":1}');
    expect(() => s.decode(Buffer.from('{nope'))).toThrow(SchemaDecodeError);
  });

  it('KeyValue INLINE lays out [len][key][len][value] and round-trips through its own SchemaInfo', () => {
    const kv = keyValueSchema(stringSchema, avroSchema(paymentV1));
    const bytes = kv.encode({ key: 'k1', value: { cardId: 'c', amount: 2 } });
    expect(bytes.readInt32BE(0)).toBe(2);
    expect(bytes.subarray(4, 6).toString()).toBe('k1');
    expect(kv.decode(bytes)).toEqual({ key: 'k1', value: { cardId: 'c', amount: 2 } });
    const generic = schemaFromInfo(kv.info);
    expect(generic.decode(bytes, kv.info)).toEqual({ key: 'k1', value: { cardId: 'c', amount: 2 } });
    expect(() => kv.decode(Buffer.from([0, 0, 0, 9, 1]))).toThrow(SchemaDecodeError);
  });
});

describe('SchemaRegistry', () => {
  it('fetches each writer version once, decodes mixed versions, and supports AUTO_CONSUME', async () => {
    const v1 = avroSchema(paymentV1);
    const v2 = avroSchema(paymentV2);
    const stored = new Map<number, SchemaInfo>([
      [0, v1.info],
      [1, v2.info],
    ]);
    const fetched: Array<number | undefined> = [];
    const registry = new SchemaRegistry({
      fetch: async (topic, version) => {
        expect(topic).toBe('persistent://t/ns/events');
        const n = schemaVersionNumber(version);
        fetched.push(n);
        return stored.get(n ?? 1);
      },
    });
    const topic = 'persistent://t/ns/events-partition-2';
    const m1 = v1.encode({ cardId: 'a', amount: 1 });
    const m2 = v2.encode({ cardId: 'b', amount: 2, currency: 'USD' });
    const [d1, d2, d1again] = await Promise.all([
      registry.decode(v2, topic, schemaVersionBytes(0), m1),
      registry.decode(v2, topic, schemaVersionBytes(1), m2),
      registry.decode(v2, topic, schemaVersionBytes(0), m1),
    ]);
    expect(d1).toEqual({ cardId: 'a', amount: 1, currency: 'EUR' });
    expect(d2).toEqual({ cardId: 'b', amount: 2, currency: 'USD' });
    expect(d1again).toEqual(d1);
    expect(fetched.sort()).toEqual([0, 1]);
    expect(await registry.decodeAuto(topic, schemaVersionBytes(0), m1)).toEqual({ cardId: 'a', amount: 1 });
  });

  it('does not cache a failed fetch', async () => {
    let calls = 0;
    const registry = new SchemaRegistry({
      fetch: async () => {
        calls++;
        if (calls === 1) throw new Error('broker busy');
        return stringSchema.info;
      },
    });
    await expect(registry.writerSchema('persistent://t/n/x', schemaVersionBytes(3))).rejects.toThrow('broker busy');
    await expect(registry.writerSchema('persistent://t/n/x', schemaVersionBytes(3))).resolves.toEqual(stringSchema.info);
    expect(calls).toBe(2);
  });
});
