/**
 * #21 GDPR erasure by crypto-shredding, on a real broker: a tenant applied from the example spec
 * with the events' key as data subject (`piiKey: true`, `dataSubject: $key`), a worker with the
 * built-in scoring handler and a versioned keyring, two subjects streaming (A and B), each with a
 * malformed record (dead-lettered). `beamline gdpr export` gives A's data back decrypted;
 * `beamline gdpr erase` destroys A's key mid-stream. Afterwards: no subject key the namespace
 * still holds (nor the tenant key) links anything to A's old pseudonym or opens A's dead letter,
 * A's state is gone (its next event starts a fresh history under a new pseudonym), and B is
 * untouched (same pseudonym, history continued, every event decided once).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  avroSchema,
  newKeyringDocument,
  openDeadLetter,
  readKeyringFile,
  silentLogger,
  type DeadLetterRecord,
  type Producer,
  type TenantKeyring,
} from '../../functions/control-plane.ts';
import { openSubjectKey, parseSubjectKeyRecord, subjectKeyring, subjectTokenizer } from '../../functions/governance/index.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';
import { applySpec, exampleSpec, runCli, type CliResult } from './governance-support.ts';
import { admin, env, leakedValues, newClient, readAll, waitFor } from './worker-support.ts';

const tenant = uniqueName('gdpr');
const NS = 'central';
const dir = mkdtempSync(join(tmpdir(), 'bl-gdpr-it-'));
const keysFile = join(dir, 'keys.json');
const A = 'RIDER9ERASE7A';
const B = 'RIDER9KEEP7B';
const PAN: Readonly<Record<string, string>> = { [A]: 'PAN9ERASE4111A', [B]: 'PAN9KEEP4111B' };

const doc = exampleSpec();
Object.assign(doc.topics['events'] as Record<string, unknown>, { partitions: 2, piiKey: true, dataSubject: '$key' });
// State (and the ownership journal) partitioned like events: ownership by partition, and a
// subject's state lives in one partition of two (erasure must find it there).
for (const t of ['state', 'owners']) doc.topics[t] = { ...doc.topics[t], partitions: 2 };
const eventSchema = avroSchema<Record<string, unknown>>((doc.topics['events'] as { schema: object }).schema);
const predictionSchema = avroSchema<{ key: string | null; features: Record<string, number> | null }>(
  (doc.topics['predictions'] as { schema: object }).schema,
);

const SCORING_FEATURES = [
  { name: 'amount', field: 'amount' },
  { name: 'n1h', window: { lookbackMs: 3_600_000, aggregate: 'count' as const } },
];
const client = newClient();
const t0 = Date.now() - 60_000;
let running: RunningWorker | undefined;
let producer: Producer | undefined;
let keyring: TenantKeyring;
let seq = 0;

const cli = (...argv: string[]): Promise<CliResult> => runCli({ BEAMLINE_KEYS_FILE: keysFile }, ...argv);

async function send(subject: string): Promise<void> {
  const n = seq++;
  await (producer as Producer).send({
    key: subject,
    eventTimeMs: t0 + n * 100,
    payload: eventSchema.encode({
      eventId: `ev-${n}`,
      cardId: `card-${subject}`,
      cardNumber: PAN[subject] as string,
      holderName: `Holder ${subject}`,
      amount: 10 + n,
      currency: 'EUR',
      merchantId: 'm-1',
      merchantCategory: '5411',
      lat: null,
      lon: null,
      channel: 'POS',
      timestamp: t0 + n * 100,
    }),
  });
}

async function predictions(): Promise<{ key: string; n1h: number }[]> {
  return (await readAll(client, `persistent://${tenant}/${NS}/predictions`)).map((m) => {
    const p = predictionSchema.decode(m.payload);
    return { key: p.key as string, n1h: p.features?.['n1h'] as number };
  });
}

/** Every subject key the namespace still holds (the compacted view), opened with the tenant keys. */
async function heldSubjectKeys(): Promise<Buffer[]> {
  const view = await client.createTableView({ topic: `persistent://${tenant}/${NS}/subject-keys` });
  try {
    return [...view.entries()].map(([index, value]) => openSubjectKey(keyring, index, parseSubjectKeyRecord(index, value)));
  } finally {
    await view.close();
  }
}

async function stateKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (let p = 0; p < 2; p++) {
    const view = await client.createTableView({ topic: `persistent://${tenant}/${NS}/state-partition-${p}` });
    keys.push(...view.keys());
    await view.close();
  }
  return keys;
}

beforeAll(async () => {
  const applied = await applySpec(doc, tenant, NS, dir);
  expect(applied.code, applied.err).toBe(0);
  writeFileSync(keysFile, JSON.stringify(newKeyringDocument('2026-12-g')));
  keyring = readKeyringFile(keysFile);
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: NS,
    guarantee: 'effectively-once',
    httpPort: -1,
    batchMaxWaitMs: 5,
    keyring,
    handler: {
      process: createScoringHandler({
        features: SCORING_FEATURES,
        idField: 'eventId',
      }),
    },
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

describe('GDPR erasure by crypto-shredding (#21)', () => {
  it('exports a subject, erases it mid-stream, and leaves nothing linkable while other subjects go on unchanged', async () => {
    const w = running?.worker;
    for (let i = 0; i < 10; i++) {
      await send(A);
      await send(B);
    }
    // One malformed record per subject: dead-lettered, sealed under that subject's key.
    for (const s of [A, B]) await (producer as Producer).send({ key: s, payload: Buffer.from(`{"cardNumber":"${PAN[s] ?? ''}"}`) });
    await waitFor(
      () => (w?.processed ?? 0) >= 22,
      90_000,
      'the worker to commit 22 inputs',
      () => expect(w?.state).toBe('running'),
    );

    const before = await predictions();
    const pseudonyms = [...new Set(before.map((p) => p.key))];
    expect(pseudonyms).toHaveLength(2);
    // Nothing past ingress holds either raw id or card number; the keys topic holds neither.
    for (const kind of ['predictions', 'state-partition-0', 'state-partition-1', 'dead-letter', 'audit', 'subject-keys']) {
      for (const m of await readAll(client, `persistent://${tenant}/${NS}/${kind}`)) {
        const bytes = Buffer.concat([m.payload, Buffer.from(m.key ?? ''), Buffer.from(JSON.stringify(m.properties))]);
        expect(leakedValues(bytes, [A, B, PAN[A] as string, PAN[B] as string]), `${kind} ${m.id.toString()}`).toEqual([]);
      }
    }

    // Right of access: A's data, decrypted, and only A's.
    const subjectFile = join(dir, 'subject-a.txt');
    writeFileSync(subjectFile, `${A}\n`);
    const ns = ['-t', tenant, '-n', NS, '--subject-file', subjectFile];
    const exported = await cli('gdpr', 'export', ...ns);
    expect(exported.code, exported.err).toBe(0);
    const ex = JSON.parse(exported.out) as {
      found: boolean;
      pseudonym: string;
      state: unknown[];
      topics: { predictions: { key: string }[]; audit: unknown[] };
      deadLetters: { content: { key: string; payloadBase64: string } }[];
    };
    expect(ex.found).toBe(true);
    const oldA = ex.pseudonym;
    const pB = pseudonyms.find((p) => p !== oldA) as string;
    expect(pseudonyms).toContain(oldA);
    expect(ex.topics.predictions).toHaveLength(10);
    expect(ex.topics.predictions.every((p) => p.key === oldA)).toBe(true);
    expect(ex.state.length).toBeGreaterThan(0);
    expect(ex.deadLetters).toHaveLength(1);
    expect(ex.deadLetters[0]?.content.key).toBe(A);
    expect(Buffer.from(ex.deadLetters[0]?.content.payloadBase64 as string, 'base64').toString()).toContain(PAN[A] as string);
    const deadA = (await readAll(client, `persistent://${tenant}/${NS}/dead-letter`))
      .map((m) => JSON.parse(m.payload.toString()) as DeadLetterRecord)
      .find((d) => d.key === oldA) as DeadLetterRecord;
    expect(deadA.sealed?.kid).toBe('subject');

    // A replay (features export) reads each subject's key and tokenizes as the worker did: the
    // same pseudonyms and the same features as online, event for event.
    const workerFile = join(dir, 'worker.yaml');
    writeFileSync(workerFile, stringify({ handler: 'builtin-scoring', scoring: { features: SCORING_FEATURES, idField: 'eventId' } }));
    const train = join(dir, 'train.jsonl');
    const exportedRows = await cli('features', 'export', '-t', tenant, '-n', NS, '-c', workerFile, '-o', train);
    expect(exportedRows.code, exportedRows.err).toBe(0);
    const rows = readFileSync(train, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; n1h: number });
    expect(rows.map((r) => `${r.key} ${r.n1h}`).sort()).toEqual(before.map((p) => `${p.key} ${p.n1h}`).sort());
    expect(leakedValues(readFileSync(train), [A, B, PAN[A] as string, PAN[B] as string])).toEqual([]);

    // Erasure needs its confirmation, then destroys A's key and state.
    expect((await cli('gdpr', 'erase', ...ns)).err).toContain(`--confirm ${tenant}/${NS}`);
    const erased = await cli('gdpr', 'erase', ...ns, '--confirm', `${tenant}/${NS}`, '-o', 'json');
    expect(erased.code, erased.err).toBe(0);
    const receipt = JSON.parse(erased.out) as {
      erasureId: string;
      subjectKeyFound: boolean;
      stateEntriesErased: number;
      rawEventsRetentionMinutes: number | null;
    };
    expect(receipt.subjectKeyFound).toBe(true);
    // What erasure cannot reach is stated: the raw input stays for the events topic's retention.
    const policy = await admin.namespaces.getRetention(`${tenant}/${NS}`);
    expect(receipt.rawEventsRetentionMinutes).toBe(policy?.retentionTimeInMinutes ?? 0);
    expect(receipt.stateEntriesErased).toBeGreaterThan(0);

    // Both subjects go on streaming.
    for (let i = 0; i < 5; i++) {
      await send(A);
      await send(B);
    }
    await waitFor(
      () => (w?.processed ?? 0) >= 32,
      90_000,
      'the worker to commit 32 inputs',
      () => expect(w?.state).toBe('running'),
    );
    const after = (await predictions()).slice(before.length);
    expect(after).toHaveLength(10);
    // B: same pseudonym, its history continued from where it was, each event decided once.
    const seriesB = before.filter((p) => p.key === pB).map((p) => p.n1h);
    const seriesA = before.filter((p) => p.key === oldA).map((p) => p.n1h);
    const lastB = seriesB.at(-1) as number;
    expect(after.filter((p) => p.key === pB).map((p) => p.n1h)).toEqual([1, 2, 3, 4, 5].map((i) => lastB + i));
    // A: a new pseudonym and a fresh history (its old state is gone): counted as from its first event.
    const newA = after.filter((p) => p.key !== pB);
    expect(newA).toHaveLength(5);
    expect(newA.every((p) => p.key !== oldA)).toBe(true);
    expect(newA.map((p) => p.n1h)).toEqual(seriesA.slice(0, 5));

    // Nothing the system still holds links A's old pseudonym or opens A's old dead letter.
    const held = await heldSubjectKeys();
    expect(held).toHaveLength(2);
    for (const key of held) {
      expect(subjectTokenizer(key, []).tokenizeKey(A)).not.toBe(oldA);
      expect(() => openDeadLetter(deadA, subjectKeyring(key))).toThrow();
    }
    expect(() => openDeadLetter(deadA, keyring)).toThrow();
    expect((await stateKeys()).filter((k) => k.includes(oldA))).toEqual([]);
    expect((await stateKeys()).some((k) => k.includes(pB))).toBe(true);

    // dlq opens a subject-sealed dead letter with the subject's key while the subject has one.
    const ids = ['-t', tenant, '-n', NS, '--decrypt', '-o', 'json'];
    const deadB = (await readAll(client, `persistent://${tenant}/${NS}/dead-letter`))
      .map((m) => JSON.parse(m.payload.toString()) as DeadLetterRecord)
      .find((d) => d.key === pB) as DeadLetterRecord;
    const shownB = await cli('dlq', 'show', deadB.messageId, ...ids);
    expect(shownB.code, shownB.err).toBe(0);
    expect((JSON.parse(shownB.out) as { content: { key: string } }).content.key).toBe(B);
    const shownA = await cli('dlq', 'show', deadA.messageId, ...ids);
    expect(shownA.code).not.toBe(0);
    expect(shownA.out).toContain('no longer holds (the subject was erased)');

    // The erasure is in the audit trail, under its id (never the subject's id).
    const audit = await readAll(client, `persistent://${tenant}/${NS}/audit`);
    expect(audit.some((m) => m.key === receipt.erasureId)).toBe(true);

    // Export now finds only A's new data.
    const again = JSON.parse((await cli('gdpr', 'export', ...ns)).out) as { pseudonym: string; topics: { predictions: unknown[] } };
    expect(again.pseudonym).not.toBe(oldA);
    expect(again.topics.predictions).toHaveLength(5);
  }, 240_000);

  it('refuses a namespace without a data subject, and a subject file with more than one id', async () => {
    const other = uniqueName('gdpr-plain');
    try {
      await admin.tenants.create(other, { adminRoles: [], allowedClusters: [env.cluster] });
      await admin.namespaces.create(`${other}/ns`);
      const f = join(dir, 'one.txt');
      writeFileSync(f, 'x');
      const r = await cli('gdpr', 'export', '-t', other, '-n', 'ns', '--subject-file', f);
      expect(r.code).toBe(2);
      expect(r.err).toContain('names no data subject');
      const two = join(dir, 'two.txt');
      writeFileSync(two, 'a\nb\n');
      const r2 = await cli('gdpr', 'export', '-t', tenant, '-n', NS, '--subject-file', two);
      expect(r2.err).toContain('exactly one id');
    } finally {
      await admin.tenants.delete(other, { force: true }).catch(() => undefined);
    }
  }, 60_000);
});
