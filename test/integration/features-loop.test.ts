/**
 * #23, the data scientist's loop on a real broker: a worker scores card payments with the demo's
 * velocity/look-back features; `beamline features export` replays the same events through the
 * same feature code and must give every event the features the worker had online, value for
 * value, with labels from the `labels` topic joined. Then a scikit-learn gradient-boosting model
 * trained in Python on the export (skl2onnx) is pushed, shadowed against the live model,
 * evaluated on a labelled window, refused by a promotion floor it misses (a block-everything
 * model), promoted past the floors it meets, and rolled back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabelWriter, silentLogger, type LabelWriter } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave, type TfjsLayersArtifact } from '../../functions/inference/index.ts';
import type { Producer } from '../../functions/pulsar/index.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { ModelRegistry } from '../../functions/runtime/model-registry/index.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { DEMO_FEATURES } from '../../demo/features.ts';
import { PaymentGenerator, type LabelledPayment } from '../../demo/generator.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, readAll, topic, waitFor } from './worker-support.ts';

const run = promisify(execFile);
const NAMES = DEMO_FEATURES.map((f) => f.name);
const POLICY = { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'loop-1' };
const SPACING_MS = 40;

/** A one-layer model whose score is sigmoid(bias) whatever the features: all-approve or all-block. */
async function constantModel(bias: number): Promise<TfjsLayersArtifact> {
  await tf.ready();
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [NAMES.length] }));
  model.layers[0]?.setWeights([tf.zeros([NAMES.length, 1]), tf.tensor1d([bias])]);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })),
  );
  model.dispose();
  return tfjsArtifactFromSave(saved as tf.io.ModelArtifacts);
}

const client = newClient();
const dir = mkdtempSync(join(tmpdir(), 'beamline-features-'));
const workerFile = join(dir, 'worker.yaml');
let tenant = '';
let running: RunningWorker | undefined;
let events: Producer | undefined;
let labels: LabelWriter | undefined;
const gen = new PaymentGenerator({ seed: 11, cards: 150, fraudRate: 0.03 });
const sentPayments: LabelledPayment[] = [];
// Event times from an hour and a half ago, so the 1 h look-backs fill up and nothing is in the future.
let clockMs = Date.now() - 90 * 60_000;

/** Sends `n` payments with their event times and writes each one's ground truth as a label. */
async function sendPayments(n: number): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    clockMs += SPACING_MS;
    const p = gen.next(clockMs);
    sentPayments.push(p);
    sends.push(
      (events as Producer).send({ key: p.event.cardId, eventTimeMs: p.event.timestamp, payload: Buffer.from(JSON.stringify(p.event)) }),
    );
    sends.push(
      (labels as LabelWriter).write({
        eventId: p.event.eventId,
        key: p.event.cardId,
        fraud: p.fraud !== null,
        source: 'generator',
        atMs: p.event.timestamp,
      }),
    );
    if (sends.length >= 1000) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; json: Record<string, unknown> }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    // The admin URL too: export and evaluate read the namespace's PII marks (none here) as the worker does.
    env: {
      PULSAR_SERVICE_URL: env.serviceUrl,
      PULSAR_ADMIN_URL: env.adminUrl,
      ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }),
    },
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
  };
  const code = await main(argv, io);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(out.join('\n')) as Record<string, unknown>;
  } catch {
    // text output
  }
  return { code, out: out.join('\n'), err: err.join('\n'), json };
}

interface OnlinePrediction {
  eventId: string;
  modelVersion: string | null;
  shadowModelVersion: string | null;
  features: Record<string, number>;
  eventTime: number;
}

async function predictions(): Promise<Map<string, OnlinePrediction>> {
  const out = new Map<string, OnlinePrediction>();
  for (const m of await readAll(client, topic(tenant, 'ns', 'predictions'))) {
    const p = JSON.parse(m.payload.toString('utf8')) as OnlinePrediction;
    out.set(p.eventId, p);
  }
  return out;
}

/** Sends a few payments at a time until the latest one's decision satisfies `ok` (60 s at most). */
async function untilDecidedBy(ok: (p: OnlinePrediction) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await sendPayments(20);
    await waitFor(() => (running?.worker.processed ?? 0) >= sentPayments.length, 60_000, `payments until ${what}`);
    const last = (await predictions()).get(sentPayments.at(-1)?.event.eventId as string);
    if (last !== undefined && ok(last)) return;
    if (Date.now() > deadline) throw new Error(`no decision showed ${what} within 60 s`);
  }
}

beforeAll(async () => {
  tenant = await createTenant('feat');
  await createNamespace(tenant, 'ns');
  for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
  await admin.schemas.post(topic(tenant, 'ns', 'events'), {
    type: 'JSON',
    data: JSON.stringify({
      type: 'record',
      name: 'CardAuthorization',
      fields: [
        ...['eventId', 'cardId', 'cardNumber', 'holderName', 'currency', 'merchantId', 'merchantCategory', 'channel'].map((name) => ({
          name,
          type: 'string',
        })),
        { name: 'amount', type: 'double' },
        { name: 'lat', type: ['null', 'double'] },
        { name: 'lon', type: ['null', 'double'] },
        { name: 'timestamp', type: 'long' },
      ],
    }),
  });
  const registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
  await registry.setFeatureSchema({ features: NAMES, outputs: 1 });
  await registry.push(await constantModel(-10), { name: 'fraud' }); // fraud@1, live: approves everything
  await registry.close();
  const scoring = { features: [...DEMO_FEATURES], idField: 'eventId', policy: POLICY };
  writeFileSync(workerFile, toYaml({ handler: 'builtin-scoring', scoring }));
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: 'ns',
    guarantee: 'at-least-once',
    httpPort: -1,
    batchMaxWaitMs: 5,
    handler: { process: createScoringHandler(scoring) },
    registry: { name: 'fraud' },
    log: silentLogger,
  });
  events = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxDelayMs: 2 });
  labels = await openLabelWriter(client, tenant, 'ns');
  await sendPayments(5000);
  await waitFor(() => (running?.worker.processed ?? 0) >= sentPayments.length, 120_000, 'every payment to be decided');
}, 240_000);

afterAll(async () => {
  await labels?.close();
  await events?.close();
  await running?.stop();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

const ns = (): string[] => ['-t', tenant, '-n', 'ns'];

describe('beamline features export', () => {
  it('gives every event exactly the features the worker computed online, with its label', { timeout: 180_000 }, async () => {
    const online = await predictions();
    expect(online.size).toBe(sentPayments.length);
    const file = join(dir, 'all.jsonl');
    const r = await cli('features', 'export', ...ns(), '-c', workerFile, '-o', file, '--json');
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.err).not.toMatch(/no --admin-url/);
    expect(r.json).toMatchObject({ ok: true, rows: sentPayments.length, labelled: sentPayments.length, skipped: 0, features: NAMES });
    const rows = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string | null>);
    expect(rows).toHaveLength(sentPayments.length);
    const truth = new Map(sentPayments.map((p) => [p.event.eventId, p]));
    let compared = 0;
    for (const row of rows) {
      const live = online.get(row['event_id'] as string);
      expect(live, `no online decision for ${String(row['event_id'])}`).toBeDefined();
      for (const name of NAMES) expect(row[name], `${name} of ${String(row['event_id'])}`).toBe(live?.features[name]);
      expect(row['label']).toBe(truth.get(row['event_id'] as string)?.fraud === null ? 0 : 1);
      compared++;
    }
    expect(compared).toBe(sentPayments.length);
    // The velocity windows were really exercised (not all zeros): bursts reach far above normal.
    expect(Math.max(...rows.map((x) => x['count_1m'] as number))).toBeGreaterThan(10);
    expect(rows.filter((x) => x['label'] === 1).length).toBe(sentPayments.filter((p) => p.fraud !== null).length);

    // A window: rows only from --from on, with the history before it still counted.
    const from = sentPayments[3000]?.event.timestamp as number;
    const windowFile = join(dir, 'window.csv');
    const w = await cli('features', 'export', ...ns(), '-c', workerFile, '--from', String(from), '-o', windowFile, '--json');
    expect(w.code, w.err + w.out).toBe(0);
    const lines = readFileSync(windowFile, 'utf8').trim().split('\n');
    const header = (lines[0] as string).split(',');
    expect(header).toEqual(['event_id', 'key', 'event_time_ms', ...NAMES, 'label', 'label_source']);
    const inWindow = sentPayments.filter((p) => p.event.timestamp >= from).length;
    expect(lines.length - 1).toBe(inWindow);
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const live = online.get(cells[0] as string);
      NAMES.forEach((name, j) => expect(Number(cells[3 + j])).toBe(live?.features[name]));
    }
  });

  it('joins the latest label: confirmed feedback overrides an earlier one', { timeout: 60_000 }, async () => {
    const fraud = sentPayments.find((p) => p.fraud !== null) as LabelledPayment;
    const l = await cli(
      'features',
      'label',
      ...ns(),
      '--event-id',
      fraud.event.eventId,
      '--key',
      fraud.event.cardId,
      '--honest',
      '--source',
      'chargeback-reversed',
      '--json',
    );
    expect(l.code, l.err + l.out).toBe(0);
    const file = join(dir, 'relabel.jsonl');
    const r = await cli('features', 'export', ...ns(), '-c', workerFile, '-o', file, '--json');
    expect(r.code, r.err + r.out).toBe(0);
    const row = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x) as Record<string, unknown>)
      .find((x) => x['event_id'] === fraud.event.eventId);
    expect(row).toMatchObject({ label: 0, label_source: 'chargeback-reversed' });
    // Put the ground truth back for the evaluation below.
    await (labels as LabelWriter).write({ eventId: fraud.event.eventId, key: fraud.event.cardId, fraud: true, source: 'generator' });
  });

  it('refuses bad input with the field and the fix', async () => {
    const bad = await cli('features', 'export', ...ns(), '-c', workerFile, '-o', join(dir, 'x.xlsx'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/BL_TRAINING_INVALID_OUTPUT.*name the file \.csv, \.jsonl or \.parquet/);
    const window = await cli(
      'features',
      'export',
      ...ns(),
      '-c',
      workerFile,
      '--from',
      '2026-02-01T00:00:00Z',
      '--to',
      '2026-01-01T00:00:00Z',
      '-o',
      join(dir, 'x.csv'),
    );
    expect(window.err).toMatch(/--to .* is not after --from/);
    const label = await cli('features', 'label', ...ns(), '--event-id', 'x');
    expect(label.code).toBe(2);
    expect(label.err).toMatch(/exactly one of --fraud or --honest/);
  });
});

describe('a model from Python: train on the export, push, shadow, evaluate, promote with floors, roll back', () => {
  it('runs the loop with scikit-learn + skl2onnx', { timeout: 600_000 }, async () => {
    // Parquet, as data scientists take training sets: pyarrow reads it in train_gbm.py (#23).
    const table = join(dir, 'train.parquet');
    const e = await cli('features', 'export', ...ns(), '-c', workerFile, '-o', table, '--labelled-only', '--json');
    expect(e.code, e.err + e.out).toBe(0);
    const onnx = join(dir, 'model.onnx');
    const py = await run('scripts/mlserver', ['python', 'scripts/training/train_gbm.py', table, onnx, '--seed', '3'], { timeout: 480_000 });
    const trained = JSON.parse(py.stdout.trim().split('\n').at(-1) as string) as { rows: number; frauds: number; features: string[] };
    expect(trained).toMatchObject({ rows: 5000, features: NAMES });

    const push = await cli('model', 'push', onnx, ...ns(), '--name', 'fraud', '--no-promote', '-o', 'json');
    expect(push.code, push.err + push.out).toBe(0);
    expect(push.json).toMatchObject({ manifest: { name: 'fraud', version: '2', format: 'onnx' } });
    expect((await cli('model', 'shadow', ...ns(), '--name', 'fraud', '--version', '2')).code).toBe(0);

    // The worker loads the shadow when it sees the rollout change: payments until one carries it.
    await untilDecidedBy((p) => p.shadowModelVersion === 'fraud@2', 'fraud@2 in shadow');
    // Fresh payments, decided by fraud@1 with fraud@2 in shadow; labelled as they happen.
    const from = clockMs + 1;
    const before = sentPayments.length;
    await sendPayments(2500);
    await waitFor(() => (running?.worker.processed ?? 0) >= sentPayments.length, 120_000, 'the new payments to be decided');

    const compare = await cli('model', 'compare', ...ns(), '--name', 'fraud', '--from', String(from), '-o', 'json');
    expect(compare.code, compare.err + compare.out).toBe(0);
    const quality = compare.json['quality'] as Array<{
      slot: string;
      modelVersion: string;
      labelled: number;
      recall: number | null;
      precision: number | null;
    }>;
    const shadow = quality.find((q) => q.slot === 'shadow' && q.modelVersion === 'fraud@2');
    const live = quality.find((q) => q.slot === 'live' && q.modelVersion === 'fraud@1');
    expect(shadow?.labelled).toBe(sentPayments.length - before);
    expect(live?.recall).toBe(0); // the all-approve model blocks nothing
    expect(shadow?.recall).toBeGreaterThan(0.3);

    const evaluated = await cli('model', 'evaluate', 'fraud@2', ...ns(), '-c', workerFile, '--from', String(from), '-o', 'json');
    expect(evaluated.code, evaluated.err + evaluated.out).toBe(0);
    const report = evaluated.json['evaluation'] as {
      labelled: number;
      precision: number;
      recall: number;
      honestBlockedRate: number;
      latencyP50Ms: number;
    };
    console.log(`[features-loop] fraud@2 on the new window: ${JSON.stringify(report)}; shadow from audit: ${JSON.stringify(shadow)}`);
    expect(report.labelled).toBe(sentPayments.length - before);
    expect(report.precision).toBeGreaterThan(0.8);
    expect(report.recall).toBeGreaterThan(0.3);
    expect(report.honestBlockedRate).toBeLessThan(0.01);
    expect(report.latencyP50Ms).toBeGreaterThan(0);
    // Offline evaluation replays the same features through the same model: the shadow's own
    // decisions on those events, from the audit trail, give the same figures.
    expect({ precision: report.precision, recall: report.recall, honestBlockedRate: report.honestBlockedRate }).toEqual({
      precision: shadow?.precision,
      recall: shadow?.recall,
      honestBlockedRate: (shadow as { honestBlockedRate?: number } | undefined)?.honestBlockedRate,
    });

    // A block-everything model: perfect recall, precision = the fraud share. The floor refuses it.
    const registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
    await registry.push(await constantModel(10), { name: 'fraud', promoteIfFirst: false }); // fraud@3
    await registry.close();
    const refused = await cli(
      'model',
      'promote',
      ...ns(),
      '--name',
      'fraud',
      '--version',
      '3',
      '--min-precision',
      '0.9',
      '-c',
      workerFile,
      '--from',
      String(from),
      '-o',
      'json',
    );
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ ok: false, error: { code: 'BL_TRAINING_BELOW_GATE' } });
    expect(JSON.stringify(refused.json)).toMatch(/precision 0\.\d+ < --min-precision 0\.9/);
    expect(((await cli('model', 'describe', ...ns(), '--name', 'fraud', '-o', 'json')).json['rollout'] as { live: string }).live).toBe('1');

    const promoted = await cli(
      'model',
      'promote',
      ...ns(),
      '--name',
      'fraud',
      '--version',
      '2',
      '--min-precision',
      '0.8',
      '--min-recall',
      '0.3',
      '-c',
      workerFile,
      '--from',
      String(from),
      '-o',
      'json',
    );
    expect(promoted.code, promoted.err + promoted.out).toBe(0);
    expect(promoted.json).toMatchObject({ rollout: { live: '2' }, evaluation: { modelVersion: 'fraud@2' } });
    await untilDecidedBy((p) => p.modelVersion === 'fraud@2', 'fraud@2 live');

    const back = await cli('model', 'rollback', ...ns(), '--name', 'fraud', '-o', 'json');
    expect(back.code, back.err + back.out).toBe(0);
    expect(back.json).toMatchObject({ rollout: { live: '1' } });
  });
});
