import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compileKeyring,
  createPiiTokenizer,
  DecryptError,
  newKeyringDocument,
  openEnvelope,
  rotateKeyringDocument,
  sealEnvelope,
  singleKeyring,
  UnknownKeyError,
} from '../../../functions/governance/index.ts';

const b64 = (n = 32): string => randomBytes(n).toString('base64');

describe('keyring (#21)', () => {
  it('validates ids, base64, length and refuses passphrases', () => {
    expect(() => compileKeyring({ current: 'a', keys: { a: randomBytes(16).toString('base64') } }, 'keys.json')).toThrow(
      /keys\.json\.keys\.a: invalid value "16 bytes"; give at least 32 random bytes/,
    );
    expect(() => compileKeyring({ current: 'a', keys: { a: 'not base64!' } }, 'f')).toThrow(/f\.keys\.a.*standard base64/);
    const passphrase = Buffer.from('correct horse battery staple, really long').toString('base64');
    expect(() => singleKeyring(passphrase, 'BEAMLINE_PII_KEY')).toThrow(/BEAMLINE_PII_KEY.*looks like a passphrase/);
    expect(() => compileKeyring({ current: 'b', keys: { a: b64() } }, 'f')).toThrow(
      /f\.current: invalid value "b"; name one of the keys \(a\)/,
    );
    expect(() => compileKeyring({ current: 'a', keys: { 'bad id': b64() } }, 'f')).toThrow(/key ids are/);
    expect(() => compileKeyring([], 'f')).toThrow(/give an object/);
  });

  it('rotates: a new current key, old keys kept, token key pinned', () => {
    const d1 = newKeyringDocument('2026-01');
    const d2 = rotateKeyringDocument(d1, '2026-12');
    const r = compileKeyring(d2, 'keys');
    expect(r.currentId).toBe('2026-12');
    expect(r.tokenKeyId).toBe('2026-01');
    expect(r.ids).toEqual(['2026-01', '2026-12']);
    expect(() => rotateKeyringDocument(d2, '2026-12')).toThrow(/already holds/);
    expect(() => r.key('gone')).toThrow(UnknownKeyError);
  });

  it('tokens stay the same across a rotation', () => {
    const d1 = newKeyringDocument('a');
    const r1 = compileKeyring(d1, 'k');
    const r2 = compileKeyring(rotateKeyringDocument(d1, 'b'), 'k');
    const t1 = createPiiTokenizer({ key: r1.key(r1.tokenKeyId), fields: ['card'], keyIsPii: true });
    const t2 = createPiiTokenizer({ key: r2.key(r2.tokenKeyId), fields: ['card'], keyIsPii: true });
    expect(t2.tokenize({ card: '4111' })).toEqual(t1.tokenize({ card: '4111' }));
    expect(t2.tokenizeKey('rider-7')).toBe(t1.tokenizeKey('rider-7'));
    expect(t1.tokenizeKey('rider-7')).toMatch(/^tok_/);
  });
});

describe('envelope (#21)', () => {
  it('seals under the current key and opens after a rotation; altered or moved envelopes fail', () => {
    const d1 = newKeyringDocument('a');
    const r1 = compileKeyring(d1, 'k');
    const env = sealEnvelope(r1, Buffer.from('4111111111111111'), 'ctx-1');
    expect(env.kid).toBe('a');
    expect(JSON.stringify(env)).not.toContain('4111111111111111');
    const r2 = compileKeyring(rotateKeyringDocument(d1, 'b'), 'k');
    expect(openEnvelope(r2, env, 'ctx-1').toString()).toBe('4111111111111111');
    expect(sealEnvelope(r2, Buffer.from('x'), 'c').kid).toBe('b');
    expect(() => openEnvelope(r2, env, 'ctx-2')).toThrow(DecryptError);
    const ct = Buffer.from(env.ct, 'base64');
    ct[ct.length - 1] = (ct[ct.length - 1] as number) ^ 1;
    expect(() => openEnvelope(r2, { ...env, ct: ct.toString('base64') }, 'ctx-1')).toThrow(/BL_GOVERNANCE_DECRYPT|could not be decrypted/);
    // Another tenant's key of the same id cannot unwrap the data key.
    expect(() => openEnvelope(compileKeyring(newKeyringDocument('a'), 'k'), env, 'ctx-1')).toThrow(DecryptError);
    // A keyring without the wrapping key: the data is gone.
    expect(() => openEnvelope(compileKeyring(newKeyringDocument('c'), 'k'), env, 'ctx-1')).toThrow(UnknownKeyError);
  });
});
