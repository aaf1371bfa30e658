import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../../../functions/json.ts';
import { avroSchema } from '../../../../functions/pulsar/schema/index.ts';

const R = {
  type: 'record',
  name: 'R',
  fields: [
    { name: 'n', type: 'long' },
    { name: 'o', type: ['null', 'long'], default: null },
  ],
};

describe('Avro long', () => {
  it('round-trips the 64-bit limits exactly: numbers while safe, bigint beyond (auto) or always (bigint)', () => {
    const auto = avroSchema<{ n: number | bigint; o: number | bigint | null }>(R);
    const big = avroSchema<{ n: bigint; o: bigint | null }>(R, { longs: 'bigint' });
    for (const n of [0n, 9007199254740991n, 9007199254740993n, 2n ** 63n - 1n, -(2n ** 63n), -9007199254740993n]) {
      const bytes = auto.encode({ n, o: n });
      const safe = n >= -9007199254740991n && n <= 9007199254740991n;
      expect(auto.decode(bytes)).toEqual({ n: safe ? Number(n) : n, o: safe ? Number(n) : n });
      expect(big.decode(bytes)).toEqual({ n, o: n });
      expect(big.encode({ n, o: null })).toEqual(auto.encode({ n: safe ? Number(n) : n, o: null }));
    }
  });

  it('refuses a rounded number and a bigint outside 64 bits, naming the field', () => {
    const s = avroSchema(R);
    expect(() => s.encode({ n: 2 ** 60, o: null })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_SCHEMA_ENCODE', message: expect.stringContaining('at n') }),
    );
    expect(() => s.encode({ n: 2n ** 63n, o: null })).toThrow(expect.objectContaining({ code: 'BL_PULSAR_SCHEMA_ENCODE' }));
    expect(() => avroSchema(R, { longs: 'string' as 'auto' })).toThrow(expect.objectContaining({ code: 'BL_PULSAR_SCHEMA_DEFINITION' }));
  });

  it('reads an int written by an older schema version as a long', () => {
    const v1 = avroSchema({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }] });
    const v2 = avroSchema(R, { longs: 'bigint' });
    expect(v2.decode(v1.encode({ n: 7 }), v1.info)).toEqual({ n: 7n, o: null });
  });
});

describe('JSON with 64-bit integers', () => {
  it('writes bigint as exact JSON numbers and reads unsafe integers back as bigint', () => {
    const value = { a: 2n ** 63n - 1n, b: 1n, c: 1.5, d: [-(2n ** 63n)], e: 'x' };
    const text = stringifyJson(value);
    expect(text).toBe('{"a":9223372036854775807,"b":1,"c":1.5,"d":[-9223372036854775808],"e":"x"}');
    expect(parseJson(text ?? '')).toEqual({ a: 2n ** 63n - 1n, b: 1, c: 1.5, d: [-(2n ** 63n)], e: 'x' });
    // A large float literal stays a number.
    expect(parseJson('1e300')).toBe(1e300);
  });
});
