import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTION_SCHEMA, PREDICTION_SCHEMA, REVIEW_ITEM_SCHEMA } from '../../functions/runtime/index.ts';

/** Drops `doc` strings: documentation is free to differ, the record shape is not. */
function shape(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === 'doc' ? undefined : v)));
}

describe('acme-payments uses the built-in handler, so its output topics carry its records', () => {
  const spec = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as { topics: Record<string, { schema: unknown }> };
  it.each([
    ['predictions', PREDICTION_SCHEMA],
    ['actions', ACTION_SCHEMA],
    ['review', REVIEW_ITEM_SCHEMA],
  ])('%s matches the runtime schema', (topic, schema) => {
    expect(shape(spec.topics[topic]?.schema)).toEqual(shape(schema));
  });
});
