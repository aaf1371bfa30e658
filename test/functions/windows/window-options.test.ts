import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import { compileWindowOptions, type WindowOptions } from '../../../functions/windows/index.ts';

describe('compileWindowOptions', () => {
  it('fills defaults and freezes', () => {
    const config = compileWindowOptions({ type: 'tumbling', sizeMs: 60_000 });
    expect(config).toMatchObject({
      type: 'tumbling',
      sizeMs: 60_000,
      slideMs: 60_000,
      gapMs: 0,
      offsetMs: 0,
      maxOutOfOrdernessMs: 0,
      allowedLatenessMs: 0,
      aggregateName: 'count',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown type', { type: 'hopping' }, /^window\.type: invalid value "hopping"; use 'tumbling', 'sliding' or 'session'/],
    ['missing size', { type: 'tumbling' }, /^window\.sizeMs: invalid value undefined; use whole milliseconds >= 1/],
    ['fractional size', { type: 'tumbling', sizeMs: 1.5 }, /^window\.sizeMs: invalid value 1\.5/],
    ['slide over size', { type: 'sliding', sizeMs: 10, slideMs: 20 }, /^window\.slideMs: invalid value 20; use a slide <= sizeMs \(10\)/],
    ['too many windows', { type: 'sliding', sizeMs: 10_000, slideMs: 1 }, /^window\.slideMs: .*at most 1000 windows/],
    ['missing gap', { type: 'session' }, /^window\.gapMs: .*session windows need/],
    ['negative lateness', { type: 'session', gapMs: 5, allowedLatenessMs: -1 }, /^window\.allowedLatenessMs: invalid value -1/],
    ['typo', { type: 'tumbling', sizeMs: 5, maxOutOfOrderness: 3 }, /^window\.maxOutOfOrderness: invalid value 3; remove it/],
    ['bad aggregate', { type: 'tumbling', sizeMs: 5, aggregate: 'median' }, /^window\.aggregate: invalid value "median"; use one of count/],
    ['bad lastN', { type: 'tumbling', sizeMs: 5, aggregate: { lastN: 0 } }, /^window\.aggregate\.lastN: invalid value 0/],
    ['offset too big', { type: 'tumbling', sizeMs: 5, offsetMs: 5 }, /^window\.offsetMs: invalid value 5/],
    [
      'session reducer without merge',
      { type: 'session', gapMs: 5, aggregate: { init: () => 0, add: (a: number) => a, result: (a: number) => a } },
      /^window\.aggregate\.merge: .*needs merge\(a, b\)/,
    ],
  ];
  it.each(bad)('rejects %s with a ConfigError naming field, value and fix', (_name, options, message) => {
    let err: unknown;
    try {
      compileWindowOptions(options as WindowOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(message);
  });
});
