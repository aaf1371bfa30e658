import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  // An admin url nothing listens on: these refusals must come before any request.
  return { out, err, env: { PULSAR_ADMIN_URL: 'http://127.0.0.1:9' }, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

describe('beamline tenant delete', () => {
  it("refuses Pulsar's own tenants, even confirmed", async () => {
    for (const t of ['public', 'pulsar']) {
      const a = io();
      expect(await main(['tenant', 'delete', t, '--confirm', t], a)).toBe(2);
      expect(a.err.join()).toContain(`refusing to delete tenant "${t}"`);
    }
  });

  it('asks for --confirm <tenant> and names a mismatch', async () => {
    const a = io();
    expect(await main(['tenant', 'delete', 'acme-payments'], a)).toBe(2);
    expect(a.err.join()).toContain('confirm with --confirm acme-payments');
    const b = io();
    expect(await main(['tenant', 'delete', 'acme-payments', '--confirm', 'acme'], b)).toBe(2);
    expect(b.err.join()).toContain('--confirm names "acme" but the tenant to delete is "acme-payments"');
  });
});

describe('beamline tenant delete at a terminal', () => {
  it('asks for the tenant name when --confirm is absent and deletes only when it matches', async () => {
    const asked: string[] = [];
    const wrong = { ...io(), prompt: async (q: string) => (asked.push(q), 'acme\n') };
    expect(await main(['tenant', 'delete', 'acme-payments'], wrong)).toBe(2);
    expect(wrong.err.join()).toContain('typed "acme", not "acme-payments": nothing deleted');
    expect(asked[0]).toMatch(/type the tenant name to delete it/);
    // The right name goes on to the delete itself, which fails here only because nothing listens.
    const right = { ...io(), prompt: async () => 'acme-payments' };
    expect(await main(['tenant', 'delete', 'acme-payments'], right)).toBe(1);
    expect(right.err.join()).not.toContain('confirm');
  });
});

describe('beamline tenant validate', () => {
  it('checks every file given and reports each broken one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-validate-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'tenant: [not, a, name\n');
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'tenant: x\n');
    const a = io();
    expect(await main(['tenant', 'validate', 'tenants/acme-payments.yaml', broken, empty], a)).toBe(1);
    expect(a.out.join('\n')).toContain('tenants/acme-payments.yaml: valid');
    expect(a.err.join('\n')).toContain(`${broken}: invalid`);
    expect(a.err.join('\n')).toContain(`${empty}: invalid`);
    expect(a.out.join('\n')).toContain('1 of 3 spec(s) valid');
    const j = io();
    expect(await main(['tenant', 'validate', 'tenants/acme-payments.yaml', 'tenants/ride-safety.yaml', '-o', 'json'], j)).toBe(0);
    expect(JSON.parse(j.out.join(''))).toMatchObject({ ok: true, files: [{ ok: true, tenant: 'acme-payments' }, { ok: true }] });
  });
});
