import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKeyringFile } from '../../functions/control-plane.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { env, out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

describe('beamline keys (#21)', () => {
  it('creates a keyring, rotates it keeping old keys and the token key, and never prints key material', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-keys-'));
    const file = join(dir, 'keys.json');
    const a = io();
    expect(await main(['keys', 'create', '--file', file, '--key-id', 'k1'], a)).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const material = (JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, string> }).keys['k1'] as string;
    expect(a.out.join('')).not.toContain(material);
    expect(await main(['keys', 'create', '--file', file], io())).toBe(2);
    const b = io({ BEAMLINE_KEYS_FILE: file });
    expect(await main(['keys', 'rotate', '--key-id', 'k2', '-o', 'json'], b)).toBe(0);
    expect(JSON.parse(b.out.join(''))).toEqual({ ok: true, file, current: 'k2', tokens: 'k1', keys: ['k1', 'k2'] });
    const ring = readKeyringFile(file);
    expect(ring.key('k1').toString('base64')).toBe(material);
    const again = io();
    expect(await main(['keys', 'rotate', '--file', file, '--key-id', 'k2'], again)).toBe(2);
    expect(again.err.join()).toContain('already holds');
  });

  it('check names the broken field: a short key, a passphrase, a current key that is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-keys-'));
    const cases: Array<[unknown, string]> = [
      [{ current: 'a', keys: { a: Buffer.alloc(8, 1).toString('base64') } }, 'keys.a: invalid value "8 bytes"'],
      [
        { current: 'a', keys: { a: Buffer.from('my secret passphrase that is long enough').toString('base64') } },
        'looks like a passphrase',
      ],
      [{ current: 'b', keys: { a: Buffer.alloc(32, 1).toString('base64') } }, '.current: invalid value "b"'],
    ];
    for (const [doc, message] of cases) {
      const file = join(dir, 'k.json');
      writeFileSync(file, JSON.stringify(doc));
      const c = io();
      expect(await main(['keys', 'check', '--file', file], c)).toBe(2);
      expect(c.err.join()).toContain(message);
    }
  });
});
