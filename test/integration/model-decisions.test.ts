/**
 * Decisions after scoring, on a real broker with a worker scoring through the registry: the review
 * band end to end (items on `review`, `beamline review list|show|approve|reject`, outcomes with the
 * time to decision on `review` and `audit`), and `actions` applied to an HTTP webhook that first
 * fails: the consumer retries, the sink's breaker opens, scoring goes on meanwhile, and once the
 * sink recovers every block is applied exactly once per idempotency key.
 *
 * Webhook delivery is at least once (a request that timed out may have been applied), so the
 * receiver here is idempotent like a real payment API: it applies the first request per
 * `Idempotency-Key` and answers later ones without applying them again (#14).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, silentLogger } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave, type TfjsLayersArtifact } from '../../functions/inference/index.ts';
import type { Producer } from '../../functions/pulsar/index.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { ModelRegistry } from '../../functions/runtime/model-registry/index.ts';
import { ActionConsumer } from '../../sinks/index.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import {
  admin,
  createNamespace,
  createTenant,
  deleteTenant,
  env,
  newClient,
  parse,
  readAll,
  topic,
  waitFor,
  waitForAsync,
} from './worker-support.ts';

const FEATURES = ['x0', 'x1', 'x2', 'x3'];

async function trainModel(): Promise<TfjsLayersArtifact> {
  await tf.ready();
  let s = 7;
  const r = (): number => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31), s / 2 ** 31);
  const rows = Array.from({ length: 256 }, () => FEATURES.map(() => r()));
  const xs = tf.tensor2d(rows);
  const ys = tf.tensor2d(rows.map((row) => [(row[0] ?? 0) + (row[1] ?? 0) > 1 ? 1 : 0]));
  const model = tf.sequential();
  model.add(
    tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
  );
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
  await model.fit(xs, ys, { epochs: 6, batchSize: 64, verbose: 0 });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })),
  );
  tf.dispose([xs, ys]);
  model.dispose();
  return tfjsArtifactFromSave(saved as tf.io.ModelArtifacts);
}

const client = newClient();
let tenant = '';
let running: RunningWorker | undefined;
let events: Producer | undefined;
let sent = 0;
let payloadSeed = 3;

async function sendEvents(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const value = Object.fromEntries(
      FEATURES.map((f) => [f, ((payloadSeed = (payloadSeed * 1_103_515_245 + 12_345) % 2 ** 31), payloadSeed / 2 ** 31)]),
    );
    await (events as Producer).send({ key: `card-${sent}`, payload: Buffer.from(JSON.stringify({ ...value, id: `ev-${sent}` })) });
    sent++;
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; json: Record<string, unknown> }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { PULSAR_SERVICE_URL: env.serviceUrl, ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }) },
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

beforeAll(async () => {
  tenant = await createTenant('mdec');
  await createNamespace(tenant, 'ns');
  for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
  await admin.schemas.post(topic(tenant, 'ns', 'events'), {
    type: 'JSON',
    data: JSON.stringify({
      type: 'record',
      name: 'Txn',
      fields: [...FEATURES.map((name) => ({ name, type: 'double' })), { name: 'id', type: 'string' }],
    }),
  });
  const registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
  await registry.setFeatureSchema({ features: FEATURES, outputs: 1 });
  await registry.push(await trainModel(), { name: 'fraud' });
  await registry.close();
  running = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace: 'ns',
    guarantee: 'at-least-once',
    httpPort: -1,
    batchMaxWaitMs: 5,
    handler: {
      process: createScoringHandler({
        features: FEATURES.map((f) => ({ name: f, field: f })),
        idField: 'id',
        policy: { reviewAtScore: 0.35, blockAtScore: 0.65, version: 'p2' },
      }),
    },
    registry: { name: 'fraud' },
    log: silentLogger,
  });
  events = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxDelayMs: 2 });
  await sendEvents(80);
  await waitFor(() => (running?.worker.processed ?? 0) >= sent, 30_000, 'the first events to be decided');
}, 120_000);

afterAll(async () => {
  await events?.close();
  await running?.stop();
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

describe('human review', () => {
  it('lists open items, shows one, records approve and reject with the time to decision, refuses a second decision', async () => {
    const ns = ['-t', tenant, '-n', 'ns'];
    const listed = await cli('review', 'list', ...ns, '-o', 'json');
    expect(listed.code).toBe(0);
    const items = listed.json['items'] as {
      item: { eventId: string; traceId: string; modelVersion: string; status: string; features: Record<string, number> };
    }[];
    expect(items.length).toBeGreaterThanOrEqual(2);
    for (const i of items)
      expect(i.item).toMatchObject({
        status: 'open',
        modelVersion: 'fraud@1',
        eventId: expect.stringMatching(/^ev-\d+$/),
        traceId: expect.any(String),
      });
    const [first, second] = items as [(typeof items)[0], (typeof items)[0]];

    const shown = await cli('review', 'show', first.item.eventId, ...ns);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('x0 = ');
    expect(shown.out).toContain('policy p2');

    const approved = await cli(
      'review',
      'approve',
      first.item.eventId,
      ...ns,
      '--note',
      'known customer',
      '--analyst',
      'ana',
      '-o',
      'json',
    );
    expect(approved.json).toMatchObject({
      ok: true,
      outcome: {
        eventId: first.item.eventId,
        status: 'approved',
        decidedBy: 'ana',
        note: 'known customer',
        timeToDecisionMs: expect.any(Number),
      },
    });
    const rejected = await cli('review', 'reject', second.item.traceId, ...ns, '--analyst', 'ana');
    expect(rejected.code).toBe(0);
    expect(rejected.out).toMatch(new RegExp(`^${second.item.eventId} rejected by ana after \\d+\\.\\d s$`));

    const again = await cli('review', 'approve', first.item.eventId, ...ns);
    expect(again.code).toBe(1);
    expect(again.err).toContain('BL_REVIEW_ALREADY_DECIDED');
    expect((await cli('review', 'approve', 'no-such-id', ...ns)).err).toContain('BL_REVIEW_UNKNOWN_ITEM');

    const open = (await cli('review', 'list', ...ns, '-o', 'json')).json;
    expect((open['items'] as unknown[]).length).toBe(items.length - 2);
    // #22: the worker tails the review topic and its depth gauge agrees with `review list`.
    const depth = async (): Promise<number | undefined> => {
      const text = await (running?.metrics as { render(): Promise<string> }).render();
      const m = new RegExp(`^beamline_review_queue_depth_messages\\{tenant="${tenant}",namespace="ns"\\} (\\d+)$`, 'm').exec(text);
      return m === null ? undefined : Number(m[1]);
    };
    let seen: number | undefined;
    await waitForAsync(
      async () => (seen = await depth()) === items.length - 2,
      30_000,
      `the review depth gauge to reach ${items.length - 2}`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)} (it is ${String(seen)})`);
    });
    const decided = (await cli('review', 'list', ...ns, '--status', 'decided', '-o', 'json')).json;
    expect((decided['items'] as { outcome: { status: string } }[]).map((d) => d.outcome.status).sort()).toEqual(['approved', 'rejected']);
    expect(decided['stats']).toMatchObject({ decided: 2, timeToDecisionP50Ms: expect.any(Number) });
    expect((await cli('review', 'list', ...ns)).out).toMatch(/open, 2 decided; time to decision p50 \d+\.\d s/);

    // #21: the worker writes each outcome's audit record (analysts may not write audit).
    let audit = await readAudit(client, topic(tenant, 'ns', 'audit'));
    const decidedIn = (a: typeof audit): typeof audit => a.filter((e) => (e.type as string) === 'review-decided');
    await waitForAsync(
      async () => decidedIn((audit = await readAudit(client, topic(tenant, 'ns', 'audit')))).length >= 2,
      30_000,
      'the worker to audit both review outcomes',
    );
    const outcomes = decidedIn(audit) as unknown as {
      eventId: string;
      status: string;
      timeToDecisionMs: number;
      decidedBy: string;
    }[];
    expect(outcomes.map((o) => o.decidedBy)).toEqual(['ana', 'ana']);
    expect(outcomes.map((o) => `${o.eventId}:${o.status}`)).toEqual([`${first.item.eventId}:approved`, `${second.item.eventId}:rejected`]);

    // #21: registry, worker and review outcomes each chained on the audit topic (no keyring here:
    // bare SHA-256 seals, which verify checks without keys).
    const verified = await cli('audit', 'verify', ...ns, '-o', 'json');
    expect(verified.code, JSON.stringify(verified.json['problems'])).toBe(0);
    const roles = (verified.json['writers'] as { writer: string }[]).map((w) => w.writer.replace(/-[0-9a-f]{16}$/, ''));
    expect(new Set(roles)).toEqual(new Set(['registry', 'worker', 'review']));
    expect(verified.json['records']).toBe(audit.length);
  });
});

describe('model compare', () => {
  it('reports the live model from the audit trail (decisions, score, latency)', async () => {
    const r = await cli('model', 'compare', '-t', tenant, '-n', 'ns', '--name', 'fraud', '-o', 'json');
    expect(r.code).toBe(0);
    const live = (r.json['report'] as { live: { modelVersion: string; decisions: number; latencyP50Ms: number | null }[] }).live;
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ modelVersion: 'fraud@1', latencyP50Ms: expect.any(Number) });
    expect(live[0]?.decisions).toBeGreaterThanOrEqual(80);
    expect((await cli('model', 'compare', '-t', tenant, '-n', 'ns')).out).toContain('no shadow or canary decisions to compare');
  });
});

describe('action consumer', () => {
  let server: Server | undefined;
  afterAll(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined));
  });

  it('retries a failing webhook, opens its breaker while scoring continues, then applies every block once', async () => {
    let healthy = false;
    // Effects applied per key (an idempotent receiver applies a key once) and accepted requests per key.
    const applied = new Map<string, number>();
    const delivered = new Map<string, number>();
    const firstBody = new Map<string, string>();
    const differentBodies: string[] = [];
    let failedCalls = 0;
    server = createServer((req, res) => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!healthy) {
          failedCalls++;
          res.statusCode = 503;
          res.end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        delivered.set(key, (delivered.get(key) ?? 0) + 1);
        const first = firstBody.get(key);
        if (first === undefined) {
          firstBody.set(key, body);
          applied.set(key, (applied.get(key) ?? 0) + 1);
        } else if (first !== body) {
          differentBodies.push(key);
        }
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;

    const consumer = await ActionConsumer.create({
      client,
      tenant,
      namespace: 'ns',
      sinks: [
        {
          name: 'blocker',
          url: `http://127.0.0.1:${port}/block`,
          timeoutMs: 1000,
          maxAttempts: 3,
          retryBaseMs: 20,
          volumeThreshold: 3,
          resetTimeoutMs: 1500,
        },
      ],
      redeliveryDelayMs: 300,
      log: silentLogger,
    });
    consumer.start();
    try {
      // Actions that failed before the breaker opened retry after their backoff (and then find it open).
      await waitFor(
        () => consumer.stats.sinks['blocker']?.breaker === 'open' && (consumer.stats.sinks['blocker']?.retries ?? 0) > 0,
        20_000,
        'retries and an open breaker',
      );
      const stats = consumer.stats.sinks['blocker'];
      expect(stats?.retries).toBeGreaterThan(0);
      expect(stats?.opened).toBeGreaterThanOrEqual(1);
      // The breaker opened on volumeThreshold (3) failed attempts: answered 503s, plus attempts the
      // sink aborted after timeoutMs, which the server may not have counted yet (or at all).
      expect(stats?.failures).toBeGreaterThanOrEqual(3);
      expect(failedCalls + (stats?.timeouts ?? 0) + (stats?.connectionErrors ?? 0)).toBeGreaterThanOrEqual(3);

      // Scoring goes on while the sink is down.
      const before = running?.worker.processed ?? 0;
      await sendEvents(60);
      await waitFor(() => (running?.worker.processed ?? 0) >= before + 60, 30_000, 'decisions while the breaker is open');
      expect(running?.worker.state).toBe('running');

      healthy = true;
      const blocks = (await readAll(client, topic(tenant, 'ns', 'actions'))).map(parse);
      const keys = new Set(blocks.map((b) => b['idempotencyKey'] as string));
      expect(keys.size).toBeGreaterThan(0);
      await waitFor(() => [...keys].every((k) => applied.has(k)), 60_000, `all ${keys.size} blocks applied`);
      expect([...applied.values()].every((n) => n === 1)).toBe(true);
      await waitFor(() => consumer.stats.sinks['blocker']?.breaker === 'closed', 10_000, 'the breaker to close again');
      expect(consumer.stats.redelivered).toBeGreaterThan(0);
      // Drained: no request of this consumer is still on its way to the receiver.
      await consumer.close();
      const sink = consumer.stats.sinks['blocker'];
      const duplicates = [...delivered.values()].reduce((n, d) => n + d - 1, 0);
      console.log(JSON.stringify({ blocks: keys.size, failedCalls, duplicates, ...consumer.stats }));
      expect(applied.size).toBe(keys.size);
      expect([...applied.values()].every((n) => n === 1)).toBe(true);
      // A key is sent again only after an attempt that got no answer (it may have been applied), always with the same key and body.
      expect(differentBodies).toEqual([]);
      expect(duplicates).toBeLessThanOrEqual((sink?.timeouts ?? 0) + (sink?.connectionErrors ?? 0));
    } finally {
      await consumer.close();
    }
  });
});
