import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import { createPiiTokenizer } from '../../../functions/governance/index.ts';

const key = randomBytes(32);

describe('PII tokenizer', () => {
  it('replaces marked fields (nested too) and leaves the rest and the input untouched', () => {
    const t = createPiiTokenizer({ key, fields: ['cardNumber', 'holder.name'] });
    const input = { cardNumber: '4111111111111111', amount: 12, holder: { name: 'Ada Lovelace', country: 'GB' } };
    const out = t.tokenize(input);
    expect(out.cardNumber).toMatch(/^tok_[A-Za-z0-9_-]{27}$/);
    expect(out.holder.name).toMatch(/^tok_/);
    expect(out.amount).toBe(12);
    expect(out.holder.country).toBe('GB');
    expect(input.cardNumber).toBe('4111111111111111');
    expect(JSON.stringify(out)).not.toContain('4111111111111111');
    expect(JSON.stringify(out)).not.toContain('Lovelace');
  });

  it('is deterministic per tenant key and field, and differs across tenants', () => {
    const a = createPiiTokenizer({ key, fields: ['cardNumber'] });
    const b = createPiiTokenizer({ key: randomBytes(32), fields: ['cardNumber'] });
    const r = { cardNumber: '5500000000000004' };
    expect(a.tokenize(r).cardNumber).toBe(a.tokenize(r).cardNumber);
    expect(a.tokenize(r).cardNumber).toBe(a.tokenFor('cardNumber', '5500000000000004'));
    expect(b.tokenize(r).cardNumber).not.toBe(a.tokenize(r).cardNumber);
  });

  it('keeps null and absent fields, and refuses a short key or a bad path', () => {
    const t = createPiiTokenizer({ key, fields: ['email', 'a.b'] });
    expect(t.tokenize({ email: null, a: null })).toEqual({ email: null, a: null });
    expect(() => createPiiTokenizer({ key: randomBytes(8) })).toThrow(ConfigError);
    expect(() => createPiiTokenizer({ key, fields: ['bad path'] })).toThrow(/pii.fields/);
  });
});
