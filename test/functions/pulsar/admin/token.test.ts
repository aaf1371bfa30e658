import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTokenClaims, readSecretKeyFile, signHs256Token } from '../../../../functions/pulsar/admin/index.ts';

describe('signHs256Token', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef');

  it('produces a JWT whose HS256 signature verifies and whose sub is the role', () => {
    const token = signHs256Token({ sub: 'acme-worker', exp: 2_000_000_000 }, key);
    const [h, p, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeTokenClaims(token)).toEqual({ sub: 'acme-worker', exp: 2_000_000_000 });
    expect(s).toBe(createHmac('sha256', key).update(`${h}.${p}`).digest('base64url'));
    expect(token).not.toMatch(/[=+/]/);
  });

  it('refuses an empty role or key', () => {
    expect(() => signHs256Token({ sub: '' }, key)).toThrow(/token.sub/);
    expect(() => signHs256Token({ sub: 'r' }, Buffer.alloc(0))).toThrow(/token.secretKey/);
    // #21: a key shorter than 32 bytes is refused.
    expect(() => signHs256Token({ sub: 'r' }, Buffer.alloc(31, 1))).toThrow(
      /token\.secretKey: invalid value "31 bytes"; use a key of at least 32 random bytes/,
    );
  });

  it('reads raw and base64 data-URI key files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-key-'));
    writeFileSync(join(dir, 'raw.key'), key);
    writeFileSync(join(dir, 'b64.key'), `data:;base64,${key.toString('base64')}\n`);
    expect(readSecretKeyFile(join(dir, 'raw.key'))).toEqual(key);
    expect(readSecretKeyFile(`file://${join(dir, 'b64.key')}`)).toEqual(key);
    expect(() => readSecretKeyFile(join(dir, 'missing.key'))).toThrow(/secretKeyFile/);
  });
});
