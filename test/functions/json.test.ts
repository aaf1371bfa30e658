import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../functions/json.ts';

describe('parseJson', () => {
  it('reads integers beyond ±(2^53-1) as bigint, from 16 digits on', () => {
    expect(parseJson('999999999999999')).toBe(999_999_999_999_999);
    expect(parseJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseJson('9007199254740993')).toBe(9007199254740993n);
    expect(parseJson('-9007199254740993')).toBe(-9007199254740993n);
    expect(parseJson('{"a":[1,{"b":18446744073709551615}]}')).toEqual({ a: [1, { b: 18446744073709551615n }] });
  });

  it('gives what JSON.parse gives for every text without an unsafe integer', () => {
    const texts = [
      '{"count":12,"sum":3.5,"last":"abc"}',
      '[1e300,-0,0.1,123456789012345,-123456789012345]',
      // Sixteen digits in a string or a float: the slow path, the same values.
      '{"card":"4111111111111111","n":5}',
      '{"x":1.2345678901234567,"y":12345678901234567e-3}',
      'null',
      '"text"',
    ];
    for (const t of texts) expect(parseJson(t), t).toEqual(JSON.parse(t));
  });

  it('round-trips random values with stringifyJson', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const digits = (n: number): string =>
      Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + Math.floor(rnd() * 9) : Math.floor(rnd() * 10))).join('');
    for (let i = 0; i < 500; i++) {
      const n = 1 + Math.floor(rnd() * 19);
      const big = BigInt(digits(n)) * (rnd() < 0.5 ? -1n : 1n);
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      const value = { id: digits(1 + Math.floor(rnd() * 20)), v: safe ? Number(big) : big, f: rnd() * 1000 };
      expect(parseJson(stringifyJson(value) ?? '')).toEqual(value);
    }
  });
});
