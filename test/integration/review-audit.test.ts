/**
 * #21 review outcomes audited by the worker, on a real broker and a namespace made by `tenant
 * apply` (its review schema enforced, its analyst role recorded): analysts write outcomes to
 * `review` only; the worker writes exactly one `review-decided` audit record per outcome (in a
 * transaction with the outcome's ack), naming the authenticated analyst role as actor, and a
 * restarted worker audits nothing twice. The outcome keeps who decided and when through the
 * topic's Avro schema (`review list --status decided`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAuditPayload, newKeyringDocument, openTopicWriter, readKeyringFile, silentLogger } from '../../functions/control-plane.ts';
import { startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';
import { applySpec, exampleSpec, runCli, type CliResult } from './governance-support.ts';
import { admin, env, newClient, readAll, waitForAsync } from './worker-support.ts';

const tenant = uniqueName('raudit');
const NS = 'central';
const dir = mkdtempSync(join(tmpdir(), 'bl-raudit-it-'));
const keysFile = join(dir, 'keys.json');
writeFileSync(keysFile, JSON.stringify(newKeyringDocument('2026-12-r')));
const doc = exampleSpec();
const client = newClient();
const reviewTopic = `persistent://${tenant}/${NS}/review`;
const auditTopic = `persistent://${tenant}/${NS}/audit`;
let running: RunningWorker | undefined;

const cli = (...argv: string[]): Promise<CliResult> => runCli({ BEAMLINE_KEYS_FILE: keysFile }, ...argv);

function start(): Promise<RunningWorker> {
  return startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: NS,
    httpPort: -1,
    keyring: readKeyringFile(keysFile),
    handler: { process: () => undefined },
    log: silentLogger,
  });
}

async function decidedAudit(): Promise<{ actor: string; eventId: string; decidedBy: string; status: string }[]> {
  return (await readAll(client, auditTopic))
    .map((m) => ({ entry: decodeAuditPayload(m.payload) as Record<string, unknown> | undefined, m }))
    .filter((x) => x.entry?.['type'] === 'review-decided')
    .map((x) => x.entry as unknown as { actor: string; eventId: string; decidedBy: string; status: string });
}

beforeAll(async () => {
  const applied = await applySpec(doc, tenant, NS, dir);
  expect(applied.code, applied.err).toBe(0);
  running = await start();
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await client.close();
  await admin.tenants.delete(tenant, { force: true }).catch(() => undefined);
});

describe('review outcomes are audited by the worker (#21)', () => {
  it('one audit record per outcome, the analyst role as actor, none twice after a restart', async () => {
    // Three items as the worker writes them (the topic's Avro schema), decided by `beamline review`.
    const items = await openTopicWriter(client, reviewTopic);
    for (let i = 0; i < 3; i++) {
      await items.producer.send({
        key: `card-${i}`,
        payload: items.encode({
          eventId: `ev-${i}`,
          key: `card-${i}`,
          status: 'open',
          score: 0.6,
          modelVersion: 'fraud@1',
          policyVersion: 'p1',
          features: { amount: i },
          traceId: `1:${i}:-1:-1`,
          eventTime: Date.now(),
        }),
      });
    }
    await items.producer.close();
    const ns = ['-t', tenant, '-n', NS];
    expect((await cli('review', 'approve', 'ev-0', ...ns, '--analyst', 'ana')).code).toBe(0);
    expect((await cli('review', 'reject', 'ev-1', ...ns, '--analyst', 'ana', '--note', 'stolen')).code).toBe(0);
    await waitForAsync(async () => (await decidedAudit()).length >= 2, 60_000, 'the worker to audit two outcomes');
    const first = await decidedAudit();
    expect(first.map((a) => `${a.eventId}:${a.status}`)).toEqual(['ev-0:approved', 'ev-1:rejected']);
    // The authenticated writer of `review` outcomes: the namespace's analyst role; the name the tool gave, in the detail.
    const role = (await admin.namespaces.getProperties(`${tenant}/${NS}`))['beamline.role.analyst'];
    expect(role).toMatch(/analyst/);
    const raw = (await readAll(client, auditTopic)).filter((m) => m.payload.toString('latin1').includes('review-decided'));
    expect(raw).toHaveLength(2);
    expect(first.every((a) => a.actor === role && a.decidedBy === 'ana')).toBe(true);

    // The outcome kept who decided through the Avro schema: a fresh reader sees both decided.
    const decided = await cli('review', 'list', ...ns, '--status', 'decided', '-o', 'json');
    const outcomes = (JSON.parse(decided.out) as { items: { outcome: { decidedBy: string; note: string | null } }[] }).items;
    expect(outcomes.map((o) => o.outcome.decidedBy)).toEqual(['ana', 'ana']);
    expect(outcomes.map((o) => o.outcome.note)).toContain('stolen');

    // Restarted: the audited outcomes stay audited once; a new one is audited.
    await running?.stop();
    running = await start();
    expect((await cli('review', 'approve', 'ev-2', ...ns, '--analyst', 'ana')).code).toBe(0);
    await waitForAsync(async () => (await decidedAudit()).length >= 3, 60_000, 'the restarted worker to audit the third outcome');
    expect((await decidedAudit()).map((a) => a.eventId)).toEqual(['ev-0', 'ev-1', 'ev-2']);
    // The chain verifies (sealed under the tenant keys).
    const verified = await cli('audit', 'verify', ...ns, '-o', 'json');
    expect(verified.code, verified.out).toBe(0);
  }, 180_000);
});
