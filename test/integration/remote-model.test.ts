/**
 * Remote models (#25) against a real Seldon MLServer serving a scikit-learn classifier (built and
 * started by scripts/mlserver), with a worker on the shared broker scoring through the registry:
 * - end to end, effectively-once: every event decided once, with MLServer's own probabilities;
 * - MLServer killed (SIGKILL) or stalled (SIGSTOP): the breaker opens, records get the namespace's
 *   fallback without stalling the worker; once it is back (restart, SIGCONT) the breaker closes,
 *   scoring resumes, and no record was decided twice;
 * - ordering: behind a proxy that delays answers at random (so they complete out of order), each
 *   key's outputs stay in input order; and a local ONNX compile of the same model shadows the
 *   remote one, giving the same scores.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { silentLogger } from '../../functions/control-plane.ts';
import type { RemoteModelSpec } from '../../functions/inference/index.ts';
import type { Producer } from '../../functions/pulsar/index.ts';
import { createScoringHandler, startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import { ModelRegistry } from '../../functions/runtime/model-registry/index.ts';
import { MlserverProcess, prepareMlserverModel } from '../../scripts/remote-model/mlserver-process.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, parse, readAll, topic, waitFor } from './worker-support.ts';

const FEATURES = ['x0', 'x1', 'x2', 'x3'];

/**
 * Limits sized for a loaded 2-core machine: a healthy MLServer answers well within 2 s, while a
 * stalled one is detected after 2 x 2 s; `generous` for tests about order, not failures.
 */
function remoteSpec(endpoint: string, generous = false): RemoteModelSpec {
  return {
    protocol: 'oip-rest',
    endpoint,
    model: 'fraud',
    modelVersion: 'v1',
    signature: { input: [4], output: [1] },
    output: { name: 'predict_proba', columns: [1] },
    calls: {
      requestTimeoutMs: generous ? 10_000 : 2000,
      maxAttempts: generous ? 3 : 2,
      retryBaseMs: 10,
      retryMaxMs: 50,
      maxInFlight: 4,
      maxBatchSize: 32,
      maxWaitMs: 2,
      readyTimeoutMs: 60_000,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 1500, rollingWindowMs: 5000 },
    },
  };
}

const client = newClient();
let tenant = '';
let mls: MlserverProcess | undefined;
let seed = 11;
const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed / 2 ** 31);

async function worker(namespace: string): Promise<RunningWorker> {
  return startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace,
    httpPort: -1,
    batchMaxWaitMs: 5,
    handler: {
      process: createScoringHandler({
        features: FEATURES.map((f) => ({ name: f, field: f })),
        idField: 'id',
        policy: { reviewAtScore: 0.35, blockAtScore: 0.65, version: 'p1' },
      }),
    },
    registry: { name: 'fraud' },
    log: silentLogger,
  });
}

async function breakerState(w: RunningWorker, model: string): Promise<number | undefined> {
  const m = new RegExp(`beamline_inference_breaker_state\\{model="${model}"\\} (\\d)`).exec(await w.metrics.render());
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** MLServer's own answer for rows, straight over HTTP: what the worker's scores must equal. */
async function directScores(rows: number[][]): Promise<number[]> {
  const res = await fetch(`${mls?.endpoint}/v2/models/fraud/versions/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'input-0', shape: [rows.length, 4], datatype: 'FP32', data: rows.flat() }],
      outputs: [{ name: 'predict_proba' }],
    }),
  });
  const body = (await res.json()) as { outputs: { data: number[] }[] };
  const data = body.outputs[0]?.data ?? [];
  return rows.map((_, i) => data[i * 2 + 1] as number);
}

beforeAll(async () => {
  const dir = await prepareMlserverModel({ features: 4 });
  mls = await MlserverProcess.start(dir);
  tenant = await createTenant('remote');
  for (const ns of ['ns', 'ord']) {
    await createNamespace(tenant, ns);
    for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, ns, t));
    await admin.schemas.post(topic(tenant, ns, 'events'), {
      type: 'JSON',
      data: JSON.stringify({
        type: 'record',
        name: 'Txn',
        fields: [...FEATURES.map((name) => ({ name, type: 'double' })), { name: 'id', type: 'string' }, { name: 'seq', type: 'int' }],
      }),
    });
  }
}, 1_200_000);

afterAll(async () => {
  await mls?.stop();
  if (mls !== undefined) rmSync(mls.dir, { recursive: true, force: true });
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

describe('a worker scoring through MLServer', () => {
  let running: RunningWorker | undefined;
  let events: Producer | undefined;
  const sentRows = new Map<string, number[]>();
  let sent = 0;

  async function send(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const row = FEATURES.map(() => Math.fround(rand()));
      const id = `ev-${sent}`;
      sentRows.set(id, row);
      ids.push(id);
      await (events as Producer).send({
        key: `card-${sent % 7}`,
        payload: Buffer.from(JSON.stringify({ ...Object.fromEntries(FEATURES.map((f, j) => [f, row[j]])), id, seq: sent })),
      });
      sent++;
    }
    return ids;
  }

  async function predictions(): Promise<Map<string, Record<string, unknown>[]>> {
    const byId = new Map<string, Record<string, unknown>[]>();
    for (const m of await readAll(client, topic(tenant, 'ns', 'predictions'))) {
      const p = parse(m);
      byId.set(String(p['eventId']), [...(byId.get(String(p['eventId'])) ?? []), p]);
    }
    return byId;
  }

  /**
   * Sends a trickle of events until the breaker reaches `state` (2: open, the failures
   * outweighed the window's successes; 0: closed, a half-open probe succeeded).
   */
  async function untilBreaker(state: 0 | 2, what: string): Promise<void> {
    const until = Date.now() + 90_000;
    while ((await breakerState(running as RunningWorker, 'fraud@1')) !== state) {
      if (Date.now() > until) throw new Error(`the breaker did not ${what}`);
      await send(1);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every event sent so far decided, and each exactly once. */
  async function decidedOnce(): Promise<Map<string, Record<string, unknown>[]>> {
    await waitFor(() => (running?.worker.processed ?? 0) >= sent, 30_000, 'every event sent to be decided');
    const byId = await predictions();
    expect([...sentRows.keys()].filter((id) => byId.get(id)?.length !== 1)).toEqual([]);
    return byId;
  }

  /** A failed test must not leave MLServer stopped or dead for the next one. */
  afterEach(async () => {
    const server = mls as MlserverProcess;
    server.signal('SIGCONT');
    if (!(await server.alive())) await server.restart();
  });

  beforeAll(async () => {
    const registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
    await registry.setFeatureSchema({ features: FEATURES, outputs: 1 });
    const pushed = await registry.push({ format: 'remote', spec: remoteSpec((mls as MlserverProcess).endpoint) }, { name: 'fraud' });
    expect(pushed.manifest).toMatchObject({ format: 'remote', version: '1' });
    expect(pushed.rollout.live).toBe('1');
    await registry.close();
    running = await worker('ns');
    events = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxDelayMs: 2 });
  }, 180_000);

  afterAll(async () => {
    await events?.close();
    await running?.stop();
  });

  it('decides every event once, with the probabilities MLServer gives', async () => {
    const ids = await send(60);
    await waitFor(() => (running?.worker.processed ?? 0) >= sent, 60_000, 'the events to be decided');
    const byId = await predictions();
    const expected = await directScores(ids.map((id) => sentRows.get(id) as number[]));
    ids.forEach((id, i) => {
      const ps = byId.get(id) ?? [];
      expect(ps, id).toHaveLength(1);
      expect(ps[0]).toMatchObject({ modelVersion: 'fraud@1', fallbackReason: null });
      expect(Math.abs((ps[0]?.['score'] as number) - (expected[i] as number))).toBeLessThan(1e-6);
    });
    const text = await (running as RunningWorker).metrics.render();
    expect(text).toMatch(/beamline_remote_request_seconds_count\{model="fraud@1",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/beamline_remote_ready_state\{model="fraud@1"\} 1/);
  });

  it('falls back while MLServer is killed, and scores again once it is restarted', async () => {
    const server = mls as MlserverProcess;
    server.signal('SIGKILL');
    await server.killed();
    const down = await send(40);
    // Not stalled: every record is decided (by the fallback) while the server is gone.
    await waitFor(() => (running?.worker.processed ?? 0) >= sent, 30_000, 'the events to be decided with MLServer down');
    await untilBreaker(2, 'open while MLServer was dead');
    const open = await send(20);
    const during = await decidedOnce();
    for (const id of [...down, ...open])
      expect(during.get(id)?.[0]).toMatchObject({
        decision: 'review',
        score: null,
        fallbackReason: expect.stringMatching(/^(open|error|timeout)$/),
      });
    // Once open, the breaker answers without calling the dead server.
    expect(open.filter((id) => during.get(id)?.[0]?.['fallbackReason'] === 'open').length).toBeGreaterThan(10);

    await server.restart();
    await untilBreaker(0, 'close after MLServer was restarted');
    const after = await send(20);
    // Effectively-once across the outage: no event decided twice, none lost.
    const byId = await decidedOnce();
    for (const id of after) expect(byId.get(id)?.[0]).toMatchObject({ modelVersion: 'fraud@1', fallbackReason: null });
  });

  it('falls back while MLServer is stalled (SIGSTOP), and recovers on SIGCONT', async () => {
    const server = mls as MlserverProcess;
    server.signal('SIGSTOP');
    try {
      const stalled = await send(30);
      // Not stalled with it: each batch waits at most its retry budget (2 x 2 s + backoff).
      await waitFor(() => (running?.worker.processed ?? 0) >= sent, 30_000, 'the events to be decided with MLServer stalled');
      await untilBreaker(2, 'open while MLServer was stalled');
      const during = await decidedOnce();
      for (const id of stalled)
        expect(during.get(id)?.[0]).toMatchObject({ score: null, fallbackReason: expect.stringMatching(/^(open|error|timeout)$/) });
    } finally {
      server.signal('SIGCONT');
    }
    await untilBreaker(0, 'close after SIGCONT');
    const after = await send(20);
    const byId = await decidedOnce();
    for (const id of after) expect(byId.get(id)?.[0]).toMatchObject({ modelVersion: 'fraud@1', fallbackReason: null });
  });
});

/** Forwards to MLServer, holding each answer back a random 0-40 ms so they complete out of order. */
class DelayProxy {
  #server: Server | undefined;
  port = 0;
  inFlight = 0;
  peakInFlight = 0;
  /** Infer answers released before an earlier-arrived infer request's answer. */
  overtakes = 0;
  #open: number[] = [];
  #next = 0;
  #seed = 5;

  async start(target: number): Promise<this> {
    this.#server = createServer((req, res) => {
      const infer = req.url?.endsWith('/infer') === true;
      const n = this.#next++;
      if (infer) {
        this.#open.push(n);
        this.inFlight++;
        this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      }
      const up = request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const delay = infer ? Math.floor(((this.#seed = (this.#seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 40) : 0;
          setTimeout(() => {
            if (infer) {
              if (this.#open.some((o) => o < n)) this.overtakes++;
              this.#open = this.#open.filter((o) => o !== n);
              this.inFlight--;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(chunks));
          }, delay);
        });
      });
      up.on('error', () => {
        res.statusCode = 502;
        res.end();
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}

describe('ordering and shadowing with answers delayed at random', () => {
  let proxy: DelayProxy | undefined;
  let running: RunningWorker | undefined;

  afterAll(async () => {
    await running?.stop();
    await proxy?.close();
  });

  it('keeps each key in input order, and a local ONNX shadow agrees with the remote model', async () => {
    const server = mls as MlserverProcess;
    proxy = await new DelayProxy().start(server.ports.http);
    const registry = await ModelRegistry.create({ client, tenant, namespace: 'ord', actor: 'test', log: silentLogger });
    await registry.setFeatureSchema({ features: FEATURES, outputs: 1 });
    // The remote version through the CLI, from a spec file (what an operator would run).
    const specFile = join(server.dir, 'fraud.remote.yaml');
    writeFileSync(specFile, stringifyYaml(remoteSpec(`http://127.0.0.1:${proxy.port}`, true)));
    const cliOut: string[] = [];
    const io: CliIo = {
      env: { PULSAR_SERVICE_URL: env.serviceUrl, ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }) },
      stdout: (t) => void cliOut.push(t),
      stderr: (t) => void cliOut.push(t),
    };
    expect(await main(['model', 'push', specFile, '--remote', '-t', tenant, '-n', 'ord', '--name', 'fraud'], io), cliOut.join('\n')).toBe(
      0,
    );
    expect(cliOut.join('\n')).toMatch(/pushed fraud@1 \(remote, .*probe on remote-oip\)/);
    // The same scikit-learn model compiled to ONNX by skl2onnx, scored in-process as the shadow.
    const onnx = { format: 'onnx' as const, bytes: new Uint8Array(readFileSync(join(server.dir, 'model.onnx'))) };
    await registry.view.waitUntil(() => registry.view.manifest('fraud', '1') !== undefined, 30_000);
    await registry.push(onnx, { name: 'fraud', version: '2' });
    await registry.setShadow('fraud', '2');
    await registry.close();
    running = await worker('ord');

    const events = await client.createProducer({ topic: topic(tenant, 'ord', 'events'), batchingMaxDelayMs: 2 });
    const keys = 12;
    const perKey = 20;
    try {
      for (let s = 0; s < perKey; s++) {
        for (let k = 0; k < keys; k++) {
          const row = FEATURES.map(() => Math.fround(rand()));
          await events.send({
            key: `k${k}`,
            payload: Buffer.from(JSON.stringify({ ...Object.fromEntries(FEATURES.map((f, j) => [f, row[j]])), id: `k${k}-${s}`, seq: s })),
          });
        }
      }
    } finally {
      await events.close();
    }
    await waitFor(() => (running?.worker.processed ?? 0) >= keys * perKey, 90_000, 'the ordered events to be decided');
    const out = (await readAll(client, topic(tenant, 'ord', 'predictions'))).map(parse);
    expect(out).toHaveLength(keys * perKey);
    for (let k = 0; k < keys; k++) {
      const mine = out.filter((p) => p['key'] === `k${k}`).map((p) => p['eventId']);
      expect(mine).toEqual(Array.from({ length: perKey }, (_, s) => `k${k}-${s}`));
    }
    // Any fallback here is a bug, not slowness (10 s per request, 3 attempts): say which kind.
    const remoteErrors = (await running.metrics.render()).split('\n').filter((l) => l.startsWith('beamline_remote_errors_total'));
    for (const p of out) {
      expect(p, remoteErrors.join('\n')).toMatchObject({ modelVersion: 'fraud@1', shadowModelVersion: 'fraud@2', fallbackReason: null });
      expect(Math.abs((p['score'] as number) - (p['shadowScore'] as number))).toBeLessThan(1e-4);
    }
    // The proxy did reorder answers, with several requests in flight: the order above is not luck.
    expect(proxy.overtakes).toBeGreaterThan(0);
    expect(proxy.peakInFlight).toBeGreaterThan(1);
    expect(proxy.peakInFlight).toBeLessThanOrEqual(4);
  });
});
