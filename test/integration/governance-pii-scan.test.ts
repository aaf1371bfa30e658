/**
 * #21 PII scan on a real broker: a tenant applied from the example spec (events' key marked PII),
 * a worker with the built-in scoring handler and a versioned keyring, events whose PII fields and
 * keys are planted, distinctive strings, malformed records among them (dead-lettered). Then every
 * topic of the tenant downstream of ingress is read as raw bytes (payload, key, properties): no
 * planted value in any encoding the project uses (plain, base64, base64url, hex). The `events`
 * topic itself is the producers' input and holds what they wrote. `beamline dlq` lists the dead
 * letters without the key, opens them with it, and replays one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { avroSchema, newKeyringDocument, silentLogger, type Producer } from '../../functions/control-plane.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';
import { applySpec, exampleSpec, runCli } from './governance-support.ts';
import { admin, env, leakedValues, newClient, readAll, waitFor } from './worker-support.ts';

const tenant = uniqueName('pii');
const NS = 'central';
const dir = mkdtempSync(join(tmpdir(), 'bl-pii-it-'));
const keysFile = join(dir, 'keys.json');
const GOOD = 60;
const BAD = 12;

const doc = exampleSpec();
(doc.topics['events'] as Record<string, unknown>)['partitions'] = 2;
(doc.topics['events'] as Record<string, unknown>)['piiKey'] = true;
const eventSchema = avroSchema<Record<string, unknown>>((doc.topics['events'] as { schema: object }).schema);
const predictionSchema = avroSchema<{ key: string | null; features: Record<string, number> | null; eventTime: number }>(
  (doc.topics['predictions'] as { schema: object }).schema,
);

const planted = (n: number): { pan: string; holder: string; key: string } => ({
  pan: `PAN9PLANT${n}X4111`,
  holder: `Holder Plantname${n}`,
  key: `RIDER9PLANT${n}Q`,
});

const client = newClient();
const t0 = Date.now() - 60_000;

function scoring(): { process: ReturnType<typeof createScoringHandler> } {
  return {
    process: createScoringHandler({
      features: [
        { name: 'amount', field: 'amount' },
        { name: 'n1h', window: { lookbackMs: 3_600_000, aggregate: 'count' } },
        { name: 'holders1h', window: { lookbackMs: 3_600_000, aggregate: 'distinct', field: 'holderName' } },
      ],
      idField: 'eventId',
    }),
  };
}

function event(n: number): Buffer {
  const v = planted(n % 20);
  return eventSchema.encode({
    eventId: `ev-${n}`,
    cardId: `card-${n % 20}`,
    cardNumber: v.pan,
    holderName: v.holder,
    amount: 10 + n,
    currency: 'EUR',
    merchantId: 'm-1',
    merchantCategory: '5411',
    lat: null,
    lon: null,
    channel: 'POS',
    timestamp: t0 + n * 100,
  });
}
let running: RunningWorker | undefined;
let producer: Producer | undefined;

const cli = runCli;

beforeAll(async () => {
  const applied = await applySpec(doc, tenant, NS, dir);
  expect(applied.code, applied.err).toBe(0);
  writeFileSync(keysFile, JSON.stringify(newKeyringDocument('2026-12-a')));
  const { readKeyringFile } = await import('../../functions/control-plane.ts');
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: NS,
    guarantee: 'effectively-once',
    httpPort: -1,
    batchMaxWaitMs: 5,
    keyring: readKeyringFile(keysFile),
    handler: scoring(),
    log: silentLogger,
  });
  producer = await client.createProducer({ topic: `persistent://${tenant}/${NS}/events`, schema: eventSchema as never });
}, 120_000);

afterAll(async () => {
  await producer?.close().catch(() => undefined);
  await running?.stop();
  await client.close();
  await admin.tenants.delete(tenant, { force: true }).catch(() => undefined);
});

describe('nothing raw leaves ingress (#21)', () => {
  it('finds no planted PII value in any topic after ingress, in any encoding; dlq opens and replays with the key', async () => {
    const w = running?.worker;
    const p = producer as Producer;
    const values: string[] = [];
    for (let n = 0; n < GOOD; n++) {
      const v = planted(n % 20);
      values.push(v.pan, v.holder, v.key);
      await p.send({ key: v.key, eventTimeMs: t0 + n * 100, payload: event(n) });
    }
    // Malformed: JSON bytes and truncated Avro under the topic's schema (validation is enforced).
    for (let n = 0; n < BAD; n++) {
      const v = planted(100 + n);
      values.push(v.pan, v.holder, v.key);
      const payload =
        n % 2 === 0
          ? Buffer.from(JSON.stringify({ cardNumber: v.pan, holderName: v.holder }))
          : eventSchema
              .encode({
                eventId: `bad-${n}`,
                cardId: 'c',
                cardNumber: v.pan,
                holderName: v.holder,
                amount: 1,
                currency: 'EUR',
                merchantId: 'm',
                merchantCategory: '1',
                lat: null,
                lon: null,
                channel: 'POS',
                timestamp: t0,
              })
              .subarray(0, 40);
      await p.send({ key: v.key, payload, properties: { note: v.holder } });
    }
    await waitFor(
      () => (w?.processed ?? 0) >= GOOD + BAD,
      90_000,
      `the worker to commit ${GOOD + BAD} inputs`,
      () => expect(w?.state).toBe('running'),
    );

    const topics = [
      ...new Set([...(await admin.topics.list(`${tenant}/${NS}`)), ...(await admin.topics.listPartitioned(`${tenant}/${NS}`))]),
    ]
      // The input topic holds what producers wrote; everything after ingress is scanned.
      .filter((t) => !/\/events(-partition-\d+)?$/.test(t));
    const perTopic: Record<string, number> = {};
    const leaked: string[] = [];
    for (const t of topics) {
      const msgs = await readAll(client, t);
      perTopic[t.slice(t.lastIndexOf('/') + 1)] = msgs.length;
      for (const m of msgs) {
        const bytes = Buffer.concat([m.payload, Buffer.from(m.key ?? ''), Buffer.from(JSON.stringify(m.properties))]);
        for (const v of leakedValues(bytes, values)) leaked.push(`${t} ${m.id.toString()}: ${v}`);
      }
    }
    // The scan saw real data: decisions, audit records, state and the dead letters.
    expect(perTopic['predictions'] ?? perTopic['predictions-partition-0']).toBe(GOOD);
    expect(perTopic['audit'] ?? perTopic['audit-partition-0']).toBe(GOOD);
    expect(perTopic['dead-letter'] ?? perTopic['dead-letter-partition-0']).toBe(BAD);
    expect((perTopic['state'] ?? perTopic['state-partition-0'] ?? 0) > 0).toBe(true);
    expect(leaked).toEqual([]);

    // dlq list works without the keys and shows no content.
    const ns = ['-t', tenant, '-n', NS];
    const listed = await cli({}, 'dlq', 'list', ...ns, '-o', 'json');
    expect(listed.code, listed.out + listed.err).toBe(0);
    const records = (
      JSON.parse(listed.out) as { records: Array<{ messageId: string; reason: string; key: string; sealed: { kid: string } }> }
    ).records;
    expect(records).toHaveLength(BAD);
    for (const r of records)
      expect(r).toMatchObject({ reason: 'decode-error', key: expect.stringMatching(/^tok_/), sealed: { kid: '2026-12-a' } });
    const first = records[0] as (typeof records)[0];
    const sealed = await cli({}, 'dlq', 'show', first.messageId, ...ns);
    expect(sealed.out).toContain('content sealed');
    expect(await cli({}, 'dlq', 'show', first.messageId, ...ns, '--decrypt')).toMatchObject({
      code: 2,
      err: expect.stringContaining('no tenant keys'),
    });
    const opened = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'dlq', 'show', first.messageId, ...ns, '--decrypt', '-o', 'json');
    expect(opened.code, opened.out).toBe(0);
    const content = (JSON.parse(opened.out) as { content: { key: string; payloadBase64: string; errorMessage: string } }).content;
    expect(content.key).toBe(planted(100).key);
    expect(Buffer.from(content.payloadBase64, 'base64').toString()).toContain(planted(100).pan);

    // A wrong key cannot open it.
    const wrongKeys = join(dir, 'wrong.json');
    writeFileSync(wrongKeys, JSON.stringify(newKeyringDocument('2026-12-a')));
    expect((await cli({ BEAMLINE_KEYS_FILE: wrongKeys }, 'dlq', 'show', first.messageId, ...ns, '--decrypt')).err).toContain(
      'BL_GOVERNANCE_DECRYPT',
    );

    // Replay: the original bytes go back to events (still malformed: dead-lettered again, sealed).
    const replayed = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'dlq', 'replay', first.messageId, ...ns);
    expect(replayed.code, replayed.err).toBe(0);
    expect(replayed.out).toBe('replayed 1 dead letter(s)');
    await waitFor(() => (w?.processed ?? 0) >= GOOD + BAD + 1, 60_000, 'the replayed input to be committed');
    const again = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'dlq', 'list', ...ns, '-o', 'json');
    expect((JSON.parse(again.out) as { total: number }).total).toBe(BAD + 1);
  }, 240_000);

  it('key rotation mid-stream: no decision changes, no record lost, old and new dead letters open (#21)', async () => {
    const ns = ['-t', tenant, '-n', NS];
    const before = await readAll(client, `persistent://${tenant}/${NS}/predictions`);
    const lastN1h = new Map<string, number>();
    for (const m of before) {
      const pr = predictionSchema.decode(m.payload);
      lastN1h.set(pr.key as string, pr.features?.['n1h'] as number);
    }
    expect(lastN1h.size).toBe(20);
    await running?.stop();
    const rotated = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'keys', 'rotate', '--key-id', '2026-12-b');
    expect(rotated.code, rotated.err).toBe(0);
    const { readKeyringFile } = await import('../../functions/control-plane.ts');
    running = await startWorker({
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: NS,
      guarantee: 'effectively-once',
      httpPort: -1,
      batchMaxWaitMs: 5,
      keyring: readKeyringFile(keysFile),
      handler: scoring(),
      log: silentLogger,
    });
    const p = producer as Producer;
    for (let n = GOOD; n < GOOD + 20; n++) await p.send({ key: planted(n % 20).key, eventTimeMs: t0 + n * 100, payload: event(n) });
    await p.send({ key: planted(200).key, payload: Buffer.from(`{"cardNumber":"${planted(200).pan}"}`) });
    const w = running.worker;
    await waitFor(
      () => w.processed >= 21,
      90_000,
      'the worker to commit 21 inputs after the rotation',
      () => expect(w.state).toBe('running'),
    );

    // Every event decided once; each key's history continued across the rotation (same tokens).
    const after = (await readAll(client, `persistent://${tenant}/${NS}/predictions`))
      .slice(before.length)
      .map((m) => predictionSchema.decode(m.payload));
    expect(after).toHaveLength(20);
    for (const pr of after)
      expect({ key: pr.key, n1h: pr.features?.['n1h'] }).toEqual({ key: pr.key, n1h: (lastN1h.get(pr.key as string) as number) + 1 });

    // The new dead letter is sealed under the new key; the old ones still open with the rotated ring.
    const listed = JSON.parse((await cli({}, 'dlq', 'list', ...ns, '--limit', '1000', '-o', 'json')).out) as {
      records: Array<{ messageId: string; sealed: { kid: string } }>;
    };
    const kids = listed.records.map((r) => r.sealed.kid);
    expect(kids.at(-1)).toBe('2026-12-b');
    expect(kids.filter((k) => k === '2026-12-a')).toHaveLength(BAD + 1);
    for (const r of [listed.records[0], listed.records.at(-1)]) {
      const shown = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'dlq', 'show', r?.messageId as string, ...ns, '--decrypt', '-o', 'json');
      expect(shown.code, shown.out).toBe(0);
    }
  }, 240_000);

  it('audit verify: the trail of two worker runs and the registry verifies with the keys; a removed, altered or reordered record is named (#21)', async () => {
    const ns = ['-t', tenant, '-n', NS];
    const auditTopic = `persistent://${tenant}/${NS}/audit`;
    // A registry change by the control plane: a third writer, sealed with the same tenant key.
    const { openRegistrySession } = await import('../../models/index.ts');
    const { auditSealOf, readKeyringFile } = await import('../../functions/control-plane.ts');
    const session = await openRegistrySession({
      serviceUrl: env.serviceUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: NS,
      auditSeal: auditSealOf(readKeyringFile(keysFile)),
    });
    try {
      await session.registry.setFeatureSchema({ features: ['amount'], outputs: 1 });
    } finally {
      await session.close();
    }
    const anchorFile = join(dir, 'audit-anchor.json');
    const ok = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'audit', 'verify', ...ns, '-o', 'json', '--write-anchor', anchorFile);
    expect(ok.code, ok.out + ok.err).toBe(0);
    const report = JSON.parse(ok.out) as {
      records: number;
      writers: Array<{ writer: string; records: number; sealedWith: string }>;
      problems: unknown[];
    };
    // GOOD decisions before the rotation, 20 after (a second worker run: its own chain), one registry event.
    expect(report.records).toBe(GOOD + 20 + 1);
    expect(report.problems).toEqual([]);
    expect(report.writers.map((x) => x.writer.replace(/-[0-9a-f]{16}$/, '')).sort()).toEqual(['registry', 'worker', 'worker']);
    expect(report.writers.every((x) => x.sealedWith === 'hmac-sha256 (key 2026-12-a)')).toBe(true);
    // Without the keys the seals cannot be checked: not a pass.
    const unkeyed = await cli({}, 'audit', 'verify', ...ns);
    expect(unkeyed.code).toBe(1);
    expect(unkeyed.out).toContain('UNKNOWN-KEY');

    // Tampered copies of the real trail (key, payload and properties copied byte for byte).
    const original = await readAll(client, auditTopic);
    expect(original).toHaveLength(GOOD + 21);
    // Records 10 and 11 of the first worker run: one writer's consecutive records (a removed or
    // reordered record is found by the one after it; a cut tail is what anchors are for).
    const writerOf = (i: number): string | undefined => original[i]?.properties['beamline.audit.writer'];
    const at = [10, 11, 20].map((i) => {
      expect(writerOf(i)).toBeDefined();
      return i;
    });
    expect(writerOf(10)).toBe(writerOf(11));
    expect(writerOf(20)).toBe(writerOf(21));
    const copies: Record<string, typeof original> = {
      removed: original.filter((_, i) => i !== at[0]),
      altered: original.map((m, i) => (i === at[2] ? { ...m, payload: Buffer.concat([m.payload.subarray(0, -1), Buffer.from(' ')]) } : m)),
      reordered: original.map((m, i) => (i === 10 ? original[11] : i === 11 ? original[10] : m) as (typeof original)[0]),
      // The newest record (the registry's) cut off: only the anchor saved above can tell.
      truncated: original.slice(0, -1),
    };
    expect(copies['altered']?.[20]?.payload.equals(original[20]?.payload as Buffer)).toBe(false);
    await admin.namespaces.create(`${tenant}/tamper`).catch(() => undefined);
    for (const [kind, msgs] of Object.entries(copies)) {
      const copy = `persistent://${tenant}/tamper/audit-${kind}`;
      const p = await client.createProducer({ topic: copy, batching: false });
      for (const m of msgs) await p.send({ payload: m.payload, ...(m.key === undefined ? {} : { key: m.key }), properties: m.properties });
      await p.close();
      const anchored = kind === 'truncated' ? ['--anchor', anchorFile] : [];
      if (kind === 'truncated')
        expect((await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'audit', 'verify', ...ns, '--topic', copy)).code).toBe(0);
      const r = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'audit', 'verify', ...ns, '--topic', copy, '-o', 'json', ...anchored);
      expect(r.code, `${kind}: ${r.out}`).toBe(1);
      const problems = (JSON.parse(r.out) as { problems: Array<{ kind: string; messageId: string }> }).problems.map((x) => x.kind);
      expect(problems, kind).toContain(kind);
    }
  }, 180_000);

  it('features export tokenizes as the worker does: the same features, no planted value in the file (#21, #23)', async () => {
    const ns = ['-t', tenant, '-n', NS];
    const workerFile = join(dir, 'worker.yaml');
    writeFileSync(
      workerFile,
      stringify({
        handler: 'builtin-scoring',
        scoring: {
          features: [
            { name: 'amount', field: 'amount' },
            { name: 'n1h', window: { lookbackMs: 3_600_000, aggregate: 'count' } },
            { name: 'holders1h', window: { lookbackMs: 3_600_000, aggregate: 'distinct', field: 'holderName' } },
          ],
          idField: 'eventId',
        },
      }),
    );
    // The namespace marks PII: without the tenant's keys the export refuses, naming the fix.
    const refused = await cli({}, 'features', 'export', ...ns, '-c', workerFile, '-o', join(dir, 'x.jsonl'));
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/marks PII .*BEAMLINE_KEYS_FILE/);

    // Every event the worker decided: its features by event time (all distinct here).
    const online = new Map<number, Record<string, number> | null>();
    for (const m of await readAll(client, `persistent://${tenant}/${NS}/predictions`)) {
      const pr = predictionSchema.decode(m.payload);
      online.set(pr.eventTime, pr.features);
    }
    const values = Array.from({ length: 220 }, (_, n) => planted(n)).flatMap((v) => [v.pan, v.holder, v.key]);
    for (const file of [join(dir, 'train.jsonl'), join(dir, 'train.parquet')]) {
      const r = await cli({ BEAMLINE_KEYS_FILE: keysFile }, 'features', 'export', ...ns, '-c', workerFile, '-o', file);
      expect(r.code, r.err + r.out).toBe(0);
      expect(r.err).not.toMatch(/no --admin-url/);
      expect(leakedValues(readFileSync(file), values)).toEqual([]);
    }
    const rows = readFileSync(join(dir, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(online.size);
    for (const row of rows) {
      expect(row['key']).toMatch(/^tok_/);
      const want = online.get(row['event_time_ms'] as number);
      expect({ amount: row['amount'], n1h: row['n1h'], holders1h: row['holders1h'] }, `event at ${String(row['event_time_ms'])}`).toEqual(
        want,
      );
    }
  }, 120_000);
});
