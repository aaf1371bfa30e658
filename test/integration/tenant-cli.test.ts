/**
 * The `beamline` CLI end to end against the dev broker: tenant validate/plan/apply/describe/
 * list/delete and schema check, through `main()` (and once through bin/beamline.js).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PulsarAdmin, PulsarAdminError } from '../../functions/control-plane.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarEnv();
const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });
const tenant = uniqueName('cli');
const dir = mkdtempSync(join(tmpdir(), 'bl-cli-it-'));
const specFile = join(dir, `${tenant}.yaml`);
const cliEnv = {
  PULSAR_ADMIN_URL: env.adminUrl,
  BEAMLINE_LOCAL_CLUSTER: env.cluster,
  ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }),
};
const events = `persistent://${tenant}/central/events`;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env: cliEnv, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function avsc(name: string, fields: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ type: 'record', name: 'CardAuthorization', namespace: 'com.acme.payments', fields }));
  return file;
}

const doc = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as Record<string, unknown> & {
  topics: Record<string, { schema?: { fields: unknown[] } }>;
};
const v1Fields = doc.topics['events']?.schema?.fields ?? [];

beforeAll(() => {
  writeFileSync(specFile, stringify({ ...doc, tenant, regions: [{ name: 'central', cluster: 'central' }], replication: undefined }));
});
afterAll(async () => {
  await admin.tenants.delete(tenant, { force: true }).catch(() => undefined);
});

describe('beamline tenant', () => {
  it('validate, plan, apply, then plan says no changes', async () => {
    expect((await run('tenant', 'validate', specFile)).code).toBe(0);
    const planned = await run('tenant', 'plan', specFile, '-o', 'json');
    expect(planned.code).toBe(0);
    const changes = (JSON.parse(planned.out) as { plan: { changes: { op: string }[] } }).plan.changes;
    expect(changes[0]?.op).toBe('create-tenant');
    const applied = await run('tenant', 'apply', specFile);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain(`applied ${changes.length} change(s)`);
    const again = await run('tenant', 'apply', specFile);
    expect(again.out).toContain('no changes');
    expect(again.out).toContain('nothing to do');
  });

  it('plan --detailed-exitcode: 2 while changes are pending, 0 when none, 1 on an error', async () => {
    const other = join(dir, 'pending.yaml');
    writeFileSync(other, readFileSync(specFile, 'utf8').replace(new RegExp(`\\b${tenant}\\b`, 'g'), `${tenant}-pending`));
    expect((await run('tenant', 'plan', other, '--detailed-exitcode')).code).toBe(2);
    // The tenant the previous test applied has nothing to change.
    const none = await run('tenant', 'plan', specFile, '--detailed-exitcode');
    expect(none.code, none.err).toBe(0);
    expect((await run('tenant', 'plan', join(dir, 'missing.yaml'), '--detailed-exitcode')).code).toBe(1);
    expect((await run('tenant', 'plan', specFile, '--detailed-exitcode', '--no-such-flag')).code).toBe(1);
  });

  it('describe and list show the tenant', async () => {
    const described = await run('tenant', 'describe', tenant, '-o', 'json');
    expect(described.code).toBe(0);
    const observed = (JSON.parse(described.out) as { observed: { namespaces: Record<string, { topics: Record<string, unknown> }> } })
      .observed;
    expect(Object.keys(observed.namespaces[`${tenant}/central`]?.topics ?? {})).toHaveLength(11);
    const text = await run('tenant', 'describe', tenant);
    expect(text.out).toContain(`topic ${events}: 8 partition(s)`);
    expect((await run('tenant', 'list')).out).toContain(`${tenant}\t1 namespace(s)`);
    expect((await run('tenant', 'describe', `${tenant}-nope`)).code).toBe(2);
  });
});

describe('beamline schema check', () => {
  it('accepts a backward-compatible change (new optional field)', async () => {
    const file = avsc('v2-ok.avsc', [...v1Fields, { name: 'deviceId', type: ['null', 'string'], default: null }]);
    const r = await run('schema', 'check', events, file, '-o', 'json');
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: true,
      result: {
        strategy: 'BACKWARD_TRANSITIVE',
        accepted: true,
        localCompatible: true,
        consumersCanRead: true,
        broker: { isCompatible: true },
      },
    });
  });

  it('refuses a change that breaks BACKWARD_TRANSITIVE, and so does the broker', async () => {
    const file = avsc('v2-bad.avsc', [...v1Fields, { name: 'riskTier', type: 'int' }]);
    const r = await run('schema', 'check', events, file);
    expect(r.code).toBe(1);
    expect(r.out).toContain('REFUSED under BACKWARD_TRANSITIVE');
    expect(r.out).toContain('broker: incompatible');
    const upload = await admin.schemas.post(events, { type: 'AVRO', data: readFileSync(file, 'utf8') }).catch((e: unknown) => e);
    expect(upload).toBeInstanceOf(PulsarAdminError);
    expect((upload as PulsarAdminError).status).toBe(409);
  });

  it('warns when the broker would accept a schema that current consumers cannot read', async () => {
    const file = avsc(
      'v2-drop.avsc',
      v1Fields.filter((f) => (f as { name: string }).name !== 'eventId'),
    );
    const r = await run('schema', 'check', events, file, '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ result: { accepted: true, consumersCanRead: false } });
  });
});

describe('beamline tenant delete', () => {
  it('refuses while a subscription holds backlog, then deletes with --force', async () => {
    // models: no schema and no deduplication, which the REST producer cannot satisfy.
    const dl = `persistent://${tenant}/central/models`;
    await admin.topics.createSubscription(dl, 'ops');
    // The broker's REST producer: enough to leave unconsumed messages behind.
    const res = await fetch(`${env.adminUrl}/topics/persistent/${tenant}/central/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(env.token === undefined ? {} : { authorization: `Bearer ${env.token}` }) },
      body: JSON.stringify({
        messages: [{ payload: Buffer.from('x').toString('base64') }, { payload: Buffer.from('y').toString('base64') }],
      }),
    });
    expect(res.status).toBe(200);
    const published = (await res.json()) as { messagePublishResults: { errorCode: number }[] };
    expect(published.messagePublishResults.map((m) => m.errorCode)).toEqual([0, 0]);
    const refused = await run('tenant', 'delete', tenant, '--confirm', tenant, '-o', 'json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out)).toMatchObject({ ok: false, error: { code: 'BL_TENANT_HAS_BACKLOG' } });
    expect(await admin.tenants.list()).toContain(tenant);
    const forced = await run('tenant', 'delete', specFile, '--confirm', tenant, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(await admin.tenants.list()).not.toContain(tenant);
  });

  it('runs through the bin/beamline.js shim', () => {
    const out = execFileSync(process.execPath, ['bin/beamline.js', 'tenant', 'list', '--admin-url', env.adminUrl], {
      encoding: 'utf8',
      env: { ...process.env, ...cliEnv },
    });
    expect(out).toContain('public\t');
  });
});
