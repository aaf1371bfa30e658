/**
 * Model rollouts on a real broker with a real TF.js model trained here on synthetic data:
 * push v1 -> scored by v1; v2 as shadow -> decisions unchanged, shadow scores in the audit trail;
 * canary 10% -> the keys with canaryBucket(key) < 10 (about 10%) are decided by v2; rollback ->
 * all on v1 within 5 s. Background traffic runs across every switch, and every event is decided
 * exactly once. A model whose signature does not match the feature schema is refused at push.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/index.ts';
import { silentLogger } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave, type TfjsLayersArtifact } from '../../functions/inference/index.ts';
import type { Producer } from '../../functions/pulsar/index.ts';
import { createScoringHandler, startWorker, type FeatureSpec, type Prediction, type RunningWorker } from '../../functions/runtime/index.ts';
import {
  ModelRegistry,
  canaryBucket,
  compareFromAudit,
  readAudit,
  type DecisionAuditEvent,
} from '../../functions/runtime/model-registry/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, topic, waitFor } from './worker-support.ts';

const FEATURES = ['x0', 'x1', 'x2', 'x3'];
const features: FeatureSpec[] = FEATURES.map((f) => ({ name: f, field: f }));
const EVENT_SCHEMA = { type: 'record', name: 'Txn', fields: FEATURES.map((name) => ({ name, type: 'double' })) };

/** Deterministic pseudo-random numbers (LCG), so data and payloads repeat across runs. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** A tiny MLP fitted for a few epochs on synthetic rows labelled by `label`. */
async function trainModel(inputs: number, label: (row: number[]) => number, seed: number): Promise<TfjsLayersArtifact> {
  await tf.ready();
  const r = rng(seed);
  const rows = Array.from({ length: 512 }, () => Array.from({ length: inputs }, () => r()));
  const xs = tf.tensor2d(rows);
  const ys = tf.tensor2d(rows.map((row) => [label(row)]));
  const model = tf.sequential();
  model.add(
    tf.layers.dense({ units: 8, activation: 'relu', inputShape: [inputs], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
  );
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
  await model.fit(xs, ys, { epochs: 8, batchSize: 64, verbose: 0 });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  tf.dispose([xs, ys]);
  model.dispose();
  if (saved === undefined) throw new Error('tfjs save handler was not called');
  return tfjsArtifactFromSave(saved);
}

const client = newClient();
let tenant = '';
let registry: ModelRegistry | undefined;
let running: RunningWorker | undefined;
let events: Producer | undefined;
const predictions = new Map<string, Prediction[]>();
let stopConsumers: (() => Promise<void>) | undefined;
const payloadRng = rng(99);

function payload(): Record<string, number> {
  return Object.fromEntries(FEATURES.map((f) => [f, Math.round(payloadRng() * 1000) / 1000]));
}

async function send(key: string, value: Record<string, number> = payload()): Promise<void> {
  await (events as Producer).send({ key, payload: Buffer.from(JSON.stringify(value)) });
}

function decided(key: string): Prediction | undefined {
  return predictions.get(key)?.[0];
}

/** Sends probe events (fresh keys from `keyOf`) until one is decided as `ok` says. */
async function probeUntil(keyOf: (n: number) => string, ok: (p: Prediction) => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (let n = 0; Date.now() - t0 < timeoutMs; n++) {
    const key = keyOf(n);
    await send(key);
    await waitFor(() => decided(key) !== undefined, 15_000, `a decision for ${key}`);
    if (ok(decided(key) as Prediction)) return Date.now() - t0;
  }
  throw new Error(`no probe was decided as expected within ${timeoutMs} ms`);
}

/** Keys `prefix-i` whose canary bucket is below (or not below) `percent`. */
function keysInBucket(prefix: string, count: number, inCanary: boolean, percent = 10): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const k = `${prefix}-${i}`;
    if (canaryBucket(k) < percent === inCanary) out.push(k);
  }
  return out;
}

beforeAll(async () => {
  tenant = await createTenant('mroll');
  await createNamespace(tenant, 'ns');
  for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
  await admin.schemas.post(topic(tenant, 'ns', 'events'), { type: 'JSON', data: JSON.stringify(EVENT_SCHEMA) });
  registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
  await registry.setFeatureSchema({ features: FEATURES, outputs: 1 });
  events = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxDelayMs: 2 });
  const consumer = await client.subscribe({ topic: topic(tenant, 'ns', 'predictions'), subscription: 'test', initialPosition: 'Earliest' });
  let open = true;
  const loop = (async () => {
    while (open) {
      try {
        const m = await consumer.receive(200);
        consumer.ack(m);
        const p = JSON.parse(m.payload.toString('utf8')) as Prediction;
        const list = predictions.get(p.key ?? '') ?? [];
        list.push(p);
        predictions.set(p.key ?? '', list);
      } catch (err) {
        if ((err as { code?: string }).code !== 'BL_PULSAR_TIMEOUT') throw err;
      }
    }
  })();
  stopConsumers = async () => {
    open = false;
    await loop;
    await consumer.close();
  };
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await stopConsumers?.();
  await events?.close();
  await registry?.close();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

describe('model rollouts through the registry on a real broker', () => {
  it('refuses a model whose signature does not match the feature schema, naming both shapes', async () => {
    const wrong = await trainModel(3, (r) => ((r[0] ?? 0) > 0.5 ? 1 : 0), 5);
    const err = await (registry as ModelRegistry).push(wrong, { name: 'fraud' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_REGISTRY_SIGNATURE_MISMATCH');
    expect((err as BeamlineError).message).toContain('expected input [batch, 4] (x0, x1, x2, x3)');
    expect((err as BeamlineError).message).toContain('got input [batch, 3]');
    expect((registry as ModelRegistry).view.manifests('fraud')).toEqual([]);
  });

  it('v1 live, v2 shadow, canary 10%, rollback: right model per key, every event decided once', async () => {
    const reg = registry as ModelRegistry;
    // v1 flags x0 + x1 > 1; v2 flags x2 > 0.5: different models, so a switch shows in the scores.
    const v1 = await trainModel(4, (r) => ((r[0] ?? 0) + (r[1] ?? 0) > 1 ? 1 : 0), 11);
    const v2 = await trainModel(4, (r) => ((r[2] ?? 0) > 0.5 ? 1 : 0), 23);
    const pushed = await reg.push(v1, { name: 'fraud', metrics: { auc: 0.9 } });
    expect(pushed.manifest.version).toBe('1');
    expect(pushed.rollout.live).toBe('1');

    running = await startWorker({
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      ...(env.token === undefined ? {} : { token: env.token }),
      tenant,
      namespace: 'ns',
      guarantee: 'at-least-once',
      httpPort: -1,
      batchMaxWaitMs: 5,
      handler: { process: createScoringHandler({ features, policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'p1' } }) },
      registry: { name: 'fraud' },
      log: silentLogger,
    });

    // Phase 1: everything on v1.
    const phase1 = Array.from({ length: 60 }, (_, i) => ({ key: `a-${i}`, value: payload() }));
    for (const e of phase1) await send(e.key, e.value);
    await waitFor(() => phase1.every((e) => decided(e.key) !== undefined), 30_000, 'phase 1 decisions');
    for (const e of phase1)
      expect(decided(e.key)).toMatchObject({
        modelVersion: 'fraud@1',
        shadowScore: null,
        policyVersion: 'p1',
        traceId: expect.any(String),
      });

    // Background traffic across every switch below: each of these must be decided exactly once.
    let bg = 0;
    let bgOn = true;
    const background = (async () => {
      while (bgOn) {
        await send(`bg-${bg++}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Phase 2: v2 as shadow. Same payloads as phase 1: same decisions and scores, plus shadow scores.
    const pushed2 = await reg.push(v2, { name: 'fraud' });
    expect(pushed2.rollout.live).toBe('1');
    await reg.setShadow('fraud', '2');
    await probeUntil(
      (n) => `s-probe-${n}`,
      (p) => p.shadowModelVersion === 'fraud@2',
      15_000,
    );
    const phase2 = phase1.map((e, i) => ({ key: `b-${i}`, value: e.value }));
    for (const e of phase2) await send(e.key, e.value);
    await waitFor(() => phase2.every((e) => decided(e.key) !== undefined), 30_000, 'phase 2 decisions');
    phase2.forEach((e, i) => {
      const before = decided(phase1[i]?.key ?? '') as Prediction;
      const after = decided(e.key) as Prediction;
      expect(after).toMatchObject({ modelVersion: 'fraud@1', decision: before.decision, shadowModelVersion: 'fraud@2' });
      expect(after.score).toBeCloseTo(before.score ?? Number.NaN, 5);
      expect(after.shadowScore).toEqual(expect.any(Number));
    });
    // The shadow really is another model: its scores differ from live on some rows.
    expect(phase2.some((e) => Math.abs((decided(e.key)?.shadowScore ?? 0) - (decided(e.key)?.score ?? 0)) > 0.05)).toBe(true);

    // Phase 3: canary 10% -> exactly the keys in buckets 0..9 are decided by v2.
    await reg.setCanary('fraud', '2', 10);
    const inCanary = keysInBucket('c-probe', 50, true);
    await probeUntil(
      (n) => inCanary[n] ?? `c-probe-x${n}`,
      (p) => p.modelVersion === 'fraud@2',
      15_000,
    );
    const phase3 = Array.from({ length: 600 }, (_, i) => `c-${i}`);
    for (const k of phase3) await send(k);
    await waitFor(() => phase3.every((k) => decided(k) !== undefined), 60_000, 'phase 3 decisions');
    const byV2 = phase3.filter((k) => decided(k)?.modelVersion === 'fraud@2');
    for (const k of phase3) expect(decided(k)?.modelVersion).toBe(canaryBucket(k) < 10 ? 'fraud@2' : 'fraud@1');
    const share = byV2.length / phase3.length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);

    // Phase 4: rollback -> all traffic on v1 within 5 s (timed on keys the canary would take).
    const canaryKeys = keysInBucket('r-probe', 200, true);
    const t0 = Date.now();
    await reg.rollback('fraud');
    const switchMs = await probeUntil(
      (n) => canaryKeys[n] ?? `r-probe-x${n}`,
      (p) => p.modelVersion === 'fraud@1',
      10_000,
    );
    const rollbackMs = Date.now() - t0;
    expect(rollbackMs).toBeLessThan(5_000);
    const phase4 = keysInBucket('d', 100, true);
    for (const k of phase4) await send(k);
    await waitFor(() => phase4.every((k) => decided(k) !== undefined), 30_000, 'phase 4 decisions');
    for (const k of phase4) expect(decided(k)).toMatchObject({ modelVersion: 'fraud@1' });

    bgOn = false;
    await background;
    const bgKeys = Array.from({ length: bg }, (_, i) => `bg-${i}`);
    await waitFor(() => bgKeys.every((k) => decided(k) !== undefined), 60_000, 'background decisions');
    // No event dropped (every key decided) or decided twice (one prediction per key).
    const duplicates = [...predictions].filter(([, ps]) => ps.length !== 1).map(([k]) => k);
    expect(duplicates).toEqual([]);
    expect(running.worker.state).toBe('running');

    // The audit trail: one decision record per event, with inputs, versions and shadow scores.
    const audit = await readAudit(client, topic(tenant, 'ns', 'audit'));
    const decisions = audit.filter((e): e is DecisionAuditEvent => e.type === 'decision');
    expect(decisions.length).toBe([...predictions.values()].length);
    const shadowed = decisions.filter((d) => d.key?.startsWith('b-'));
    expect(shadowed).toHaveLength(phase2.length);
    for (const d of shadowed) {
      expect(d).toMatchObject({
        modelVersion: 'fraud@1',
        policyVersion: 'p1',
        route: 'live',
        shadow: { modelVersion: 'fraud@2', score: expect.any(Number) },
      });
      expect(Object.keys(d.inputs)).toEqual(FEATURES);
    }
    const registryEvents = audit.filter((e) => e.type !== 'decision').map((e) => `${e.type}:${(e as { version: string | null }).version}`);
    expect(registryEvents).toEqual([
      'feature-schema-set:null',
      'model-pushed:1',
      'promoted:1',
      'model-pushed:2',
      'shadow-set:2',
      'canary-set:2',
      'rolled-back:1',
    ]);
    const routeOf = new Map(decisions.map((d) => [d.key, d.route]));
    for (const k of phase3) expect(routeOf.get(k)).toBe(canaryBucket(k) < 10 ? 'canary' : 'live');
    const report = compareFromAudit(audit, { model: 'fraud' });
    expect(report.shadow[0]).toMatchObject({ modelVersion: 'fraud@2' });
    expect(report.shadow[0]?.compared).toBeGreaterThanOrEqual(phase2.length);
    expect(report.canary[0]).toMatchObject({ modelVersion: 'fraud@2' });
    console.log(
      JSON.stringify({
        events: predictions.size,
        background: bg,
        canaryShare: share,
        rollbackMs,
        switchMs,
        shadowAgreement: report.shadow[0]?.agreementRate,
        canaryDrift: report.canary[0]?.scoreDriftVsLive,
      }),
    );
  });
});
